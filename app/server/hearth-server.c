/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ollama's HTTP API on Hearth's store and engine. Routes answer as Ollama's
 * server does (its docs/api.md and api/types.go are the reference):
 * the same JSON shapes, errors as {"error": "…"} with a 4xx or 5xx status.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "hearth-gguf.h"
#include "hearth-server.h"
#include "hearth-store.h"

/* What /api/version says: the Ollama release whose API shapes these are,
 * since clients gate features on it; Hearth's own beside it. */
#define OLLAMA_API_VERSION "0.12.0"

struct _HearthServer
{
  GObject parent_instance;

  HearthContext *context;
  SoupServer *soup;
  gboolean public;
};

G_DEFINE_TYPE (HearthServer, hearth_server, G_TYPE_OBJECT)

G_DEFINE_QUARK (hearth-server-error-quark, hearth_server_error)

/* ---- answers -------------------------------------------------------------- */

static void
reply_json (SoupServerMessage *msg,
            guint              status,
            JsonNode          *node)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  gsize len = 0;
  char *text;

  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, &len);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8", SOUP_MEMORY_TAKE, text, len);
}

/* {"error": @message} with @status, as Ollama answers what it refuses. */
static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *message)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, status, node);
}

/* Whether @msg's method is one of @methods (NULL-terminated); if not, a
 * 405 naming those it takes. HEAD goes with GET. */
static gboolean
method_allowed (SoupServerMessage  *msg,
                const char * const *methods)
{
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *allow = NULL;
  g_autofree char *text = NULL;

  for (guint i = 0; methods[i] != NULL; i++)
    if (g_str_equal (method, methods[i])
        || (g_str_equal (methods[i], "GET") && g_str_equal (method, "HEAD")))
      return TRUE;
  allow = g_strjoinv (", ", (char **) methods);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow);
  /* Translators: an HTTP method, a path, then the methods it takes */
  text = g_strdup_printf (_("%s is not a method of %s; it takes %s"), method,
                          g_uri_get_path (soup_server_message_get_uri (msg)), allow);
  reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, text);
  return FALSE;
}

/* ---- routes ---------------------------------------------------------------- */

static void
route_root (HearthServer      *self,
            SoupServerMessage *msg)
{
  static const char text[] = "Hearth is running";

  if (!method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, text,
                                    sizeof text - 1);
}

static void
route_version (HearthServer      *self,
               SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  if (!method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, OLLAMA_API_VERSION);
  json_builder_set_member_name (b, "hearth");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, SOUP_STATUS_OK, node);
}

