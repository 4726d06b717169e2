/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pulling from an Ollama registry: a local registry (SoupServer on
 * 127.0.0.1) serves a model whose file is stories260K, and can send the
 * file slowly so that a `hearth pull` can be killed half-way; the next pull
 * must go on with a Range request and end with a model that runs.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <utime.h>

#include "hearth-downloads.h"
#include "hearth-fit.h"
#include "hearth-pull.h"
#include "test-common.h"
#include "test-registry.h"

static char *tmp_dir;

/* The model "stories" in the store at @root runs: greedy stories260K. */
static void
assert_stories_runs (const char *root)
{
  g_autofree char *out = NULL;
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "HEARTH_MODELS", root, TRUE);
  const char *argv[] = { g_getenv ("HEARTH_BINARY"), "run", "--raw", "--temperature", "0",
                         "--num-predict", "12", "stories", "Once upon a time", NULL };
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, &out, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_true (g_str_has_prefix (out, ", there was a little girl named Lily."));
}

/* ---- in process ------------------------------------------------------------ */

typedef struct {
  gboolean done;
  GError *error;
  guint64 last_done;
  gboolean backwards;
  guint64 manifest_total;   /* the size said when ::manifest came (the fit check's) */
} PullWait;

static void
on_manifest (HearthPull *pull,
             PullWait   *w)
{
  w->manifest_total = hearth_pull_get_bytes_total (pull);
}

static void
on_progress (HearthPull *pull,
             PullWait   *w)
{
  if (hearth_pull_get_bytes_done (pull) < w->last_done)
    w->backwards = TRUE;
  w->last_done = hearth_pull_get_bytes_done (pull);
}

static void
on_finished (HearthPull   *pull,
             const GError *error,
             PullWait     *w)
{
  w->done = TRUE;
  if (error != NULL)
    w->error = g_error_copy (error);
}

static void
pull_and_wait (HearthStore *store,
               const char  *name,
               PullWait    *w)
{
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthPull) pull = hearth_pull_new (store, session, name, &error);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_no_error (error);
  g_signal_connect (pull, "progress", G_CALLBACK (on_progress), w);
  g_signal_connect (pull, "manifest", G_CALLBACK (on_manifest), w);
  g_signal_connect (pull, "finished", G_CALLBACK (on_finished), w);
  hearth_pull_start (pull);
  while (!w->done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (w->done);
}

/* The store's model @name holds the bytes the test registry serves. */
static void
assert_model_is_served (HearthStore *store,
                        const char  *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = hearth_store_get_model_path (store, name, &error);
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpmem (data, len, g_bytes_get_data (test_registry.model, NULL),
                   g_bytes_get_size (test_registry.model));
}

static void
test_pull_in_process (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-a", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (HearthModelName) name = hearth_model_name_parse ("stories", NULL);
  g_autofree char *manifest_path = hearth_model_name_manifest_path (name, root);
  g_autofree char *manifest = NULL;
  g_autofree char *model = NULL;
  g_autoptr (GError) error = NULL;
  PullWait w = { 0 };
  PullWait missing = { 0 };

  pull_and_wait (store, "stories", &w);
  g_assert_no_error (w.error);
  g_assert_cmpuint (w.manifest_total, ==,
                    g_bytes_get_size (test_registry.model) + strlen (test_registry.config));
  g_assert_false (w.backwards);
  /* the manifest byte for byte as the registry sent it, the blobs by digest */
  g_assert_true (g_file_get_contents (manifest_path, &manifest, NULL, NULL));
  g_assert_cmpstr (manifest, ==, test_registry.manifest);
  model = hearth_store_get_model_path (store, "stories", &error);
  g_assert_no_error (error);
  assert_model_is_served (store, "stories");

  /* the registry from the setting (the environment variable unset): a
   * second name for the same model, nothing downloaded again */
  {
    g_autoptr (GSettings) settings = g_settings_new ("io.github.hearth.Hearth");
    g_autoptr (GPtrArray) models = NULL;
    PullWait again = { 0 };

    g_unsetenv ("HEARTH_REGISTRY");
    g_settings_set_string (settings, "registry-url", test_registry.base);
    pull_and_wait (store, "stories:latest", &again);
    g_assert_no_error (again.error);
    g_settings_set_string (settings, "registry-url", "ftp://example.org");
    {
      g_autoptr (SoupSession) session = soup_session_new ();
      g_autoptr (HearthPull) refused = hearth_pull_new (store, session, "stories", &error);

      g_assert_null (refused);
      g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME);
      g_assert_nonnull (strstr (error->message, "“ftp://example.org” is not an address"));
      g_clear_error (&error);
    }
    g_settings_reset (settings, "registry-url");
    g_setenv ("HEARTH_REGISTRY", test_registry.base, TRUE);
    models = hearth_store_list (store, NULL);
    g_assert_cmpuint (models->len, ==, 1);
  }

  /* a name the registry does not have */
  pull_and_wait (store, "nothing:here", &missing);
  g_assert_error (missing.error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (missing.error->message, "no model named “nothing:here”"));
  g_clear_error (&missing.error);
  g_clear_error (&w.error);
}

