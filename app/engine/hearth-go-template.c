/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Go's text/template, as Ollama uses it for chat templates. This file is
 * Ollama's layer: template.Parse (the {{ .Response }} it appends, the
 * identifiers it looks for), template.Execute (the messages collated, the
 * values of a legacy template, the tree cut after .Response) and the check
 * for Go syntax. The lexer, parser, values and execution have files of
 * their own (hearth-go-template-*.c, hearth-go-template-private.h).
 */
#define G_LOG_DOMAIN "hearth-go-template"

#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "hearth-go-template-private.h"

G_DEFINE_QUARK (hearth-go-template-error-quark, hearth_go_template_error)

struct _HearthGoTemplate
{
  Node       *root;
  GHashTable *defines;
  gboolean    uses_messages, uses_response;
};

/* ---- Ollama's layer (template.Parse, template.Execute) ---- */

/* Ollama's Identifiers (): the field and variable names, lowercased. */
static gboolean
collect_idents (Node *n, GHashTable *set)
{
  if (n == NULL)
    return TRUE;
  switch (n->type)
    {
    case N_LIST:
      for (guint i = 0; i < n->nodes->len; i++)
        if (!collect_idents (n->nodes->pdata[i], set))
          return FALSE;
      return TRUE;
    case N_TEMPLATE:
      return n->pipe != NULL && collect_idents (n->pipe, set);
    case N_ACTION:
      return collect_idents (n->pipe, set);
    case N_IF: case N_RANGE: case N_WITH:
      return collect_idents (n->pipe, set) && collect_idents (n->list, set)
             && collect_idents (n->else_list, set);
    case N_PIPE:
      for (guint i = 0; i < n->nodes->len; i++)
        {
          Node *c = n->nodes->pdata[i];

          for (guint j = 0; j < c->nodes->len; j++)
            if (!collect_idents (c->nodes->pdata[j], set))
              return FALSE;
        }
      return TRUE;
    case N_FIELD: case N_VARIABLE:
      for (char **id = n->ident; *id != NULL; id++)
        g_hash_table_add (set, g_ascii_strdown (*id, -1));
      return TRUE;
    default:
      return TRUE;
    }
}

static Node *cut_after_response (Node *n, gboolean *cut, gboolean *ok);

/* cut_after_response () on each of @nodes (consumed): the ones it keeps. */
static GPtrArray *
cut_nodes_after_response (GPtrArray *nodes, gboolean *cut, gboolean *ok)
{
  GPtrArray *kept = g_ptr_array_new_with_free_func (go_node_free);

  for (guint i = 0; i < nodes->len; i++)
    {
      Node *c = cut_after_response (nodes->pdata[i], cut, ok);

      nodes->pdata[i] = NULL;
      if (c != NULL)
        g_ptr_array_add (kept, c);
    }
  g_ptr_array_unref (nodes);
  return kept;
}

/* Ollama's deleteNode (): drops every node after the first field naming
 * Response. Returns NULL for a node deleted; FALSE in *ok where Go panics. */
static Node *
cut_after_response (Node *n, gboolean *cut, gboolean *ok)
{
  if (n == NULL)
    return NULL;
  if (n->type == N_FIELD && g_strv_contains ((const char *const *) n->ident, "Response"))
    {
      *cut = TRUE;
      return n;
    }
  if (*cut)
    {
      go_node_free (n);
      return NULL;
    }
  switch (n->type)
    {
    case N_LIST:
      n->nodes = cut_nodes_after_response (n->nodes, cut, ok);
      return n;
    case N_IF: case N_WITH: case N_RANGE:
      {
        gboolean had_else = n->else_list != NULL;

        /* an else list cut whole (.Response was in the list) is a nil list
         * for Ollama's deleteNode, whose type assertion then panics */
        n->list = cut_after_response (n->list, cut, ok);
        if (had_else)
          n->else_list = cut_after_response (n->else_list, cut, ok);
        if (n->list == NULL || (had_else && n->else_list == NULL))
          *ok = FALSE;
      }
      if (n->list == NULL)
        n->list = go_node_new (N_LIST, 0, 0);
      return n;
    case N_ACTION:
      n->pipe = cut_after_response (n->pipe, cut, ok);
      if (n->pipe == NULL)
        {
          go_node_free (n);
          return NULL;
        }
      return n;
    case N_PIPE:
      {
        GPtrArray *cmds = g_ptr_array_new_with_free_func (go_node_free);

        for (guint i = 0; i < n->nodes->len; i++)
          {
            Node *c = n->nodes->pdata[i];

            c->nodes = cut_nodes_after_response (c->nodes, cut, ok);
            if (c->nodes->len == 0)
              {
                g_ptr_array_unref (cmds);
                go_node_free (n);
                return NULL;
              }
            n->nodes->pdata[i] = NULL;
            g_ptr_array_add (cmds, c);
          }
        g_ptr_array_unref (n->nodes);
        n->nodes = cmds;
        return n;
      }
    default:
      return n;
    }
}

