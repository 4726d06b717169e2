/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Who may talk to the server, decided from a request's headers before its
 * body is read, in the order Ollama's server decides it:
 *
 * - the Host header, while the server listens on loopback only: a web page
 *   whose name an attacker's DNS points at 127.0.0.1 (DNS rebinding) sends
 *   its own name there, and is refused (403); this computer's names and
 *   addresses pass, as in Ollama's allowedHostsMiddleware;
 * - the Origin header (CORS): the web pages that may call the server are
 *   Ollama's defaults (OLLAMA_ORIGINS in its envconfig) and those
 *   HEARTH_ORIGINS adds; another page is refused (403), an allowed one gets
 *   Access-Control-Allow-Origin on every answer (streamed ones too, since
 *   it is set here, before any route runs) and 204 to its preflights;
 * - the API key, where one is set (HEARTH_API_KEY): "Authorization: Bearer
 *   KEY" on every request but preflights and GET / (what clients probe),
 *   else 401 with WWW-Authenticate. Hearth's own addition; Ollama has none.
 *
 * Refusals are {"error": "…"} as Ollama's, and OpenAI's
 * {"error": {"message", "type", "param", "code"}} under /v1/.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "hearth-server-private.h"

struct _HearthServerAccess
{
  /* SHA-256 of the API key, as hex, so that the key itself is not kept
   * and every comparison runs over the same 64 characters whatever was
   * sent; NULL where no key is needed. */
  char *key_digest;

  /* Origins beside the defaults, lowercased, "*" a wildcard within one. */
  GPtrArray *origins;
  gboolean any_origin;
};

/* The web pages that may call the server with no setting, as Ollama's
 * AllowedOrigins gives them: local web servers on any port, and the
 * schemes of desktop apps built on web engines (Electron, Tauri, VS Code's
 * webviews). Browser extensions are not among them (Ollama's neither):
 * HEARTH_ORIGINS lets them in, with their scheme, chrome-extension: and
 * the rest, and a "*" for the id. */
static const char * const default_origins[] = {
  "http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
  "http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
  "http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
  "app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*",
};

/* What a preflight is told, as Ollama tells it: every method, and the
 * headers its clients send, those of OpenAI's JavaScript library among
 * them. Browsers may keep the answer for 12 hours. */
#define ALLOW_METHODS "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
#define ALLOW_HEADERS                                                                              \
  "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, "               \
  "X-Stainless-Arch, X-Stainless-Async, X-Stainless-Custom-Poll-Interval, "                        \
  "X-Stainless-Helper-Method, X-Stainless-Lang, X-Stainless-OS, X-Stainless-Package-Version, "     \
  "X-Stainless-Poll-Helper, X-Stainless-Retry-Count, X-Stainless-Runtime, "                        \
  "X-Stainless-Runtime-Version, X-Stainless-Timeout"
#define MAX_AGE "43200"

static HearthServerAccess *
get_access (HearthServer *self)
{
  if (self->access == NULL)
    {
      self->access = g_new0 (HearthServerAccess, 1);
      self->access->origins = g_ptr_array_new_with_free_func (g_free);
    }
  return self->access;
}

/* ---- answers ---------------------------------------------------------------- */

/* A refusal with @status: {"error": @message} as Ollama's, or OpenAI's
 * shape of it for a path under /v1/, whose clients read that one. The body
 * of the request, if any, is let go unread into memory. */
static void
refuse (SoupServerMessage *msg,
        const char        *path,
        guint              status,
        const char        *message)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  if (g_str_equal (path, "/v1") || g_str_has_prefix (path, "/v1/"))
    hearth_server_reply_openai_error (msg, status, message);
  else
    hearth_server_reply_error (msg, status, message);
}

/* ---- the Host header --------------------------------------------------------- */

/* Whether @address is one of this computer's own (any interface's). */
static gboolean
is_own_address (GInetAddress *address)
{
  struct ifaddrs *list = NULL;
  gboolean found = FALSE;

  if (getifaddrs (&list) != 0)
    return FALSE;
  for (struct ifaddrs *i = list; i != NULL && !found; i = i->ifa_next)
    {
      g_autoptr (GSocketAddress) sa = NULL;
      socklen_t len;

      if (i->ifa_addr == NULL)
        continue;
      if (i->ifa_addr->sa_family == AF_INET)
        len = sizeof (struct sockaddr_in);
      else if (i->ifa_addr->sa_family == AF_INET6)
        len = sizeof (struct sockaddr_in6);
      else
        continue;
      sa = g_socket_address_new_from_native (i->ifa_addr, len);
      if (G_IS_INET_SOCKET_ADDRESS (sa))
        found = g_inet_address_equal (address,
                                      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)));
    }
  freeifaddrs (list);
  return found;
}

