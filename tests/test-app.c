/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * app/ tests that need no display: the CLI (in process and through the real
 * binary) and HearthApplication's construction.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth-app-server.h"
#include "hearth-application.h"
#include "hearth-server.h"
#include "hearth-cli.h"

typedef struct
{
  int status;
  char *out;
  char *err;
} CliResult;

static void
cli_result_clear (CliResult *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliResult, cli_result_clear)

/* Runs `hearth ARGS…` in process, capturing both streams. */
static CliResult
run_cli (const char *first,
         ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  CliResult r = { 0 };
  size_t out_len = 0, err_len = 0;
  FILE *out, *err;
  va_list ap;

  g_ptr_array_add (args, (char *) "hearth");
  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  out = open_memstream (&r.out, &out_len);
  err = open_memstream (&r.err, &err_len);
  r.status = hearth_cli_run ((int) args->len - 1, (char **) args->pdata, out, err);
  fclose (out);
  fclose (err);
  return r;
}

static void
test_cli_wants (void)
{
  char *none[] = { (char *) "hearth", NULL };
  char *one[] = { (char *) "hearth", (char *) "--version", NULL };

  g_assert_false (hearth_cli_wants (1, none));
  g_assert_true (hearth_cli_wants (2, one));
}

static void
test_cli_version (void)
{
  const char *spellings[] = { "--version", "-v", "version" };

  for (gsize i = 0; i < G_N_ELEMENTS (spellings); i++)
    {
      g_auto (CliResult) r = run_cli (spellings[i], NULL);

      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.out, ==, "hearth " PACKAGE_VERSION "\n");
      g_assert_cmpstr (r.err, ==, "");
    }

  {
    g_auto (CliResult) r = run_cli ("version", "extra", NULL);

    g_assert_cmpint (r.status, ==, 2);
    g_assert_cmpstr (r.out, ==, "");
    g_assert_nonnull (strstr (r.err, "takes no arguments"));
  }
}

static void
test_cli_help (void)
{
  const char *spellings[] = { "help", "--help", "-h" };

  for (gsize i = 0; i < G_N_ELEMENTS (spellings); i++)
    {
      g_auto (CliResult) r = run_cli (spellings[i], NULL);

      g_assert_cmpint (r.status, ==, 0);
      g_assert_cmpstr (r.err, ==, "");
      g_assert_true (g_str_has_prefix (r.out, "Hearth runs large language models"));
      /* Names are padded to the longest one, "tokenize". */
      g_assert_nonnull (strstr (r.out, "\n  help      Show help for Hearth or for one command\n"));
      g_assert_nonnull (strstr (r.out, "\n  tokenize  Print the token ids a model sees for a text\n"));
      g_assert_nonnull (strstr (r.out, "\n  version   Print the version of Hearth\n"));
      g_assert_nonnull (strstr (r.out, "hearth help COMMAND"));
    }
}

static void
test_cli_help_command (void)
{
  g_auto (CliResult) r = run_cli ("help", "version", NULL);
  g_auto (CliResult) r2 = run_cli ("version", "--help", NULL);
  g_auto (CliResult) r3 = run_cli ("help", "help", NULL);

  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "Usage:\n  hearth version\n\nPrint the version of Hearth\n");
  g_assert_cmpint (r2.status, ==, 0);
  g_assert_cmpstr (r2.out, ==, r.out);
  g_assert_cmpint (r3.status, ==, 0);
  g_assert_true (g_str_has_prefix (r3.out, "Usage:\n  hearth help [COMMAND]\n"));
}

static void
test_cli_unknown (void)
{
  g_auto (CliResult) r = run_cli ("frobnicate", NULL);
  g_auto (CliResult) r2 = run_cli ("--frobnicate", NULL);
  g_auto (CliResult) r3 = run_cli ("help", "frobnicate", NULL);
  g_auto (CliResult) r4 = run_cli ("help", "a", "b", NULL);

  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  g_assert_cmpstr (r.err, ==,
                   "hearth: unknown command “frobnicate”. Run “hearth help” for the list of commands.\n");

  g_assert_cmpint (r2.status, ==, 2);
  g_assert_nonnull (strstr (r2.err, "unknown option “--frobnicate”"));

  g_assert_cmpint (r3.status, ==, 2);
  g_assert_nonnull (strstr (r3.err, "unknown command “frobnicate”"));

  g_assert_cmpint (r4.status, ==, 2);
  g_assert_nonnull (strstr (r4.err, "too many arguments"));
}