HearthGoTemplate *
hearth_go_template_new (const char *source, GError **error)
{
  g_autoptr (GHashTable) idents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *defines = NULL;
  HearthGoTemplate *self;
  Node *root;

  g_return_val_if_fail (source != NULL, NULL);
  root = go_parse (source, &defines, error);
  if (root == NULL)
    return NULL;
  self = g_new0 (HearthGoTemplate, 1);
  self->root = root;
  self->defines = defines;
  {
    GHashTableIter it;
    gpointer body;
    gboolean ok = collect_idents (root, idents);

    g_hash_table_iter_init (&it, self->defines);
    while (ok && g_hash_table_iter_next (&it, NULL, &body))
      ok = collect_idents (body, idents);
    if (!ok)
      {
        g_set_error (error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_PARSE,
                     _("A {{ template }} call without an argument: Ollama refuses it"));
        hearth_go_template_free (self);
        return NULL;
      }
  }
  self->uses_messages = g_hash_table_contains (idents, "messages");
  self->uses_response = g_hash_table_contains (idents, "response");
  if (!self->uses_messages && !self->uses_response)
    {
      Node *a = go_node_new (N_ACTION, 0, 0), *p = go_node_new (N_PIPE, 0, 0);
      Node *c = go_node_new (N_COMMAND, 0, 0), *f = go_node_new (N_FIELD, 0, 0);

      f->ident = g_new0 (char *, 2);
      f->ident[0] = g_strdup ("Response");
      g_ptr_array_add (c->nodes, f);
      g_ptr_array_add (p->nodes, c);
      a->pipe = p;
      g_ptr_array_add (root->nodes, a);
    }
  return self;
}

void
hearth_go_template_free (HearthGoTemplate *self)
{
  if (self == NULL)
    return;
  go_node_free (self->root);
  g_clear_pointer (&self->defines, g_hash_table_unref);
  g_free (self);
}

gboolean
hearth_go_template_uses_messages (HearthGoTemplate *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->uses_messages;
}

static Val *
legacy_values (const HearthGoTemplateData *data, const char *system, const char *prompt,
               const char *response)
{
  Val *v = go_val_new (V_MAP);

  go_val_add (v, "IsThinkSet", NULL, FALSE, go_val_bool (data->is_think_set));
  go_val_add (v, "Prompt", NULL, FALSE, go_val_string (prompt));
  go_val_add (v, "Response", NULL, FALSE, go_val_string (response));
  go_val_add (v, "System", NULL, FALSE, go_val_string (system));
  go_val_add (v, "Think", NULL, FALSE, go_val_bool (data->think));
  go_val_add (v, "ThinkLevel", NULL, FALSE, go_val_string (data->think_level));
  return v;
}