/* Whether @address is a private network's (10/8, 172.16/12, 192.168/16,
 * fc00::/7), as Go's netip.Addr.IsPrivate has it. */
static gboolean
is_private_address (GInetAddress *address)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
    return g_inet_address_get_is_site_local (address);
  return (bytes[0] & 0xfe) == 0xfc;
}

/* The host of a Host header, without its port or an IPv6 address's
 * brackets, lowercased, without a final dot. */
static char *
host_of (const char *header)
{
  g_autofree char *host = NULL;
  const char *colon;

  if (header[0] == '[')
    {
      const char *end = strchr (header, ']');

      host = end != NULL ? g_strndup (header + 1, end - header - 1) : g_strdup (header);
    }
  else if ((colon = strchr (header, ':')) != NULL && strchr (colon + 1, ':') == NULL)
    host = g_strndup (header, colon - header);
  else
    host = g_strdup (header); /* no port, or a bare IPv6 address */
  if (g_str_has_suffix (host, "."))
    host[strlen (host) - 1] = '\0';
  return g_ascii_strdown (host, -1);
}

/* Whether a Host header names this computer: no name at all, localhost
 * and its subdomains, the local network's names (.local, .internal), this
 * computer's host name, and addresses of loopback, of private networks, of
 * no interface in particular (0.0.0.0) or of this computer's own. A name
 * that an attacker's DNS can send here is none of these. */
static gboolean
host_is_local (const char *header)
{
  g_autofree char *host = host_of (header);
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);
  g_autofree char *own = g_ascii_strdown (g_get_host_name (), -1);

  if (address != NULL)
    return g_inet_address_get_is_loopback (address) || g_inet_address_get_is_any (address)
           || is_private_address (address) || is_own_address (address);
  return host[0] == '\0' || g_str_equal (host, "localhost") || g_str_has_suffix (host, ".localhost")
         || g_str_has_suffix (host, ".local") || g_str_has_suffix (host, ".internal")
         || g_str_equal (host, own);
}

/* ---- origins ------------------------------------------------------------------ */

/* Whether @text matches @pattern, where "*" stands for any characters. */
static gboolean
glob_matches (const char *pattern,
              const char *text)
{
  const char *star = NULL;
  const char *resume = NULL;

  while (*text != '\0')
    {
      if (*pattern == '*')
        {
          star = pattern++;
          resume = text;
        }
      else if (*pattern == *text)
        {
          pattern++;
          text++;
        }
      else if (star != NULL)
        {
          pattern = star + 1;
          text = ++resume;
        }
      else
        return FALSE;
    }
  while (*pattern == '*')
    pattern++;
  return *pattern == '\0';
}

static gboolean
origin_allowed (HearthServerAccess *access,
                const char         *origin)
{
  g_autofree char *lower = g_ascii_strdown (origin, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (default_origins); i++)
    if (glob_matches (default_origins[i], lower))
      return TRUE;
  if (access == NULL)
    return FALSE;
  if (access->any_origin)
    return TRUE;
  for (guint i = 0; i < access->origins->len; i++)
    if (glob_matches (access->origins->pdata[i], lower))
      return TRUE;
  return FALSE;
}

/* ---- the key ------------------------------------------------------------------- */

/* Whether the request's Authorization header is "Bearer " and the key,
 * compared in constant time (digest against digest). */
static gboolean
key_given (HearthServerAccess *access,
           SoupServerMessage  *msg)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                     "Authorization");
  g_autofree char *given = NULL;
  g_autofree char *digest = NULL;
  guint diff = 0;

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return FALSE;
  given = g_strstrip (g_strdup (header + 7));
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, given, -1);
  for (gsize i = 0; i < 64; i++)
    diff |= (guchar) digest[i] ^ (guchar) access->key_digest[i];
  return diff == 0;
}

/* ---- inside the server ------------------------------------------------------- */

/* Decides whether @msg may go on to its route (TRUE), or answers it here:
 * 403 for a Host or an Origin refused, 204 for a preflight, 401 without the
 * key. An allowed Origin gets its CORS headers here, on every answer. */