/* `hearth tokenize`: the ids of a prompt, BOS first where the model adds one. */
static void
test_cli_tokenize (void)
{
  const char *shared = g_getenv ("HEARTH_SHARED_DIR");
  g_autofree char *spm = NULL;
  g_autofree char *gpt2 = NULL;

  if (shared == NULL)
    {
      g_test_skip ("HEARTH_SHARED_DIR is not set (run through meson test)");
      return;
    }
  spm = g_build_filename (shared, "models", "vocab", "ggml-vocab-llama-spm.gguf", NULL);
  gpt2 = g_build_filename (shared, "models", "vocab", "ggml-vocab-gpt-2.gguf", NULL);
  if (!g_file_test (spm, G_FILE_TEST_EXISTS) || !g_file_test (gpt2, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the shared test vocabularies are missing");
      return;
    }

  {
    g_auto (CliResult) r = run_cli ("tokenize", spm, "Hello world", NULL);
    g_auto (CliResult) r2 = run_cli ("tokenize", spm, "Hello world", "--no-bos", NULL);
    g_auto (CliResult) r3 = run_cli ("tokenize", gpt2, "Hello<|endoftext|> world", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "1 15043 3186\n");
    g_assert_cmpstr (r.err, ==, "");
    g_assert_cmpint (r2.status, ==, 0);
    g_assert_cmpstr (r2.out, ==, "15043 3186\n");
    /* gpt2 adds no BOS; the special token in the text is one id. */
    g_assert_cmpint (r3.status, ==, 0);
    g_assert_cmpstr (r3.out, ==, "15496 50256 995\n");
  }
  {
    g_auto (CliResult) r = run_cli ("tokenize", spm, NULL);
    g_auto (CliResult) r2 = run_cli ("tokenize", "/nonexistent/model.gguf", "hi", NULL);
    g_auto (CliResult) r3 = run_cli ("tokenize", spm, "a", "b", NULL);
    g_auto (CliResult) r4 = run_cli ("tokenize", spm, "--frobnicate", NULL);

    g_assert_cmpint (r.status, ==, 2);
    g_assert_nonnull (strstr (r.err, "usage: hearth tokenize MODEL TEXT"));
    g_assert_cmpint (r2.status, ==, 1);
    g_assert_cmpstr (r2.err, ==, "hearth tokenize: cannot open /nonexistent/model.gguf: No such file or directory\n");
    g_assert_cmpint (r3.status, ==, 2);
    g_assert_nonnull (strstr (r3.err, "too many arguments"));
    g_assert_cmpint (r4.status, ==, 2);
    g_assert_nonnull (strstr (r4.err, "unknown option “--frobnicate”"));
    g_assert_cmpstr (r4.out, ==, "");
  }
}

/* `hearth template`: exit 0 with the prompt exactly, 1 for bad input, 2 for
 * usage errors, 3 when the template fails. */
static void
test_cli_template (void)
{
  g_autofree char *dir = g_dir_make_tmp ("hearth-template-XXXXXX", NULL);
  g_autofree char *tpl = g_build_filename (dir, "t.jinja", NULL);
  g_autofree char *bad_tpl = g_build_filename (dir, "bad.jinja", NULL);
  g_autofree char *ctx = g_build_filename (dir, "c.json", NULL);
  g_autofree char *bad_json = g_build_filename (dir, "bad.json", NULL);
  g_autofree char *list_json = g_build_filename (dir, "list.json", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.json", NULL);

  g_assert_true (g_file_set_contents (tpl, "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                                           "{{ strftime_now('%Y') }}", -1, NULL));
  g_assert_true (g_file_set_contents (bad_tpl, "ok\n{{ raise_exception('roles must alternate') }}", -1, NULL));
  g_assert_true (g_file_set_contents (ctx, "{\"messages\": [{\"role\": \"user\", \"content\": \"你好\"}]}", -1, NULL));
  g_assert_true (g_file_set_contents (bad_json, "{\"messages\": [}", -1, NULL));
  g_assert_true (g_file_set_contents (list_json, "[1]", -1, NULL));

  {
    g_auto (CliResult) r = run_cli ("template", tpl, "--context", ctx, "--now", "1732406400", NULL);

    g_assert_cmpint (r.status, ==, 0);
    g_assert_cmpstr (r.out, ==, "user: 你好\n2024");
    g_assert_cmpstr (r.err, ==, "");
  }
  {
    g_auto (CliResult) r = run_cli ("template", bad_tpl, "--context", ctx, NULL);

    g_assert_cmpint (r.status, ==, 3);
    g_assert_cmpstr (r.out, ==, "");
    g_assert_nonnull (strstr (r.err, "line 2: roles must alternate"));
  }
  {
    g_auto (CliResult) r = run_cli ("template", tpl, "--context", bad_json, NULL);
    g_auto (CliResult) r2 = run_cli ("template", tpl, "--context", list_json, NULL);
    g_auto (CliResult) r3 = run_cli ("template", tpl, "--context", missing, NULL);

    g_assert_cmpint (r.status, ==, 1);
    g_assert_nonnull (strstr (r.err, "is not valid JSON: JSON error at line 1, column 15"));
    g_assert_cmpint (r2.status, ==, 1);
    g_assert_nonnull (strstr (r2.err, "must hold one JSON object"));
    g_assert_cmpint (r3.status, ==, 1);
    g_assert_nonnull (strstr (r3.err, "cannot read the context"));
  }
  {
    g_auto (CliResult) r = run_cli ("template", tpl, NULL);
    g_auto (CliResult) r2 = run_cli ("template", tpl, "--context", ctx, "--now", "soon", NULL);
    g_auto (CliResult) r3 = run_cli ("template", tpl, "--context", ctx, "--frobnicate", NULL);

    g_assert_cmpint (r.status, ==, 2);
    g_assert_cmpint (r2.status, ==, 2);
    g_assert_cmpint (r3.status, ==, 2);
  }

  g_unlink (tpl);
  g_unlink (bad_tpl);
  g_unlink (ctx);
  g_unlink (bad_json);
  g_unlink (list_json);
  g_rmdir (dir);
}

/* Runs the real binary with @args under @env; returns its exit status
 * (-1 when it did not exit normally). */
static int
spawn_hearth (const char  *binary,
              GStrv        env,
              const char  *arg,
              char       **out,
              char       **err)
{
  const char *argv[] = { binary, arg, NULL };
  g_autoptr (GError) error = NULL;
  int wait_status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &wait_status, &error));
  g_assert_no_error (error);
  return WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
}

/* The real binary: the CLI must work without any display. */
static void
test_binary_without_display (void)
{
  const char *binary = g_getenv ("HEARTH_BINARY");
  g_auto (GStrv) env = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (binary == NULL)
    {
      g_test_skip ("HEARTH_BINARY is not set (run through meson test)");
      return;
    }

  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");

  g_assert_cmpint (spawn_hearth (binary, env, "--version", &out, &err), ==, 0);
  g_assert_cmpstr (out, ==, "hearth " PACKAGE_VERSION "\n");
  g_assert_cmpstr (err, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (spawn_hearth (binary, env, "help", &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "Commands:"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (spawn_hearth (binary, env, "no-such-command", &out, &err), ==, 2);
  g_assert_nonnull (strstr (err, "unknown command “no-such-command”"));
}

/* Without the settings schema, the window must not abort inside GSettings:
 * it says what to do and exits 1. */
static void
test_binary_without_schema (void)
{
  const char *binary = g_getenv ("HEARTH_BINARY");
  g_auto (GStrv) env = g_get_environ ();
  g_autofree char *empty_dir = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;

  if (binary == NULL)
    {
      g_test_skip ("HEARTH_BINARY is not set (run through meson test)");
      return;
    }

  empty_dir = g_dir_make_tmp ("hearth-no-schema-XXXXXX", &error);
  g_assert_no_error (error);
  env = g_environ_unsetenv (env, "DISPLAY");
  env = g_environ_unsetenv (env, "WAYLAND_DISPLAY");
  env = g_environ_setenv (env, "GSETTINGS_SCHEMA_DIR", empty_dir, TRUE);
  env = g_environ_setenv (env, "XDG_DATA_DIRS", empty_dir, TRUE);

  g_assert_cmpint (spawn_hearth (binary, env, NULL, &out, &err), ==, 1);
  g_assert_nonnull (strstr (err, "io.github.hearth.Hearth is not installed"));
  g_assert_nonnull (strstr (err, "meson devenv -C build hearth"));
  g_rmdir (empty_dir);
}

static GtkWindow *
counting_factory (HearthApplication *app,
                  gpointer           user_data)
{
  (*(int *) user_data)++;
  return NULL;
}

static void
test_application_new (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthApplication) app = NULL;
  int calls = 0;

  app = hearth_application_new (G_APPLICATION_NON_UNIQUE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (app);
  g_assert_cmpstr (g_application_get_application_id (G_APPLICATION (app)), ==, APPLICATION_ID);
  g_assert_cmpstr (g_application_get_resource_base_path (G_APPLICATION (app)), ==, RESOURCE_BASE);

  g_assert_nonnull (hearth_application_get_settings (app));
  g_assert_cmpint (g_settings_get_int (hearth_application_get_settings (app), "window-width"), ==, 960);

  /* No factory: no window, and a warning instead of a crash. */
  g_test_expect_message ("hearth-application", G_LOG_LEVEL_WARNING, "*No window factory*");
  g_assert_null (hearth_application_open_window (app));
  g_test_assert_expected_messages ();

  hearth_application_set_window_factory (app, counting_factory, &calls);
  g_assert_null (hearth_application_open_window (app));
  g_assert_cmpint (calls, ==, 1);
}

/* Iterates the main context until "serve" is @on (the app server turns it
 * back off from an idle), or fails after 5 s. */
static void
wait_serve (GSettings *settings,
            gboolean   on)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (g_settings_get_boolean (settings, "serve") != on && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpint (g_settings_get_boolean (settings, "serve"), ==, on);
}

/* The server inside the app, without a window: HEARTH_HOST over the
 * settings, a token beyond this computer (the same for the whole run; or
 * HEARTH_API_KEY's), a taken port said and "serve" turned back off, a bad
 * HEARTH_HOST said. */
static void
test_app_server (void)
{
  g_autoptr (GSettings) settings = g_settings_new (APPLICATION_ID);
  g_autoptr (HearthContext) context = hearth_context_new (settings);
  g_autofree char *first_token = NULL;

  g_unsetenv ("HEARTH_API_KEY");

  /* HEARTH_HOST chooses, the port setting does not move it */
  {
    g_autoptr (HearthAppServer) server = NULL;
    g_autofree char *url = NULL;
    g_autofree char *again = NULL;

    g_setenv ("HEARTH_HOST", "127.0.0.1:0", TRUE);
    server = hearth_app_server_new (context, settings);
    g_unsetenv ("HEARTH_HOST");
    g_assert_cmpstr (hearth_app_server_get_host_override (server), ==, "127.0.0.1:0");
    g_assert_false (hearth_app_server_get_running (server));
    g_settings_set_boolean (settings, "serve", TRUE);
    g_assert_true (hearth_app_server_get_running (server));
    url = hearth_app_server_dup_url (server);
    g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:"));
    g_assert_false (g_str_has_suffix (url, ":0"));
    g_assert_false (g_str_has_suffix (url, "/"));
    g_assert_false (hearth_app_server_get_public (server));
    g_assert_null (hearth_app_server_get_token (server));
    g_settings_set_int (settings, "serve-port", 11500);
    again = hearth_app_server_dup_url (server);
    g_assert_cmpstr (again, ==, url);
    g_settings_set_boolean (settings, "serve", FALSE);
    g_assert_false (hearth_app_server_get_running (server));
    g_settings_reset (settings, "serve-port");
  }

  /* beyond this computer: a token, the same for the whole run */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (HearthAppServer) server = NULL;
      const char *token;

      g_setenv ("HEARTH_HOST", "0.0.0.0:0", TRUE);
      server = hearth_app_server_new (context, settings);
      g_unsetenv ("HEARTH_HOST");
      g_settings_set_boolean (settings, "serve", TRUE);
      g_assert_true (hearth_app_server_get_running (server));
      g_assert_true (hearth_app_server_get_public (server));
      token = hearth_app_server_get_token (server);
      g_assert_nonnull (token);
      g_assert_cmpuint (strlen (token), ==, 32);
      g_assert_false (hearth_app_server_get_token_from_env (server));
      if (first_token == NULL)
        first_token = g_strdup (token);
      else
        /* another HearthAppServer (another run of Hearth): another token */
        g_assert_cmpstr (token, !=, first_token);
      g_settings_set_boolean (settings, "serve", FALSE);
    }

  /* HEARTH_API_KEY's, on loopback too (as `hearth serve`) */
  {
    g_autoptr (HearthAppServer) server = NULL;

    g_setenv ("HEARTH_HOST", "127.0.0.1:0", TRUE);
    g_setenv ("HEARTH_API_KEY", "a key of one's own", TRUE);
    server = hearth_app_server_new (context, settings);
    g_settings_set_boolean (settings, "serve", TRUE);
    g_assert_cmpstr (hearth_app_server_get_token (server), ==, "a key of one's own");
    g_assert_true (hearth_app_server_get_token_from_env (server));
    g_settings_set_boolean (settings, "serve", FALSE);
    g_unsetenv ("HEARTH_HOST");
    g_unsetenv ("HEARTH_API_KEY");
  }

  /* a port taken: said, with the port, and "serve" back off; a new port
   * clears it */
  {
    g_autoptr (GSocket) squatter = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                                 G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
    g_autoptr (GSocketAddress) bound = NULL;
    g_autoptr (HearthAppServer) server = hearth_app_server_new (context, settings);
    g_autofree char *port = NULL;
    const GError *error;

    g_assert_true (g_socket_bind (squatter, any, FALSE, NULL));
    g_assert_true (g_socket_listen (squatter, NULL));
    bound = g_socket_get_local_address (squatter, NULL);
    port = g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
    g_settings_set_int (settings, "serve-port", atoi (port));
    g_test_expect_message ("hearth-app-server", G_LOG_LEVEL_MESSAGE, "*taken*");
    g_settings_set_boolean (settings, "serve", TRUE);
    g_test_assert_expected_messages ();
    g_assert_false (hearth_app_server_get_running (server));
    error = hearth_app_server_get_error (server);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
    g_assert_nonnull (strstr (error->message, port));
    wait_serve (settings, FALSE);
    g_assert_nonnull (hearth_app_server_get_error (server));
    g_settings_reset (settings, "serve-port");
    g_assert_null (hearth_app_server_get_error (server));
  }

  /* a HEARTH_HOST that is no address: said */
  {
    g_autoptr (HearthAppServer) server = NULL;

    g_setenv ("HEARTH_HOST", "ftp://example.org", TRUE);
    server = hearth_app_server_new (context, settings);
    g_unsetenv ("HEARTH_HOST");
    g_test_expect_message ("hearth-app-server", G_LOG_LEVEL_MESSAGE, "*HEARTH_HOST*");
    g_settings_set_boolean (settings, "serve", TRUE);
    g_test_assert_expected_messages ();
    g_assert_false (hearth_app_server_get_running (server));
    g_assert_error (hearth_app_server_get_error (server), HEARTH_SERVER_ERROR,
                    HEARTH_SERVER_ERROR_INVALID_HOST);
    wait_serve (settings, FALSE);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  g_test_add_func ("/app/cli/wants", test_cli_wants);
  g_test_add_func ("/app/cli/version", test_cli_version);
  g_test_add_func ("/app/cli/help", test_cli_help);
  g_test_add_func ("/app/cli/help-command", test_cli_help_command);
  g_test_add_func ("/app/cli/unknown", test_cli_unknown);
  g_test_add_func ("/app/cli/tokenize", test_cli_tokenize);
  g_test_add_func ("/app/cli/template", test_cli_template);
  g_test_add_func ("/app/binary/without-display", test_binary_without_display);
  g_test_add_func ("/app/binary/without-schema", test_binary_without_schema);
  g_test_add_func ("/app/application/new", test_application_new);
  g_test_add_func ("/app/application/server", test_app_server);

  return g_test_run ();
}
