/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdlib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>

#include "test-common.h"

char *
hearth_test_shared_file (const char *relative)
{
  const char *dir = g_getenv ("HEARTH_SHARED_DIR");
  g_autofree char *path = dir != NULL ? g_build_filename (dir, relative, NULL) : NULL;

  if (path == NULL || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip_printf ("%s is missing (../shared is not beside the checkout)", relative);
      return NULL;
    }
  return g_steal_pointer (&path);
}

GArray *
hearth_test_read_greedy_reference (const char *path)
{
  g_autofree char *text = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (int32_t));
  const char *p;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  p = strstr (text, "ids: [");
  g_assert_nonnull (p);
  p += 6;
  while (*p != ']' && *p != '\0')
    {
      char *end;
      int32_t id = (int32_t) strtol (p, &end, 10);

      g_assert_true (end != p);
      g_array_append_val (ids, id);
      p = end;
      while (*p == ',' || *p == ' ')
        p++;
    }
  return ids;
}

int32_t
hearth_test_argmax (const float *v,
                    uint32_t     n)
{
  uint32_t best = 0;

  for (uint32_t i = 1; i < n; i++)
    if (v[i] > v[best])
      best = i;
  return (int32_t) best;
}

double
hearth_test_nmse (const float *got,
                  const float *want,
                  uint64_t     n)
{
  double err = 0.0, ref = 0.0;

  for (uint64_t i = 0; i < n; i++)
    {
      double d = (double) got[i] - want[i];

      err += d * d;
      ref += (double) want[i] * want[i];
    }
  return ref > 0.0 ? err / ref : err;
}

void
hearth_test_wait_until (gboolean   (*done) (gpointer),
                        gpointer     data,
                        guint        seconds,
                        const char  *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting until %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

char *
hearth_test_list_blobs (const char *root)
{
  g_autofree char *dir = g_build_filename (root, "blobs", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *file;

  while (d != NULL && (file = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (file));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv ("|", (char **) names->pdata);
}

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

char *
hearth_test_serve_model (void)
{
  if (g_getenv ("HEARTH_BINARY") == NULL)
    {
      g_test_skip ("HEARTH_BINARY is not set: no second Hearth to talk to");
      return NULL;
    }
  return hearth_test_shared_file ("models/stories260K.gguf");
}

void
hearth_test_serve_start (HearthTestServe *serve,
                         const char      *models_root,
                         const char      *log_dir,
                         const char      *key)
{
  static guint n;
  g_autofree char *log = g_strdup_printf ("%s/serve-%u.log", log_dir, n++);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr (GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_subprocess_launcher_setenv (launcher, "HEARTH_HOST", "127.0.0.1:0", TRUE);
  g_subprocess_launcher_setenv (launcher, "HEARTH_MODELS", models_root, TRUE);
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "C", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  if (key != NULL)
    g_subprocess_launcher_setenv (launcher, "HEARTH_API_KEY", key, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "HEARTH_API_KEY");
  g_subprocess_launcher_set_stderr_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  serve->proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("HEARTH_BINARY"), "serve",
                                             NULL);
  g_assert_no_error (error);
  while (serve->url == NULL)
    {
      g_autofree char *text = NULL;
      const char *at;

      if (g_get_monotonic_time () > deadline)
        g_error ("hearth serve said no address in 20 s");
      g_usleep (20000);
      if (!g_file_get_contents (log, &text, NULL, NULL))
        continue;
      at = strstr (text, "http://127.0.0.1:");
      if (at != NULL && strchr (at, ' ') != NULL)
        serve->url = g_strndup (at, strcspn (at, " "));
    }
}

void
hearth_test_serve_stop (HearthTestServe *serve)
{
  if (serve->proc != NULL)
    {
      g_subprocess_force_exit (serve->proc);
      g_subprocess_wait (serve->proc, NULL, NULL);
    }
  g_clear_object (&serve->proc);
  g_clear_pointer (&serve->url, g_free);
}