gboolean
hearth_server_check_access (HearthServer      *self,
                            SoupServerMessage *msg,
                            const char        *path)
{
  HearthServerAccess *access = self->access;
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *host = soup_message_headers_get_one (request, "Host");
  const char *origin = soup_message_headers_get_one (request, "Origin");

  if (!self->public && host != NULL && !host_is_local (host))
    {
      /* Translators: the host a request was sent to; HEARTH_HOST is an
       * environment variable */
      g_autofree char *text = g_strdup_printf (_("Hearth listens on this computer only and does not answer for “%s”; "
                                                 "HEARTH_HOST=0.0.0.0 opens it to other computers"),
                                               host);

      refuse (msg, path, SOUP_STATUS_FORBIDDEN, text);
      return FALSE;
    }

  /* An Origin that is the server's own address is a page of its own
   * (behind a proxy, say), not a cross-origin request. */
  if (origin != NULL && host != NULL)
    {
      g_autofree char *http = g_strconcat ("http://", host, NULL);
      g_autofree char *https = g_strconcat ("https://", host, NULL);

      if (g_str_equal (origin, http) || g_str_equal (origin, https))
        origin = NULL;
    }
  if (origin != NULL)
    {
      if (!origin_allowed (access, origin))
        {
          /* Translators: a web page's origin, "https://example.com", twice;
           * HEARTH_ORIGINS is an environment variable */
          g_autofree char *text = g_strdup_printf (_("Web pages from %s may not use this server; "
                                                     "HEARTH_ORIGINS=%s would let them"),
                                                   origin, origin);

          refuse (msg, path, SOUP_STATUS_FORBIDDEN, text);
          return FALSE;
        }
      soup_message_headers_replace (response, "Access-Control-Allow-Origin", origin);
      soup_message_headers_append (response, "Vary", "Origin");
      if (g_str_equal (method, "OPTIONS"))
        {
          soup_message_headers_append (response, "Vary", "Access-Control-Request-Method");
          soup_message_headers_append (response, "Vary", "Access-Control-Request-Headers");
          soup_message_headers_replace (response, "Access-Control-Allow-Methods", ALLOW_METHODS);
          soup_message_headers_replace (response, "Access-Control-Allow-Headers", ALLOW_HEADERS);
          soup_message_headers_replace (response, "Access-Control-Max-Age", MAX_AGE);
          soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
          soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
          return FALSE;
        }
    }

  if (access != NULL && access->key_digest != NULL
      && !(g_str_equal (path, "/") && (g_str_equal (method, "GET") || g_str_equal (method, "HEAD")))
      && !key_given (access, msg))
    {
      gboolean sent = soup_message_headers_get_one (request, "Authorization") != NULL;

      soup_message_headers_replace (response, "WWW-Authenticate", "Bearer");
      refuse (msg, path, SOUP_STATUS_UNAUTHORIZED,
              sent ? _("The API key is not the one this server takes")
                   /* Translators: keep “Authorization: Bearer” as it is */
                   : _("This server needs an API key: send it as “Authorization: Bearer” and the key"));
      return FALSE;
    }
  return TRUE;
}

void
hearth_server_access_free (HearthServerAccess *access)
{
  g_free (access->key_digest);
  g_ptr_array_unref (access->origins);
  g_free (access);
}

/* ---- public API ----------------------------------------------------------------- */

void
hearth_server_set_api_key (HearthServer *self,
                           const char   *key)
{
  HearthServerAccess *access;

  g_return_if_fail (HEARTH_IS_SERVER (self));

  access = get_access (self);
  g_clear_pointer (&access->key_digest, g_free);
  if (key != NULL && key[0] != '\0')
    access->key_digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
}

gboolean
hearth_server_get_needs_api_key (HearthServer *self)
{
  g_return_val_if_fail (HEARTH_IS_SERVER (self), FALSE);

  return self->access != NULL && self->access->key_digest != NULL;
}

void
hearth_server_set_origins (HearthServer *self,
                           const char   *origins)
{
  HearthServerAccess *access;
  g_auto (GStrv) parts = NULL;

  g_return_if_fail (HEARTH_IS_SERVER (self));

  access = get_access (self);
  g_ptr_array_set_size (access->origins, 0);
  access->any_origin = FALSE;
  parts = g_strsplit (origins != NULL ? origins : "", ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char *origin = g_strstrip (parts[i]);

      if (origin[0] == '\0')
        continue;
      if (g_str_equal (origin, "*"))
        access->any_origin = TRUE;
      else
        g_ptr_array_add (access->origins, g_ascii_strdown (origin, -1));
    }
}
