/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `hearth serve`: Ollama's HTTP API on this computer's models, headless
 * (no display needed), until interrupted. HEARTH_HOST picks the address,
 * as OLLAMA_HOST does for Ollama; HEARTH_ORIGINS adds web pages that may
 * call it, as OLLAMA_ORIGINS does; HEARTH_API_KEY, where set, is a key that
 * every request must carry (Hearth's own: Ollama has none).
 */

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#include "hearth-cli-commands.h"
#include "hearth-cli-output.h"
#include "hearth-server.h"

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE; /* removed after the loop */
}

int
hearth_cli_serve (HearthContext          *context,
                  const HearthCliCommand *command,
                  int                     argc,
                  char                  **argv,
                  FILE                   *out,
                  FILE                   *err)
{
  const char *spec = g_getenv ("HEARTH_HOST");
  g_autoptr (HearthServer) server = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  g_autofree char *url = NULL;
  guint16 port = 0;
  guint sigint, sigterm;

  if (argc > 1 && hearth_cli_is_option (argv[1]))
    return hearth_cli_unknown_option (err, "serve", argv[1]);
  if (argc > 1)
    {
      fprintf (err, _("hearth serve: no arguments expected; HEARTH_HOST=HOST:PORT picks the address\n"));
      return 2;
    }
  if (!hearth_server_parse_host (spec != NULL && spec[0] != '\0' ? spec : "127.0.0.1", &host, &port, &error))
    {
      fprintf (err, "hearth serve: %s\n", error->message);
      return 2;
    }
  server = hearth_server_new (context);
  if (g_getenv ("HEARTH_MAX_QUEUE") != NULL && g_getenv ("HEARTH_MAX_QUEUE")[0] != '\0')
    {
      guint64 n;

      if (!g_ascii_string_to_unsigned (g_getenv ("HEARTH_MAX_QUEUE"), 10, 1, 100000, &n, NULL))
        {
          fprintf (err, _("hearth serve: HEARTH_MAX_QUEUE must be a number of replies from 1 to 100000, not “%s”\n"),
                   g_getenv ("HEARTH_MAX_QUEUE"));
          return 2;
        }
      hearth_server_set_max_queue (server, (guint) n);
    }
  /* Ctrl+C is heard from before the first line says where to connect: a
   * program that reads it and stops the server at once gets a clean end */
  loop = g_main_loop_new (NULL, FALSE);
  sigint = g_unix_signal_add (SIGINT, quit, loop);
  sigterm = g_unix_signal_add (SIGTERM, quit, loop);
  hearth_server_set_api_key (server, g_getenv ("HEARTH_API_KEY"));
  hearth_server_set_origins (server, g_getenv ("HEARTH_ORIGINS"));
  if (!hearth_server_listen (server, host, port, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        fprintf (err,
                 /* Translators: the port, twice */
                 _("hearth serve: port %u is taken, perhaps by Ollama (systemctl stop ollama) or another\n"
                   "Hearth; HEARTH_HOST=127.0.0.1:PORT listens on another port than %u\n"),
                 port, port);
      else
        fprintf (err, "hearth serve: %s\n", error->message);
      g_source_remove (sigint);
      g_source_remove (sigterm);
      return 1;
    }
  url = hearth_server_get_url (server);
  /* Translators: a URL */
  fprintf (err, _("Hearth is listening on %s (Ctrl+C stops it)\n"), url);
  if (hearth_server_get_needs_api_key (server))
    {
      fprintf (err, _("Requests need the API key that HEARTH_API_KEY sets (Authorization: Bearer KEY)\n"));
      if (hearth_server_is_public (server))
        fprintf (err, _("hearth serve: listening beyond this computer over plain HTTP: the key and what is\n"
                        "said cross the network unencrypted (a TLS proxy in front of Hearth keeps them private)\n"));
    }
  else if (hearth_server_is_public (server))
    fprintf (err, _("hearth serve: WARNING: listening beyond this computer with no API key: anyone on\n"
                    "the network who can reach this address can use these models, and add or\n"
                    "delete them. HEARTH_API_KEY=KEY makes every request need that key (clients\n"
                    "send “Authorization: Bearer KEY”); HEARTH_HOST=127.0.0.1 keeps the server\n"
                    "to this computer.\n"));
  fflush (err);

  g_main_loop_run (loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  return 0;
}
