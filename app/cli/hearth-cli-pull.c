/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth pull NAME`: a model from its registry into the store, with a
 * progress line on the terminal; what a stopped pull received stays, and the
 * next pull of the same model goes on from there.
 */

#define G_LOG_DOMAIN "hearth-cli"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <unistd.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-fit.h"
#include "hearth-pull.h"

typedef struct {
  GMainLoop *loop;
  HearthStore *store;
  FILE *err;
  gboolean tty;
  GError *error;
  gboolean interrupted;
  gboolean force;
  gboolean refused;     /* it would not fit, and no --force */
  char *last_status;
  gint64 last_print;
  gboolean line_open;   /* on a terminal: a progress line without its newline */
} PullRun;

static void
print_progress (HearthPull *pull,
                PullRun    *run,
                gboolean    force)
{
  guint64 done = hearth_pull_get_bytes_done (pull), total = hearth_pull_get_bytes_total (pull);
  const char *status = hearth_pull_get_status (pull);
  gboolean new_status = g_strcmp0 (status, run->last_status) != 0;
  gint64 now = g_get_monotonic_time ();
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *total_text = g_format_size (total);
  g_autofree char *speed_text = g_format_size ((guint64) hearth_pull_get_speed (pull));

  /* on a terminal a line redrawn five times a second (@force: its last
   * state); else one line per step, once */
  if (!run->tty && !new_status)
    return;
  if (run->tty && !new_status && !force && now - run->last_print < 200000)
    return;
  run->last_print = now;
  if (run->tty && run->line_open)
    fputc (new_status ? '\n' : '\r', run->err);
  if (total > 0)
    fprintf (run->err, _("%s  %s / %s  %3d%%  %s/s"), status, done_text, total_text,
             (int) (done * 100 / total), speed_text);
  else
    fprintf (run->err, "%s", status);
  if (!run->tty)
    fputc ('\n', run->err);
  run->line_open = run->tty;
  fflush (run->err);
  g_free (run->last_status);
  run->last_status = g_strdup (status);
}

static void
on_progress (HearthPull *pull,
             PullRun    *run)
{
  print_progress (pull, run, FALSE);
}

static void
on_finished (HearthPull   *pull,
             const GError *error,
             PullRun      *run)
{
  print_progress (pull, run, TRUE);
  if (run->line_open)
    fputc ('\n', run->err);
  run->line_open = FALSE;
  if (error != NULL)
    run->error = g_error_copy (error);
  g_main_loop_quit (run->loop);
}

/* Before any file is downloaded: will it fit? Said with the numbers; a
 * model that fits nowhere is not downloaded unless --force. */
static void
on_manifest (HearthPull *pull,
             PullRun    *run)
{
  HearthFit fit;
  g_autofree char *text = NULL;

  hearth_fit_estimate (hearth_pull_get_bytes_total (pull), hearth_fit_gpu_memory (),
                       hearth_fit_system_ram (), &fit);
  text = hearth_fit_describe (&fit);
  /* a line of its own, below the progress line */
  if (run->line_open)
    fputc ('\n', run->err);
  run->line_open = FALSE;
  fprintf (run->err, "%s\n", text);
  if (fit.verdict == HEARTH_FIT_NONE && !run->force)
    {
      run->refused = TRUE;
      hearth_pull_pause (pull);
      /* not a pull under way for the window to find */
      hearth_store_pending_forget (run->store, hearth_pull_get_name (pull));
      g_main_loop_quit (run->loop);
    }
}

static gboolean
on_interrupt (gpointer user_data)
{
  PullRun *run = user_data;

  run->interrupted = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

int
hearth_cli_pull (HearthContext          *context,
                 const HearthCliCommand *command,
                 int                     argc,
                 char                  **argv,
                 FILE                   *out,
                 FILE                   *err)
{
  g_autoptr (HearthPull) pull = NULL;
  g_autoptr (GError) error = NULL;
  PullRun run = { 0 };
  guint sigint;
  int status = 0;

  const char *name = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--force"))
        run.force = TRUE;
      else if (hearth_cli_is_option (argv[i]))
        return hearth_cli_unknown_option (err, "pull", argv[i]);
      else if (name != NULL)
        {
          fprintf (err, _("hearth pull: usage: hearth pull NAME [--force]\n"));
          return 2;
        }
      else
        name = argv[i];
    }
  if (name == NULL)
    {
      fprintf (err, _("hearth pull: usage: hearth pull NAME [--force]\n"));
      return 2;
    }
  pull = hearth_pull_new (hearth_context_get_store (context),
                          hearth_context_get_http_session (context), name, &error);
  if (pull == NULL)
    {
      fprintf (err, "hearth pull: %s\n", error->message);
      return 1;
    }

  run.loop = g_main_loop_new (NULL, FALSE);
  run.store = hearth_context_get_store (context);
  run.err = err;
  run.tty = isatty (fileno (err));
  g_signal_connect (pull, "progress", G_CALLBACK (on_progress), &run);
  g_signal_connect (pull, "manifest", G_CALLBACK (on_manifest), &run);
  g_signal_connect (pull, "finished", G_CALLBACK (on_finished), &run);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, &run);
  hearth_pull_start (pull);
  g_main_loop_run (run.loop);
  g_source_remove (sigint);
  g_signal_handlers_disconnect_by_data (pull, &run);

  if (run.refused)
    {
      fprintf (err, _("hearth pull: not downloaded; --force downloads it all the same\n"));
      status = 1;
    }
  else if (run.interrupted)
    {
      hearth_pull_pause (pull);
      fprintf (err, _("\nhearth pull: stopped; run the same command again to go on from here\n"));
      status = 130;
    }
  else if (run.error != NULL)
    {
      fprintf (err, "hearth pull: %s\n", run.error->message);
      status = 1;
    }
  else
    fprintf (out, _("pulled “%s”\n"), hearth_pull_get_name (pull));
  g_clear_error (&run.error);
  g_free (run.last_status);
  g_main_loop_unref (run.loop);
  return status;
}
