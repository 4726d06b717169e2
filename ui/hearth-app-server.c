/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-app-server"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <string.h>
#include <sys/random.h>

#include "hearth-app-server.h"
#include "hearth-server.h"

struct _HearthAppServer
{
  GObject parent_instance;

  /* owned */
  HearthContext *context;   /* the application's: the window's models are the server's */
  GSettings *settings;
  HearthServer *server;     /* while it listens */
  GError *error;            /* the last try to listen, failed */
  char *token;              /* made when first needed, never written anywhere */
  char *host_override;      /* HEARTH_HOST, read once */
  guint turn_off_id;        /* an idle that turns "serve" back off after a failure */
};

G_DEFINE_FINAL_TYPE (HearthAppServer, hearth_app_server, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* A token nobody can guess: 24 bytes of the system's random source (not
 * GRand, which is predictable), base64url, 32 characters. */
static char *
make_token (void)
{
  guint8 bytes[24];
  gsize have = 0;
  char *text;

  while (have < sizeof bytes)
    {
      gssize n = getrandom (bytes + have, sizeof bytes - have, 0);

      if (n < 0 && errno == EINTR)
        continue;
      /* getrandom () fails only on kernels older than 3.17 */
      g_assert (n > 0);
      have += (gsize) n;
    }
  text = g_base64_encode (bytes, sizeof bytes);
  for (char *c = text; *c != '\0'; c++)
    *c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
  return text;
}

/* The address and port to listen on: HEARTH_HOST's, or the settings'. */
static gboolean
get_target (HearthAppServer  *self,
            char            **host,
            guint16          *port,
            GError          **error)
{
  if (self->host_override != NULL)
    return hearth_server_parse_host (self->host_override, host, port, error);
  *host = g_strdup (g_settings_get_boolean (self->settings, "serve-beyond-this-computer") ? "0.0.0.0"
                                                                                          : "127.0.0.1");
  *port = (guint16) g_settings_get_int (self->settings, "serve-port");
  return TRUE;
}

static void
stop_server (HearthAppServer *self)
{
  if (self->server == NULL)
    return;
  /* the connections close now, a reply under way included; the server
   * itself goes when that reply has finished */
  hearth_server_stop (self->server);
  g_clear_object (&self->server);
}

/* Why @error (from listening on @port) stops the server, for a person. */
static GError *
explain_error (HearthAppServer *self,
               const GError    *error,
               guint16          port)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
    {
      if (self->host_override != NULL)
        return g_error_new (G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                            /* Translators: a port number; HEARTH_HOST is an environment variable */
                            _("Port %u is taken, perhaps by Ollama; HEARTH_HOST chooses this port"),
                            port);
      return g_error_new (G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                          /* Translators: a port number */
                          _("Port %u is taken, perhaps by Ollama; choose another port"), port);
    }
  if (error->domain == HEARTH_SERVER_ERROR)
    return g_error_copy (error);
  return g_error_new (error->domain, error->code,
                      /* Translators: a port number, then the system's words */
                      _("Hearth cannot listen on port %u: %s"), port, error->message);
}

static gboolean
turn_off_cb (gpointer data)
{
  HearthAppServer *self = data;

  self->turn_off_id = 0;
  if (self->server == NULL && self->error != NULL)
    g_settings_set_boolean (self->settings, "serve", FALSE);
  return G_SOURCE_REMOVE;
}

