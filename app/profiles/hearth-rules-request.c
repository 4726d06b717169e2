/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A profile's rules on a request: the table of functions through which the
 * engine, which knows nothing of rules, applies them (HearthRequestRules,
 * app/engine/hearth-request.h) — the input rules to each user message, the
 * output rules as a stream over the reply.
 */

#include "config.h"

#include "hearth-rules.h"

typedef struct {
  HearthRules *rules;
  HearthRulesStream *stream;
} RequestStream;

static char *
request_input (gpointer    data,
               const char *text,
               char      **message,
               GPtrArray  *notes)
{
  HearthRules *rules = data;
  g_autoptr (HearthRulesResult) result = hearth_rules_apply_input (rules, text);
  g_auto (GStrv) said = hearth_rules_result_get_notes (result, rules);

  for (guint i = 0; said[i] != NULL; i++)
    g_ptr_array_add (notes, g_strdup (said[i]));
  if (result->refused)
    {
      *message = g_strdup (result->refusal);
      return NULL;
    }
  return g_steal_pointer (&result->text);
}

static gpointer
request_output_new (gpointer data)
{
  RequestStream *s = g_new0 (RequestStream, 1);

  s->rules = hearth_rules_ref (data);
  s->stream = hearth_rules_stream_new (s->rules);
  return s;
}

static char *
request_output_feed (gpointer    stream,
                     const char *text,
                     gboolean   *refused)
{
  return hearth_rules_stream_feed (((RequestStream *) stream)->stream, text, -1, refused);
}

static char *
request_output_finish (gpointer  stream,
                       gboolean *refused)
{
  return hearth_rules_stream_finish (((RequestStream *) stream)->stream, refused);
}

static char *
request_output_done (gpointer   stream,
                     GPtrArray *notes)
{
  RequestStream *s = stream;
  const HearthRulesResult *result = hearth_rules_stream_get_result (s->stream);
  g_auto (GStrv) said = hearth_rules_result_get_notes (result, s->rules);

  for (guint i = 0; said[i] != NULL; i++)
    g_ptr_array_add (notes, g_strdup (said[i]));
  return result->refused ? g_strdup (result->refusal) : NULL;
}

static void
request_output_free (gpointer stream)
{
  RequestStream *s = stream;

  hearth_rules_stream_free (s->stream);
  hearth_rules_unref (s->rules);
  g_free (s);
}

static const HearthRequestRules request_rules = {
  request_input,
  request_output_new,
  request_output_feed,
  request_output_finish,
  request_output_done,
  request_output_free,
  (gpointer (*) (gpointer)) hearth_rules_ref,
  (void (*) (gpointer)) hearth_rules_unref,
};

void
hearth_rules_set_on_request (HearthRules   *rules,
                             HearthRequest *request)
{
  g_return_if_fail (rules != NULL && request != NULL);

  if (request->rules != NULL)
    request->rules->unref (request->rules_data);
  request->rules = NULL;
  request->rules_data = NULL;
  if (hearth_rules_get_n_rules (rules) == 0)
    return;
  request->rules = &request_rules;
  request->rules_data = hearth_rules_ref (rules);
}