/* ---- Hugging Face files ------------------------------------------------------ */

static void
test_pull_hf_files (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-hf", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  g_autofree char *url = g_strdup_printf ("%s/u/r/resolve/main/stories-Q8_0.gguf", test_registry.base);
  g_autofree char *bad = g_strdup_printf ("%s/u/r/resolve/main/bad-F16.gguf", test_registry.base);
  PullWait by_tag = { 0 }, by_url = { 0 }, missing = { 0 }, junk = { 0 };

  g_setenv ("HEARTH_HF_ENDPOINT", test_registry.base, TRUE);

  /* hf.co/USER/REPO:QUANT through the mirror's file list (any case) */
  pull_and_wait (store, "hf.co/u/r:q8_0", &by_tag);
  g_assert_no_error (by_tag.error);
  assert_model_is_served (store, "hf.co/u/r:q8_0");

  /* a quantization the repository does not have: its GGUF files listed */
  pull_and_wait (store, "hf.co/u/r:Q5_K_M", &missing);
  g_assert_error (missing.error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (missing.error->message, "stories-Q8_0.gguf, sub/other-Q4_K_M.gguf"));

  /* a file's address: the model is named after the repository and quant */
  {
    g_autoptr (SoupSession) session = soup_session_new ();
    g_autoptr (HearthPull) pull = hearth_pull_new (store, session, url, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (hearth_pull_get_name (pull), ==, "hf.co/u/r:Q8_0");
  }
  pull_and_wait (store, url, &by_url);
  g_assert_no_error (by_url.error);
  /* the size is known before the fit check, for a file as for a registry */
  g_assert_cmpuint (by_url.manifest_total, ==, g_bytes_get_size (test_registry.model));
  {
    g_autofree char *path = hearth_store_get_model_path (store, "hf.co/u/r:Q8_0", &error);

    g_assert_no_error (error);
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  }

  /* a file that is not a model leaves nothing behind */
  pull_and_wait (store, bad, &junk);
  g_assert_error (junk.error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT);
  g_assert_nonnull (strstr (junk.error->message, "is not a GGUF model file"));
  /* named by its address, not by where it lay in the store for a moment */
  {
    g_autofree char *expected = g_strdup_printf ("%s is not a GGUF model file: not a GGUF file (it "
                                                 "does not start with \"GGUF\")", bad);

    g_assert_cmpstr (junk.error->message, ==, expected);
  }
  {
    g_autoptr (GPtrArray) models = hearth_store_list (store, NULL);

    g_assert_cmpuint (models->len, ==, 2);
  }

  g_unsetenv ("HEARTH_HF_ENDPOINT");
  g_clear_error (&by_tag.error);
  g_clear_error (&by_url.error);
  g_clear_error (&missing.error);
  g_clear_error (&junk.error);
}

/* A mirror that speaks ModelScope's API (found after Hugging Face's list is
 * a 404): the file by quantization from its master branch, through a
 * redirect, checked against the SHA-256 the list gives; a wrong one is
 * refused and removed; a missing repository or an empty revision named. */
static void
test_pull_modelscope (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-ms", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (GError) error = NULL;
  PullWait good = { 0 }, wrong = { 0 }, none = { 0 }, empty = { 0 };

  g_setenv ("HEARTH_HF_ENDPOINT", test_registry.base, TRUE);
  test_registry.modelscope_requests = 0;

  pull_and_wait (store, "hf.co/ms/r:Q8_0", &good);
  g_assert_no_error (good.error);
  g_assert_cmpuint (test_registry.modelscope_requests, ==, 1);
  assert_model_is_served (store, "hf.co/ms/r:Q8_0");

  /* the bytes do not match the listed SHA-256: corrupt, nothing kept */
  pull_and_wait (store, "hf.co/ms/r:q4_0", &wrong);
  g_assert_nonnull (wrong.error);
  g_assert_nonnull (strstr (wrong.error->message, "corrupt"));
  {
    g_autoptr (GPtrArray) models = hearth_store_list (store, NULL);

    g_assert_cmpuint (models->len, ==, 1);
  }

  pull_and_wait (store, "hf.co/ms/nothing:Q8_0", &none);
  g_assert_error (none.error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (none.error->message, "no repository named “ms/nothing”"));
  pull_and_wait (store, "hf.co/ms/empty:Q8_0", &empty);
  g_assert_error (empty.error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND);

  g_unsetenv ("HEARTH_HF_ENDPOINT");
  g_clear_error (&good.error);
  g_clear_error (&wrong.error);
  g_clear_error (&none.error);
  g_clear_error (&empty.error);
}

/* ---- the command, killed half-way ------------------------------------------ */

typedef struct {
  gboolean exited;
  int status;
} Child;

static void
on_child_exit (GPid     pid,
               int      status,
               gpointer user_data)
{
  Child *c = user_data;

  c->exited = TRUE;
  c->status = status;
  g_spawn_close_pid (pid);
}

static GPid
spawn_hearth (const char *root,
              Child      *child,
              const char *first,
              ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_auto (GStrv) env = g_get_environ ();
  g_autoptr (GError) error = NULL;
  const char *arg;
  va_list ap;
  GPid pid;

  g_ptr_array_add (argv, (char *) g_getenv ("HEARTH_BINARY"));
  va_start (ap, first);
  for (arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  env = g_environ_setenv (env, "HEARTH_MODELS", root, TRUE);
  g_assert_true (g_spawn_async (NULL, (char **) argv->pdata, env,
                                G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                                | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, &error));
  g_assert_no_error (error);
  g_child_watch_add (pid, on_child_exit, child);
  return pid;
}

static guint64
partial_size (const char *root)
{
  g_autofree char *file = g_strdup_printf ("sha256-%s.partial", test_registry.model_digest + 7);
  g_autofree char *path = g_build_filename (root, "blobs", file, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

static void
wait_for (gboolean *flag,
          int       seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_pull_killed_and_resumed (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-b", NULL);
  Child first = { 0 }, second = { 0 };
  gint64 deadline;
  GPid pid;

  if (g_getenv ("HEARTH_BINARY") == NULL)
    {
      g_test_skip ("HEARTH_BINARY is not set (run through meson test)");
      return;
    }

  /* the file comes slowly: the first pull is killed once part of it is on
   * disk */
  test_registry.slow = TRUE;
  test_registry.range_requests = 0;
  pid = spawn_hearth (root, &first, "pull", "stories", NULL);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (partial_size (root) < 64 * 1024 && !first.exited && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (first.exited);
  g_assert_cmpuint (partial_size (root), >=, 64 * 1024);
  kill (pid, SIGKILL);
  wait_for (&first.exited, 10);
  g_assert_true (first.exited);

  /* the second goes on from there */
  test_registry.slow = FALSE;
  spawn_hearth (root, &second, "pull", "stories", NULL);
  wait_for (&second.exited, 30);
  g_assert_true (second.exited);
  g_assert_true (g_spawn_check_wait_status (second.status, NULL));
  g_assert_cmpuint (test_registry.range_requests, >=, 1);
  g_assert_cmpuint (test_registry.last_range_start, >=, 64 * 1024);
  g_assert_cmpuint (partial_size (root), ==, 0);

  /* a pull of what is there says whether it fits and downloads nothing */
  {
    g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "HEARTH_MODELS", root, TRUE);
    const char *argv[] = { g_getenv ("HEARTH_BINARY"), "pull", "stories", NULL };
    g_autoptr (GError) error = NULL;
    guint before = test_registry.range_requests;
    Child again = { 0 };
    char text[4096];
    gssize n;
    GPid again_pid;
    int err_fd = -1;

    g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, env,
                                             G_SPAWN_DO_NOT_REAP_CHILD
                                             | G_SPAWN_STDOUT_TO_DEV_NULL,
                                             NULL, NULL, &again_pid, NULL, NULL, &err_fd,
                                             &error));
    g_assert_no_error (error);
    g_child_watch_add (again_pid, on_child_exit, &again);
    wait_for (&again.exited, 20);
    g_assert_true (again.exited);
    g_assert_true (g_spawn_check_wait_status (again.status, NULL));
    n = read (err_fd, text, sizeof text - 1);
    close (err_fd);
    g_assert_cmpint (n, >, 0);
    text[n] = '\0';
    g_assert_nonnull (strstr (text, "needs about"));
    g_assert_nonnull (strstr (text, "it will run"));
    g_assert_cmpuint (test_registry.range_requests, ==, before);
  }

  assert_stories_runs (root);
}


/* `hearth pull ARGS…` with the store at @root, to its end; its stderr lines
 * into *@lines, with the speed and sizes after each status cut off. */
static int
pull_command (const char   *root,
              const char   *name,
              GStrv        *lines)
{
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "HEARTH_MODELS", root, TRUE);
  const char *argv[] = { g_getenv ("HEARTH_BINARY"), "pull", name, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  Child child = { 0 };
  char buffer[4096];
  gssize n;
  GPid pid;
  int err_fd = -1;

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, env,
                                           G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                                           NULL, NULL, &pid, NULL, NULL, &err_fd, &error));
  g_assert_no_error (error);
  g_child_watch_add (pid, on_child_exit, &child);
  wait_for (&child.exited, 30);
  g_assert_true (child.exited);
  while ((n = read (err_fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, n);
  close (err_fd);
  *lines = g_strsplit (text->str, "\n", -1);
  for (guint i = 0; (*lines)[i] != NULL; i++)
    {
      char *cut = strstr ((*lines)[i], "  ");

      if (cut != NULL)
        *cut = '\0';
    }
  return WIFEXITED (child.status) ? WEXITSTATUS (child.status) : -1;
}

/* `hearth pull NAME` on a terminal (through script(1)), to its end: its
 * lines, each a step redrawn in place (every redraw of a line must be the
 * same step), cut as pull_command () cuts them. NULL where script(1) is
 * missing. */
static GStrv
pull_command_on_terminal (const char *root,
                          const char *name)
{
  g_autofree char *script = g_find_program_in_path ("script");
  g_autofree char *binary = g_shell_quote (g_getenv ("HEARTH_BINARY"));
  g_autofree char *command = NULL;
  g_auto (GStrv) env = g_environ_setenv (g_get_environ (), "HEARTH_MODELS", root, TRUE);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GPtrArray) lines = g_ptr_array_new ();
  g_auto (GStrv) raw = NULL;
  Child child = { 0 };
  char buffer[4096];
  gssize n;
  GPid pid;
  int out_fd = -1;

  if (script == NULL)
    return NULL;
  command = g_strdup_printf ("%s pull %s", binary, name);
  {
    const char *argv[] = { script, "-qec", command, "/dev/null", NULL };

    g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD,
                                             NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
  }
  g_assert_no_error (error);
  g_child_watch_add (pid, on_child_exit, &child);
  wait_for (&child.exited, 30);
  g_assert_true (child.exited);
  while ((n = read (out_fd, buffer, sizeof buffer)) > 0)
    g_string_append_len (text, buffer, n);
  close (out_fd);

  /* the terminal writes "\r\n" for "\n" */
  raw = g_strsplit (text->str, "\r\n", -1);
  for (guint i = 0; raw[i] != NULL; i++)
    {
      g_auto (GStrv) redraws = g_strsplit (raw[i], "\r", -1);
      char *step = NULL;

      for (guint k = 0; redraws[k] != NULL; k++)
        {
          char *cut = strstr (redraws[k], "  ");

          if (cut != NULL)
            *cut = '\0';
          if (*redraws[k] == '\0')
            continue;
          if (step == NULL)
            step = g_strdup (redraws[k]);
          else if (!g_str_equal (step, redraws[k]))
            g_error ("on a terminal, “%s” was drawn over “%s”", redraws[k], step);
        }
      if (step != NULL && !g_str_has_prefix (step, "pulled "))
        g_ptr_array_add (lines, step);
    }
  g_ptr_array_add (lines, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&lines), FALSE);
}

/* Each step of `hearth pull` on its own line, once (on a pipe, one line per
 * step; on a terminal, one line redrawn per step): the manifest, the fit
 * check, each file, the manifest written. */
static void
test_pull_command_lines (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-lines", NULL);
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) missing = NULL;
  g_autofree char *config = g_strdup_printf ("pulling %.12s", test_registry.config_digest + 7);
  g_autofree char *model = g_strdup_printf ("pulling %.12s", test_registry.model_digest + 7);
  g_autofree char *fit_text = NULL;
  g_autofree char *got = NULL;
  g_autofree char *expected = NULL;
  HearthFit fit;

  if (g_getenv ("HEARTH_BINARY") == NULL)
    {
      g_test_skip ("HEARTH_BINARY is not set (run through meson test)");
      return;
    }
  hearth_fit_estimate (g_bytes_get_size (test_registry.model) + strlen (test_registry.config),
                       hearth_fit_gpu_memory (), hearth_fit_system_ram (), &fit);
  fit_text = hearth_fit_describe (&fit);
  /* the fit check's line has two spaces nowhere: cut only statuses */
  g_assert_null (strstr (fit_text, "  "));

  g_assert_cmpint (pull_command (root, "stories", &lines), ==, 0);
  got = g_strjoinv ("|", lines);
  expected = g_strjoin ("|", "pulling manifest", fit_text, config, model, "writing manifest",
                        "success", "", NULL);
  g_assert_cmpstr (got, ==, expected);

  /* the same steps on a terminal, in a store of its own */
  {
    g_autofree char *tty_root = g_build_filename (tmp_dir, "store-lines-tty", NULL);
    g_auto (GStrv) tty = pull_command_on_terminal (tty_root, "stories");
    g_autofree char *tty_got = NULL;
    g_autofree char *tty_expected = g_strjoin ("|", "pulling manifest", fit_text, config, model,
                                               "writing manifest", "success", NULL);

    if (tty == NULL)
      g_test_message ("script(1) is missing: the terminal's lines are not checked");
    else
      {
        tty_got = g_strjoinv ("|", tty);
        g_assert_cmpstr (tty_got, ==, tty_expected);
      }
  }

  /* a model the registry does not have: the one step, then why */
  g_assert_cmpint (pull_command (root, "nothing:here", &missing), ==, 1);
  g_clear_pointer (&got, g_free);
  got = g_strjoinv ("|", missing);
  g_assert_true (g_str_has_prefix (got, "pulling manifest|hearth pull: no model named"));
}

