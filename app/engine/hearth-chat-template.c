/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-chat-template"

#include "config.h"

#include <glib/gi18n.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "hearth-chat-template.h"

struct _HearthTemplateVars
{
  grefcount ref_count;
  ember_value *dict;      /* owned */
  ember_value *messages;  /* owned reference to the "messages" list, once known */
};

struct _HearthChatTemplate
{
  grefcount ref_count;
  ember_template *template;  /* owned */
};

G_DEFINE_QUARK (hearth-chat-template-error-quark, hearth_chat_template_error)

G_DEFINE_BOXED_TYPE (HearthTemplateVars, hearth_template_vars, hearth_template_vars_ref,
                     hearth_template_vars_unref)
G_DEFINE_BOXED_TYPE (HearthChatTemplate, hearth_chat_template, hearth_chat_template_ref,
                     hearth_chat_template_unref)

/* The engine's builders fail only where memory runs out, as g_malloc ()
 * would abort. */
static ember_value *
check_value (ember_value *value)
{
  if (value == NULL)
    g_error ("out of memory for a template value");
  return value;
}

static HearthTemplateVars *
vars_new_take (ember_value *dict,
               ember_value *messages)
{
  HearthTemplateVars *self = g_new0 (HearthTemplateVars, 1);

  g_ref_count_init (&self->ref_count);
  self->dict = dict;
  self->messages = messages;
  return self;
}

/* ---- variables ------------------------------------------------------------- */

HearthTemplateVars *
hearth_template_vars_new (void)
{
  return vars_new_take (check_value (ember_value_new_dict ()), NULL);
}

HearthTemplateVars *
hearth_template_vars_new_for_chat (const char *bos_token,
                                   const char *eos_token)
{
  ember_value *messages = check_value (ember_value_new_list ());
  ember_value *dict;

  /* the context takes over one reference; the vars keep another */
  ember_value_ref (messages);
  dict = check_value (ember_template_chat_context (messages, bos_token, eos_token));
  return vars_new_take (dict, messages);
}

HearthTemplateVars *
hearth_template_vars_new_from_json (const char  *json,
                                    gssize       len,
                                    GError     **error)
{
  ember_value *value = NULL;
  ember_error e = { 0 };

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 0)
    len = (gssize) strlen (json);
  if (ember_value_from_json (json, (size_t) len, &value, &e) != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_JSON,
                           e.message);
      return NULL;
    }
  if (ember_value_get_type (value) != EMBER_VALUE_DICT)
    {
      ember_value_unref (value);
      g_set_error_literal (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_NOT_OBJECT,
                           _("the variables must be one JSON object"));
      return NULL;
    }
  return vars_new_take (value, NULL);
}

HearthTemplateVars *
hearth_template_vars_ref (HearthTemplateVars *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_template_vars_unref (HearthTemplateVars *self)
{
  g_return_if_fail (self != NULL);

  if (!g_ref_count_dec (&self->ref_count))
    return;
  if (self->messages != NULL)
    ember_value_unref (self->messages);
  ember_value_unref (self->dict);
  g_free (self);
}

gboolean
hearth_template_vars_has (HearthTemplateVars *self,
                          const char         *name)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return ember_value_dict_get (self->dict, name) != NULL;
}

void
hearth_template_vars_set_string (HearthTemplateVars *self,
                                 const char         *name,
                                 const char         *value)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (name != NULL && value != NULL);

  if (g_str_equal (name, "messages"))
    g_clear_pointer (&self->messages, ember_value_unref);
  if (ember_value_dict_set (self->dict, name, check_value (ember_value_new_string (value, (size_t) -1)),
                            NULL)
      != EMBER_OK)
    g_error ("out of memory for a template variable");
}

void
hearth_template_vars_add_message (HearthTemplateVars *self,
                                  const char         *role,
                                  const char         *content)
{
  ember_value *message;

  g_return_if_fail (self != NULL);
  g_return_if_fail (role != NULL && content != NULL);

  if (self->messages == NULL)
    {
      const ember_value *list = ember_value_dict_get (self->dict, "messages");

      if (list != NULL && ember_value_get_type (list) == EMBER_VALUE_LIST)
        /* the dict holds it, and the vars own the dict: it is theirs to change */
        self->messages = ember_value_ref ((ember_value *) list);
      else
        {
          self->messages = check_value (ember_value_new_list ());
          if (ember_value_dict_set (self->dict, "messages", ember_value_ref (self->messages), NULL)
              != EMBER_OK)
            g_error ("out of memory for a template variable");
        }
    }
  message = check_value (ember_value_new_dict ());
  if (ember_value_dict_set (message, "role", check_value (ember_value_new_string (role, (size_t) -1)),
                            NULL) != EMBER_OK
      || ember_value_dict_set (message, "content",
                               check_value (ember_value_new_string (content, (size_t) -1)), NULL)
           != EMBER_OK
      || ember_value_list_append (self->messages, message, NULL) != EMBER_OK)
    g_error ("out of memory for a template variable");
}

/* ---- templates ------------------------------------------------------------- */

HearthChatTemplate *
hearth_chat_template_new (const char  *source,
                          gssize       len,
                          GError     **error)
{
  HearthChatTemplate *self;
  ember_template *template = NULL;
  ember_error e = { 0 };

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 0)
    len = (gssize) strlen (source);
  if (ember_template_new (source, (size_t) len, &template, &e) != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_SYNTAX,
                           e.message);
      return NULL;
    }
  self = g_new0 (HearthChatTemplate, 1);
  g_ref_count_init (&self->ref_count);
  self->template = template;
  return self;
}

HearthChatTemplate *
hearth_chat_template_ref (HearthChatTemplate *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_chat_template_unref (HearthChatTemplate *self)
{
  g_return_if_fail (self != NULL);

  if (!g_ref_count_dec (&self->ref_count))
    return;
  ember_template_free (self->template);
  g_free (self);
}

const char *
hearth_chat_template_get_default_source (void)
{
  return ember_template_default ();
}

char *
hearth_chat_template_render (HearthChatTemplate  *self,
                             HearthTemplateVars  *vars,
                             gint64               now,
                             gsize                max_output,
                             gsize               *length,
                             GError             **error)
{
  ember_template_options options;
  ember_error e = { 0 };
  char *text = NULL;
  size_t text_len = 0;
  char *copy;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  ember_template_options_init (&options);
  options.now = now;
  options.max_output = max_output;
  if (ember_template_render (self->template, vars != NULL ? vars->dict : NULL, &options, &text,
                             &text_len, &e) != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_CHAT_TEMPLATE_ERROR, HEARTH_CHAT_TEMPLATE_ERROR_RENDER,
                           e.message);
      return NULL;
    }
  /* the engine allocates with malloc (); the caller gets GLib memory */
  copy = g_memdup2 (text, text_len + 1);
  free (text);
  if (length != NULL)
    *length = text_len;
  return copy;
}