/* A model as /api/tags lists it (Ollama's ListModelResponse). */
static void
add_tag (JsonBuilder            *b,
         const HearthStoreModel *m)
{
  g_autoptr (HearthGguf) gguf = m->model_path != NULL ? hearth_gguf_open (m->model_path, NULL) : NULL;
  const HearthModelInfo *info = gguf != NULL ? hearth_gguf_get_model_info (gguf, NULL) : NULL;
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_local (m->modified);
  g_autofree char *modified = when != NULL ? g_date_time_format_iso8601 (when) : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, m->name);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, m->name);
  json_builder_set_member_name (b, "modified_at");
  json_builder_add_string_value (b, modified != NULL ? modified : "");
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) m->size);
  json_builder_set_member_name (b, "digest");
  /* as Ollama writes it: the hex digits alone */
  json_builder_add_string_value (b, m->manifest_digest != NULL && g_str_has_prefix (m->manifest_digest, "sha256:")
                                      ? m->manifest_digest + 7 : "");
  json_builder_set_member_name (b, "details");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "parent_model");
  json_builder_add_string_value (b, "");
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "gguf");
  json_builder_set_member_name (b, "family");
  json_builder_add_string_value (b, info != NULL && info->architecture != NULL ? info->architecture : "");
  json_builder_set_member_name (b, "families");
  if (info != NULL && info->architecture != NULL)
    {
      json_builder_begin_array (b);
      json_builder_add_string_value (b, info->architecture);
      json_builder_end_array (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "parameter_size");
  json_builder_add_string_value (b, info != NULL && info->parameter_label != NULL ? info->parameter_label : "");
  json_builder_set_member_name (b, "quantization_level");
  json_builder_add_string_value (b, info != NULL && info->file_type != NULL ? info->file_type : "");
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
route_tags (HearthServer      *self,
            SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GError) error = NULL;

  if (!method_allowed (msg, (const char *[]) { "GET", NULL }))
    return;
  models = hearth_store_list (hearth_context_get_store (self->context), &error);
  if (models == NULL)
    {
      reply_error (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < models->len; i++)
    add_tag (b, models->pdata[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  reply_json (msg, SOUP_STATUS_OK, node);
}

typedef void (*RouteFunc) (HearthServer *self, SoupServerMessage *msg);

static const struct {
  const char *path;
  RouteFunc func;
} routes[] = {
  { "/", route_root },
  { "/api/version", route_version },
  { "/api/tags", route_tags },
};

static void
handle (SoupServer        *soup,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           data)
{
  HearthServer *self = data;
  g_autofree char *text = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    if (g_str_equal (path, routes[i].path))
      {
        routes[i].func (self, msg);
        return;
      }
  /* Translators: a path the server has no answer for */
  text = g_strdup_printf (_("Hearth has no endpoint %s"), path);
  reply_error (msg, SOUP_STATUS_NOT_FOUND, text);
}

/* ---- the server ------------------------------------------------------------ */

gboolean
hearth_server_parse_host (const char  *text,
                          char       **host,
                          guint16     *port,
                          GError     **error)
{
  g_autofree char *rest = g_strstrip (g_strdup (text != NULL ? text : ""));
  const char *s = rest;
  const char *colon;
  g_autofree char *h = NULL;
  guint64 p = HEARTH_SERVER_DEFAULT_PORT;

  if (g_str_has_prefix (s, "http://"))
    {
      s += 7;
      p = 80;
    }
  else if (g_str_has_prefix (s, "https://"))
    {
      s += 8;
      p = 443;
    }
  else if (strstr (s, "://") != NULL)
    goto invalid;
  /* a path after the address is ignored, as Ollama's client does */
  if (strchr (s, '/') != NULL)
    *strchr ((char *) s, '/') = '\0';
  if (s[0] == '[')
    {
      const char *end = strchr (s, ']');

      if (end == NULL)
        goto invalid;
      h = g_strndup (s + 1, end - s - 1);
      colon = end[1] == ':' ? end + 1 : NULL;
      if (end[1] != '\0' && colon == NULL)
        goto invalid;
    }
  else
    {
      colon = strrchr (s, ':');
      h = colon != NULL ? g_strndup (s, colon - s) : g_strdup (s);
    }
  /* port 0: any free one (hearth_server_get_url () says which) */
  if (colon != NULL && !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    goto invalid;
  if (h[0] == '\0')
    {
      g_free (h);
      h = g_strdup ("127.0.0.1");
    }
  if (strchr (h, ' ') != NULL)
    goto invalid;
  *host = g_steal_pointer (&h);
  *port = (guint16) p;
  return TRUE;

invalid:
  g_set_error (error, HEARTH_SERVER_ERROR, HEARTH_SERVER_ERROR_INVALID_HOST,
               /* Translators: HEARTH_HOST is an environment variable */
               _("“%s” is not an address to listen on; HEARTH_HOST takes HOST:PORT, e.g. 127.0.0.1:11434 or 0.0.0.0:8080"),
               text);
  return FALSE;
}

gboolean
hearth_server_listen (HearthServer  *self,
                      const char    *host,
                      guint16        port,
                      GError       **error)
{
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GInetAddress) inet = NULL;

  g_return_val_if_fail (HEARTH_IS_SERVER (self), FALSE);

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  else
    inet = g_inet_address_new_from_string (host);
  if (inet == NULL)
    {
      g_set_error (error, HEARTH_SERVER_ERROR, HEARTH_SERVER_ERROR_INVALID_HOST,
                   /* Translators: a host name that is no IP address */
                   _("“%s” is not an IP address of this computer; listen on 127.0.0.1 (this computer only) or 0.0.0.0 (every network)"),
                   host);
      return FALSE;
    }
  address = g_inet_socket_address_new (inet, port);
  if (!soup_server_listen (self->soup, address, 0, error))
    return FALSE;
  self->public = !g_inet_address_get_is_loopback (inet);
  return TRUE;
}

char *
hearth_server_get_url (HearthServer *self)
{
  GSList *uris = soup_server_get_uris (self->soup);
  char *url = uris != NULL ? g_uri_to_string (uris->data) : NULL;

  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return url;
}

gboolean
hearth_server_is_public (HearthServer *self)
{
  return self->public;
}

static void
hearth_server_dispose (GObject *object)
{
  HearthServer *self = HEARTH_SERVER (object);

  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->context);
  G_OBJECT_CLASS (hearth_server_parent_class)->dispose (object);
}

static void
hearth_server_class_init (HearthServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_server_dispose;
}

static void
hearth_server_init (HearthServer *self)
{
  self->soup = soup_server_new ("server-header", "Hearth/" PACKAGE_VERSION " ", NULL);
  soup_server_add_handler (self->soup, NULL, handle, self, NULL);
}

HearthServer *
hearth_server_new (HearthContext *context)
{
  HearthServer *self = g_object_new (HEARTH_TYPE_SERVER, NULL);

  self->context = g_object_ref (context);
  return self;
}