/* ---- the application's downloads: a dropped connection, then a restart ---- */

typedef struct {
  PullWait progress;      /* on_progress () watches the bytes */
  char *added;
} DownloadsWatch;

static void
on_model_added (HearthDownloads *downloads,
                const char      *name,
                DownloadsWatch  *w)
{
  g_free (w->added);
  w->added = g_strdup (name);
}

static gboolean
past_half (gpointer data)
{
  return hearth_pull_get_bytes_done (data) > g_bytes_get_size (test_registry.model) / 2
         && test_registry.drops == 1;
}

static gboolean
model_added (gpointer data)
{
  return ((DownloadsWatch *) data)->added != NULL;
}

static void
test_downloads_restart (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-downloads", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (HearthLibrary) library = hearth_library_new (store);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (HearthDownloads) first = hearth_downloads_new (library, session);
  g_autoptr (HearthDownloads) second = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GError) error = NULL;
  DownloadsWatch w = { 0 };
  HearthPull *pull;
  guint ranges_before;
  guint64 done_before;

  test_registry.slow = TRUE;
  test_registry.drops = 0;
  test_registry.drop_at = g_bytes_get_size (test_registry.model) / 4;
  pull = hearth_downloads_add (first, "stories", &error);
  g_assert_no_error (error);
  g_assert_nonnull (pull);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (first)), ==, 1);
  /* asking again is the same download */
  g_assert_true (hearth_downloads_add (first, "stories:latest", &error) == pull);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (first)), ==, 1);
  g_signal_connect (pull, "progress", G_CALLBACK (on_progress), &w.progress);

  /* the connection drops at a quarter; the download goes on from there */
  ranges_before = test_registry.range_requests;
  hearth_test_wait_until (past_half, pull, 30,
                          "half the model is received after a dropped connection");
  g_assert_cmpuint (test_registry.range_requests, >, ranges_before);
  g_assert_false (w.progress.backwards);
  pending = hearth_store_pending_list (store);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((HearthStorePending *) pending->pdata[0])->name, ==, "stories:latest");
  g_assert_false (((HearthStorePending *) pending->pdata[0])->paused);
  g_clear_pointer (&pending, g_ptr_array_unref);

  /* the application stops in the middle (nothing is said to the pull) */
  done_before = hearth_pull_get_bytes_done (pull);
  g_signal_handlers_disconnect_by_data (pull, &w.progress);
  g_clear_object (&first);

  /* and starts again: the record brings the download back, which goes on
   * with a Range request from where it was */
  second = hearth_downloads_new (library, session);
  g_signal_connect (second, "model-added", G_CALLBACK (on_model_added), &w);
  ranges_before = test_registry.range_requests;
  hearth_downloads_restore (second);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 1);
  pull = hearth_downloads_find (second, "stories");
  g_assert_nonnull (pull);
  g_assert_cmpint (hearth_pull_get_state (pull), ==, HEARTH_PULL_STATE_RUNNING);
  w.progress.last_done = 0;
  g_signal_connect (pull, "progress", G_CALLBACK (on_progress), &w.progress);
  hearth_test_wait_until (model_added, &w, 30, "the model is in the store");
  g_assert_cmpstr (w.added, ==, "stories:latest");
  g_assert_cmpuint (test_registry.range_requests, ==, ranges_before + 1);
  g_assert_cmpuint (test_registry.last_range_start, >=, done_before - strlen (test_registry.config));
  g_assert_false (w.progress.backwards);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (library)), ==, 1);
  pending = hearth_store_pending_list (store);
  g_assert_cmpuint (pending->len, ==, 0);

  /* installed: asking again says so */
  g_assert_null (hearth_downloads_add (second, "stories", &error));
  g_assert_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS);
  g_clear_error (&error);
  test_registry.slow = FALSE;
  g_free (w.added);
  assert_stories_runs (root);
}