char *
hearth_go_template_render (HearthGoTemplate *self, const HearthGoTemplateData *data, GError **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  g_autoptr (GString) system = g_string_new (NULL);
  g_autoptr (GPtrArray) idx = g_ptr_array_new ();      /* first message of each turn */
  g_autoptr (GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  gboolean has_system = FALSE;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  /* collate: consecutive messages of a role (not tool) joined by a blank line */
  for (gsize i = 0; i < data->n_messages; i++)
    {
      const HearthGoTemplateMessage *m = &data->messages[i];
      const char *content = m->content != NULL ? m->content : "";
      const char *role = m->role != NULL ? m->role : "";

      if (g_str_equal (role, "system"))
        {
          if (has_system)
            g_string_append (system, "\n\n");
          g_string_append (system, content);
          has_system = TRUE;
        }
      if (idx->len > 0 && g_strcmp0 (((const HearthGoTemplateMessage *) idx->pdata[idx->len - 1])->role, role) == 0
          && !g_str_equal (role, "tool"))
        {
          char *joined = g_strconcat (contents->pdata[contents->len - 1], "\n\n", content, NULL);

          g_free (contents->pdata[contents->len - 1]);
          contents->pdata[contents->len - 1] = joined;
        }
      else
        {
          g_ptr_array_add (idx, (gpointer) m);
          g_ptr_array_add (contents, g_strdup (content));
        }
    }

  if (data->prompt != NULL && *data->prompt != '\0' && data->suffix != NULL && *data->suffix != '\0')
    {
      g_autoptr (Val) v = go_val_new (V_MAP);

      go_val_add (v, "IsThinkSet", NULL, FALSE, go_val_bool (data->is_think_set));
      go_val_add (v, "Prompt", NULL, FALSE, go_val_string (data->prompt));
      go_val_add (v, "Response", NULL, FALSE, go_val_string (""));
      go_val_add (v, "Suffix", NULL, FALSE, go_val_string (data->suffix));
      go_val_add (v, "Think", NULL, FALSE, go_val_bool (data->think));
      go_val_add (v, "ThinkLevel", NULL, FALSE, go_val_string (data->think_level));
      if (!go_execute (self->root, self->defines, TRUE, v, out, error))
        return NULL;
    }
  else if (self->uses_messages)
    {
      g_autoptr (Val) v = go_val_new (V_MAP);
      Val *msgs = go_val_new (V_LIST);

      msgs->nil = idx->len == 0;
      for (guint i = 0; i < idx->len; i++)
        g_ptr_array_add (msgs->items, go_val_message (idx->pdata[i], contents->pdata[i]));
      go_val_add (v, "IsThinkSet", NULL, FALSE, go_val_bool (data->is_think_set));
      go_val_add (v, "Messages", NULL, FALSE, msgs);
      go_val_add (v, "Response", NULL, FALSE, go_val_string (""));
      go_val_add (v, "System", NULL, FALSE, go_val_string (system->str));
      go_val_add (v, "Think", NULL, FALSE, go_val_bool (data->think));
      go_val_add (v, "ThinkLevel", NULL, FALSE, go_val_string (data->think_level));
      go_val_add (v, "Tools", NULL, FALSE, go_val_tools (data->tools));
      if (!go_execute (self->root, self->defines, TRUE, v, out, error))
        return NULL;
    }
  else
    {
      g_autofree char *sys = g_strdup (""), *prompt = g_strdup (""), *response = g_strdup ("");
      gboolean cut = FALSE, ok = TRUE;
      Node *root;

      for (guint i = 0; i < idx->len; i++)
        {
          const HearthGoTemplateMessage *m = idx->pdata[i];
          const char *role = m->role != NULL ? m->role : "";
          gboolean run = (g_str_equal (role, "system") && (*prompt != '\0' || *response != '\0'))
                         || (g_str_equal (role, "user") && *response != '\0');

          if (run)
            {
              g_autoptr (Val) v = legacy_values (data, sys, prompt, response);

              if (!go_execute (self->root, self->defines, TRUE, v, out, error))
                return NULL;
              g_free (sys), sys = g_strdup ("");
              g_free (prompt), prompt = g_strdup ("");
              g_free (response), response = g_strdup ("");
            }
          if (g_str_equal (role, "system"))
            g_free (sys), sys = g_strdup (contents->pdata[i]);
          else if (g_str_equal (role, "user"))
            g_free (prompt), prompt = g_strdup (contents->pdata[i]);
          else if (g_str_equal (role, "assistant"))
            g_free (response), response = g_strdup (contents->pdata[i]);
        }
      root = cut_after_response (go_node_copy (self->root), &cut, &ok);
      if (!ok)
        {
          go_node_free (root);
          g_set_error (error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_EXECUTE,
                       _("Ollama cannot cut this template after .Response"));
          return NULL;
        }
      {
        g_autoptr (Val) v = legacy_values (data, sys, prompt, response);
        gboolean done = go_execute (root, NULL, FALSE, v, out, error);

        go_node_free (root);
        if (!done)
          return NULL;
      }
    }
  return g_strdup (out->str);
}

gboolean
hearth_go_template_is_go_syntax (const char *source)
{
  const char *p;

  g_return_val_if_fail (source != NULL, FALSE);
  if (strstr (source, "{%") != NULL)
    return FALSE;
  for (p = strstr (source, "{{"); p != NULL; p = strstr (p + 2, "{{"))
    {
      const char *q = p + 2;

      if (*q == '-')
        q++;
      while (go_is_space (*q))
        q++;
      if (*q == '.' || *q == '$' || g_str_has_prefix (q, "/*")
          || g_str_has_prefix (q, "range ") || g_str_has_prefix (q, "if .")
          || g_str_has_prefix (q, "if $") || g_str_has_prefix (q, "with ")
          || g_str_has_prefix (q, "end") || g_str_has_prefix (q, "template "))
        return TRUE;
    }
  return FALSE;
}