/* Listens, or not, as the settings say; a failure turns "serve" off. */
static void
apply (HearthAppServer *self)
{
  g_autoptr (HearthServer) server = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  const char *env_key = g_getenv ("HEARTH_API_KEY");
  guint16 port = 0;

  stop_server (self);
  if (!g_settings_get_boolean (self->settings, "serve"))
    {
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    }

  g_clear_error (&self->error);
  server = hearth_server_new (self->context);
  hearth_server_set_origins (server, g_getenv ("HEARTH_ORIGINS"));
  if (!get_target (self, &host, &port, &error) || !hearth_server_listen (server, host, port, &error))
    {
      self->error = explain_error (self, error, port);
      g_message ("%s", self->error->message);
      /* the switch goes back off (re-entering here, which keeps the error),
       * from an idle: "serve" may be being written by a binding to that
       * very switch, which would not hear of a change made inside its own */
      if (self->turn_off_id == 0)
        self->turn_off_id = g_idle_add (turn_off_cb, self);
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    }
  /* set before the main loop runs again, so before any request is read */
  if (env_key != NULL && env_key[0] != '\0')
    hearth_server_set_api_key (server, env_key);
  else if (hearth_server_is_public (server))
    {
      if (self->token == NULL)
        self->token = make_token ();
      hearth_server_set_api_key (server, self->token);
    }
  self->server = g_steal_pointer (&server);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
serve_changed_cb (GSettings       *settings,
                  const char      *key,
                  HearthAppServer *self)
{
  /* a change that only says the server is already as wanted */
  if (g_settings_get_boolean (settings, "serve") == (self->server != NULL))
    {
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    }
  apply (self);
}

static void
address_changed_cb (GSettings       *settings,
                    const char      *key,
                    HearthAppServer *self)
{
  /* a new port: the old one's failure no longer applies */
  g_clear_error (&self->error);
  if (self->server != NULL && self->host_override == NULL)
    apply (self);
  else
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
hearth_app_server_dispose (GObject *object)
{
  HearthAppServer *self = HEARTH_APP_SERVER (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_handle_id (&self->turn_off_id, g_source_remove);
  stop_server (self);
  g_clear_object (&self->settings);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (hearth_app_server_parent_class)->dispose (object);
}

static void
hearth_app_server_finalize (GObject *object)
{
  HearthAppServer *self = HEARTH_APP_SERVER (object);

  g_clear_error (&self->error);
  g_free (self->token);
  g_free (self->host_override);

  G_OBJECT_CLASS (hearth_app_server_parent_class)->finalize (object);
}

static void
hearth_app_server_class_init (HearthAppServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_app_server_dispose;
  object_class->finalize = hearth_app_server_finalize;

  /* Whether it runs, where, its token or its error may have changed. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
hearth_app_server_init (HearthAppServer *self)
{
  const char *host = g_getenv ("HEARTH_HOST");

  if (host != NULL && host[0] != '\0')
    self->host_override = g_strdup (host);
}

/* ---- public API ---------------------------------------------------------- */

HearthAppServer *
hearth_app_server_new (HearthContext *context,
                       GSettings     *settings)
{
  HearthAppServer *self;

  g_return_val_if_fail (HEARTH_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (HEARTH_TYPE_APP_SERVER, NULL);
  self->context = g_object_ref (context);
  self->settings = g_object_ref (settings);
  g_signal_connect (settings, "changed::serve", G_CALLBACK (serve_changed_cb), self);
  g_signal_connect (settings, "changed::serve-port", G_CALLBACK (address_changed_cb), self);
  g_signal_connect (settings, "changed::serve-beyond-this-computer",
                    G_CALLBACK (address_changed_cb), self);
  if (g_settings_get_boolean (settings, "serve"))
    apply (self);
  return self;
}

gboolean
hearth_app_server_get_running (HearthAppServer *self)
{
  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), FALSE);
  return self->server != NULL;
}

char *
hearth_app_server_dup_url (HearthAppServer *self)
{
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), NULL);

  if (self->server != NULL)
    {
      g_autofree char *url = hearth_server_get_url (self->server);

      if (url != NULL && g_str_has_suffix (url, "/"))
        url[strlen (url) - 1] = '\0';
      if (url != NULL)
        return g_steal_pointer (&url);
    }
  if (!get_target (self, &host, &port, NULL))
    return NULL;
  if (strchr (host, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%u", host, port);
  return g_strdup_printf ("http://%s:%u", host, port);
}

guint16
hearth_app_server_get_port (HearthAppServer *self)
{
  g_autofree char *host = NULL;
  guint16 port = 0;

  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), 0);

  if (!get_target (self, &host, &port, NULL))
    return 0;
  return port;
}

gboolean
hearth_app_server_get_public (HearthAppServer *self)
{
  g_autofree char *host = NULL;
  g_autoptr (GInetAddress) inet = NULL;
  guint16 port = 0;

  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), FALSE);

  if (self->server != NULL)
    return hearth_server_is_public (self->server);
  if (!get_target (self, &host, &port, NULL) || g_ascii_strcasecmp (host, "localhost") == 0)
    return FALSE;
  inet = g_inet_address_new_from_string (host);
  return inet != NULL && !g_inet_address_get_is_loopback (inet);
}

const char *
hearth_app_server_get_host_override (HearthAppServer *self)
{
  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), NULL);
  return self->host_override;
}

const char *
hearth_app_server_get_token (HearthAppServer *self)
{
  const char *env_key = g_getenv ("HEARTH_API_KEY");

  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), NULL);

  if (self->server == NULL || !hearth_server_get_needs_api_key (self->server))
    return NULL;
  if (env_key != NULL && env_key[0] != '\0')
    return env_key;
  return self->token;
}

gboolean
hearth_app_server_get_token_from_env (HearthAppServer *self)
{
  const char *env_key = g_getenv ("HEARTH_API_KEY");

  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), FALSE);
  return hearth_app_server_get_token (self) != NULL && env_key != NULL && env_key[0] != '\0';
}

const GError *
hearth_app_server_get_error (HearthAppServer *self)
{
  g_return_val_if_fail (HEARTH_IS_APP_SERVER (self), NULL);
  return self->error;
}