static gboolean
has_bytes (gpointer data)
{
  return hearth_pull_get_bytes_done (data) > strlen (test_registry.config) + 65536;
}

/* Paused stays paused across a restart; cancelled leaves nothing. */
static void
test_downloads_pause_cancel (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-cancel", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (HearthLibrary) library = hearth_library_new (store);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (HearthDownloads) first = hearth_downloads_new (library, session);
  g_autoptr (HearthDownloads) second = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *blobs = g_build_filename (root, "blobs", NULL);
  HearthPull *pull;

  test_registry.slow = TRUE;
  test_registry.drop_at = 0;
  pull = hearth_downloads_add (first, "stories", &error);
  g_assert_no_error (error);
  hearth_test_wait_until (has_bytes, pull, 30, "some bytes are received");
  hearth_pull_pause (pull);
  g_assert_cmpint (hearth_pull_get_state (pull), ==, HEARTH_PULL_STATE_PAUSED);
  g_assert_null (hearth_pull_get_error (pull));
  pending = hearth_store_pending_list (store);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_true (((HearthStorePending *) pending->pdata[0])->paused);
  g_clear_pointer (&pending, g_ptr_array_unref);
  g_clear_object (&first);

  second = hearth_downloads_new (library, session);
  hearth_downloads_restore (second);
  pull = hearth_downloads_find (second, "stories");
  g_assert_nonnull (pull);
  g_assert_cmpint (hearth_pull_get_state (pull), !=, HEARTH_PULL_STATE_RUNNING);

  /* cancelled: off the list, no record, no partial file */
  hearth_downloads_cancel (second, pull);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 0);
  pending = hearth_store_pending_list (store);
  g_assert_cmpuint (pending->len, ==, 0);
  {
    g_autoptr (GDir) dir = g_dir_open (blobs, 0, NULL);
    const char *file;

    while (dir != NULL && (file = g_dir_read_name (dir)) != NULL)
      g_assert_false (strstr (file, "partial") != NULL);
  }
  test_registry.slow = FALSE;
}

