/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * JSON byte for byte as `ollama create` leaves it on disk. The client
 * (ollama's parser) turns each PARAMETER into its Go type (float32 for
 * temperature and friends, int, bool, []string for stop) and sends the
 * request as JSON; the server decodes it into a map[string]any (every
 * number a float64, every string valid UTF-8) and writes each layer with
 * encoding/json's Encoder: object keys sorted bytewise, no spaces, `<` `>`
 * `&` U+2028 U+2029 escaped as \u003c …, control characters as \n \r \t
 * \b \f or \u00XX, numbers as strconv.FormatFloat (f, 'f' or 'e', -1, 64)
 * ('e' below 1e-6 and from 1e21 on, "e-07" written "e-7"), and a final
 * newline. What is written here is that: the bytes of the blob.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  HEARTH_OLLAMA_VALUE_BOOL,
  HEARTH_OLLAMA_VALUE_INT,      /* Go's int; written as the float64 it becomes */
  HEARTH_OLLAMA_VALUE_FLOAT,    /* a float64, as the server holds it */
  HEARTH_OLLAMA_VALUE_STRING,
  HEARTH_OLLAMA_VALUE_STRINGS,  /* []string (stop) */
} HearthOllamaValueType;

/* One entry of the params layer. */
typedef struct {
  char *name;
  HearthOllamaValueType type;
  gboolean b;
  gint64 i;
  double f;
  char *s;
  char **strv;                  /* NULL-terminated, never NULL for STRINGS */
} HearthOllamaParam;

HearthOllamaParam *hearth_ollama_param_new_bool (const char *name, gboolean value);
HearthOllamaParam *hearth_ollama_param_new_int (const char *name, gint64 value);
/* A float32 parameter (temperature, top_p …) as Ollama's client sends it:
 * the shortest decimal that reads back as @value in float32, read as a
 * float64 (0.7f becomes the float64 0.7, written "0.7"). */
HearthOllamaParam *hearth_ollama_param_new_float32 (const char *name, float value);
/* A float64 as it is (a number read back from a params layer). */
HearthOllamaParam *hearth_ollama_param_new_float (const char *name, double value);
HearthOllamaParam *hearth_ollama_param_new_string (const char *name, const char *value);
HearthOllamaParam *hearth_ollama_param_new_strings (const char *name, const char * const *value);
HearthOllamaParam *hearth_ollama_param_copy (const HearthOllamaParam *param);
void hearth_ollama_param_free (HearthOllamaParam *param);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthOllamaParam, hearth_ollama_param_free)

/* One entry of the messages layer (api.Message: role, content). */
typedef struct {
  char *role;
  char *content;
} HearthOllamaMessage;

HearthOllamaMessage *hearth_ollama_message_new (const char *role, const char *content);
void hearth_ollama_message_free (HearthOllamaMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthOllamaMessage, hearth_ollama_message_free)

/* The float64 Ollama's server holds for the float32 @value. */
double hearth_ollama_json_float32_value (float value);

/* @text (@len bytes, or -1: NUL-terminated) as a Go string that went
 * through JSON: each byte that does not start valid UTF-8 (as Go's
 * utf8.DecodeRune sees it) becomes U+FFFD. What the system, template and
 * license layers hold. */
char *hearth_ollama_json_utf8 (const char *text,
                               gssize      len);

/* Appends @text as encoding/json writes a string (after the round trip:
 * invalid bytes are a literal U+FFFD). */
void hearth_ollama_json_append_string (GString    *out,
                                       const char *text,
                                       gssize      len);

/* Appends @value as encoding/json writes a float64; FALSE (nothing
 * appended) for NaN and infinities, which encoding/json refuses. */
gboolean hearth_ollama_json_append_number (GString *out,
                                           double   value);

/* The params layer: @params (HearthOllamaParam, names unique) as a JSON
 * object, keys sorted, newline-terminated. Fails for a NaN or infinite
 * number, an empty or repeated name. */
GBytes *hearth_ollama_json_params (GPtrArray  *params,
                                   GError    **error);

/* The messages layer: @messages (HearthOllamaMessage) as a JSON array of
 * {"role","content"}, roles in lower case, newline-terminated. */
GBytes *hearth_ollama_json_messages (GPtrArray  *messages,
                                     GError    **error);

G_END_DECLS