static gboolean
pull_ended (gpointer data)
{
  HearthPullState state = hearth_pull_get_state (data);

  return state == HEARTH_PULL_STATE_FAILED || state == HEARTH_PULL_STATE_PAUSED
         || state == HEARTH_PULL_STATE_DONE;
}

/* blobs/ holds blobs and the partial files of the pulls in the Downloads
 * list, nothing else: a pull that fails on a corrupt file leaves its
 * config blob (the pull is listed, and goes on from there) but no lock;
 * cancelling it from the list takes the config blob too; and a config blob
 * that an earlier version left for a pull nobody sees goes with the next
 * removal. */
static void
test_corrupt_blob_leaves_nothing (void)
{
  g_autofree char *root = g_build_filename (tmp_dir, "store-corrupt", NULL);
  g_autoptr (HearthStore) store = hearth_store_new (root);
  g_autoptr (HearthLibrary) library = hearth_library_new (store);
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (HearthDownloads) downloads = hearth_downloads_new (library, session);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) pending = NULL;
  g_autofree char *config = g_strdup_printf ("sha256-%s", test_registry.config_digest + 7);
  g_autofree char *config_path = g_build_filename (root, "blobs", config, NULL);
  g_autofree char *listed = NULL;
  HearthPull *pull;

  test_registry.corrupt = TRUE;
  pull = hearth_downloads_add (downloads, "stories", &error);
  g_assert_no_error (error);
  hearth_test_wait_until (pull_ended, pull, 30, "the pull fails");
  test_registry.corrupt = FALSE;
  g_assert_cmpint (hearth_pull_get_state (pull), ==, HEARTH_PULL_STATE_FAILED);
  g_assert_nonnull (strstr (hearth_pull_get_error (pull)->message, "corrupt"));
  /* listed, so its config blob stays; the corrupt file and its lock go */
  listed = hearth_test_list_blobs (root);
  g_assert_cmpstr (listed, ==, config);
  pending = hearth_store_pending_list (store);
  g_assert_cmpuint (pending->len, ==, 1);
  g_clear_pointer (&pending, g_ptr_array_unref);

  /* taken off the list: nothing of it stays */
  hearth_downloads_cancel (downloads, pull);
  g_clear_pointer (&listed, g_free);
  listed = hearth_test_list_blobs (root);
  g_assert_cmpstr (listed, ==, "");

  /* a config blob whose pull nobody sees (its record gone, as an earlier
   * Hearth left it), written a while ago: the next removal takes it */
  g_assert_true (g_file_set_contents (config_path, test_registry.config, -1, NULL));
  {
    struct utimbuf past = { time (NULL) - 3600, time (NULL) - 3600 };
    g_autofree char *gguf = g_build_filename (g_getenv ("HEARTH_SHARED_DIR"), "models",
                                              "stories260K.gguf", NULL);

    g_assert_cmpint (g_utime (config_path, &past), ==, 0);
    g_assert_true (hearth_store_import (store, gguf, "only", FALSE, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (hearth_store_remove (store, "only", NULL, &error));
    g_assert_no_error (error);
  }
  g_clear_pointer (&listed, g_free);
  listed = hearth_test_list_blobs (root);
  g_assert_cmpstr (listed, ==, "");
}

static void
test_needs_shared (void)
{
  g_free (hearth_test_shared_file ("models/stories260K.gguf"));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *model = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("hearth-test-pull-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  if (g_getenv ("HEARTH_SHARED_DIR") != NULL)
    model = g_build_filename (g_getenv ("HEARTH_SHARED_DIR"), "models", "stories260K.gguf", NULL);
  if (model == NULL || !g_file_test (model, G_FILE_TEST_IS_REGULAR))
    {
      /* skips, saying which file is missing */
      g_test_add_func ("/pull/needs-shared", test_needs_shared);
      return g_test_run ();
    }
  test_registry_start (model);
  g_test_add_func ("/pull/in-process", test_pull_in_process);
  g_test_add_func ("/pull/hf-files", test_pull_hf_files);
  g_test_add_func ("/pull/modelscope", test_pull_modelscope);
  g_test_add_func ("/pull/killed-and-resumed", test_pull_killed_and_resumed);
  g_test_add_func ("/pull/command-lines", test_pull_command_lines);
  g_test_add_func ("/pull/downloads-restart", test_downloads_restart);
  g_test_add_func ("/pull/downloads-pause-cancel", test_downloads_pause_cancel);
  g_test_add_func ("/pull/corrupt-blob-leaves-nothing", test_corrupt_blob_leaves_nothing);
  status = g_test_run ();

  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", tmp_dir);

    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", tmp_dir);
  }
  return status;
}
