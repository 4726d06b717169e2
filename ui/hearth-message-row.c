/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-message-row"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-application.h"
#include "hearth-markdown.h"
#include "hearth-message-row.h"

/* ---- the item ------------------------------------------------------------------ */

struct _HearthMessageItem
{
  GObject parent_instance;

  HearthChatMessage *message;
  gboolean streaming;
};

enum { ITEM_SIGNAL_CHANGED, ITEM_N_SIGNALS };
static guint item_signals[ITEM_N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthMessageItem, hearth_message_item, G_TYPE_OBJECT)

static void
hearth_message_item_finalize (GObject *object)
{
  hearth_chat_message_free (HEARTH_MESSAGE_ITEM (object)->message);
  G_OBJECT_CLASS (hearth_message_item_parent_class)->finalize (object);
}

static void
hearth_message_item_class_init (HearthMessageItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_message_item_finalize;
  item_signals[ITEM_SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                                    G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                    G_TYPE_NONE, 0);
}

static void
hearth_message_item_init (HearthMessageItem *self)
{
}

HearthMessageItem *
hearth_message_item_new (const HearthChatMessage *message,
                         gboolean                 streaming)
{
  HearthMessageItem *self = g_object_new (HEARTH_TYPE_MESSAGE_ITEM, NULL);

  self->message = hearth_chat_message_copy (message);
  self->streaming = streaming;
  return self;
}

const HearthChatMessage *
hearth_message_item_get_message (HearthMessageItem *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE_ITEM (self), NULL);
  return self->message;
}

/* Whether @m (the same message) reads differently from what @self shows. */
static gboolean
differs (const HearthChatMessage *mine,
         const HearthChatMessage *m)
{
  return g_strcmp0 (mine->content, m->content) != 0 || mine->complete != m->complete
         || g_strcmp0 (mine->stats, m->stats) != 0 || g_strcmp0 (mine->error, m->error) != 0
         || mine->n_siblings != m->n_siblings || mine->sibling_index != m->sibling_index
         || g_strcmp0 (mine->model, m->model) != 0;
}

void
hearth_message_item_update (HearthMessageItem       *self,
                            const HearthChatMessage *message,
                            gboolean                 streaming)
{
  g_return_if_fail (HEARTH_IS_MESSAGE_ITEM (self));
  g_return_if_fail (message->id == self->message->id);

  if (!differs (self->message, message) && self->streaming == streaming)
    return;
  hearth_chat_message_free (self->message);
  self->message = hearth_chat_message_copy (message);
  self->streaming = streaming;
  g_signal_emit (self, item_signals[ITEM_SIGNAL_CHANGED], 0);
}

void
hearth_message_item_set_live_text (HearthMessageItem *self,
                                   const char        *text)
{
  g_return_if_fail (HEARTH_IS_MESSAGE_ITEM (self));

  if (g_strcmp0 (self->message->content, text) == 0 && self->streaming)
    return;
  g_free (self->message->content);
  self->message->content = g_strdup (text);
  self->streaming = TRUE;
  g_signal_emit (self, item_signals[ITEM_SIGNAL_CHANGED], 0);
}

gboolean
hearth_message_item_is_streaming (HearthMessageItem *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE_ITEM (self), FALSE);
  return self->streaming;
}

/* ---- the row ----------------------------------------------------------------------- */

struct _HearthMessageRow
{
  GtkBox parent_instance;

  /* template children */
  GtkWidget *header;
  GtkLabel *role_label;
  GtkWidget *siblings_box;        /* made when a message has other versions */
  GtkWidget *previous_button;
  GtkLabel *siblings_label;
  GtkWidget *next_button;
  GtkWidget *reasoning_expander;  /* made when a reply has reasoning */
  GtkLabel *reasoning_label;
  GtkWidget *body;
  GtkWidget *error_box;           /* made when a message has an error */
  GtkLabel *error_label;
  GtkWidget *retry_button;
  GtkWidget *drop_button;
  GtkWidget *new_chat_button;
  GtkWidget *rules_box;           /* made when a profile's rules changed or refused */
  GtkLabel *rules_label;
  GtkWidget *unruled_expander;    /* what the model wrote, where it was kept */
  GtkLabel *unruled_label;
  GtkWidget *footer;
  GtkLabel *stats_label;
  GtkWidget *copy_button;         /* the actions: made when the pointer or the focus
                                     comes to the row */
  GtkWidget *edit_button;
  GtkWidget *regenerate_button;

  /* borrowed: the item shown */
  HearthMessageItem *item;
  char *shown_text;           /* the Markdown rendered last */
  gint64 rendered_at;         /* when, and how long it took (µs): a streaming reply */
  gint64 render_cost;         /* is drawn again no sooner than 4× that later */
  guint render_id;
};

G_DEFINE_FINAL_TYPE (HearthMessageRow, hearth_message_row, GTK_TYPE_BOX)

char *
hearth_message_row_describe_stats (const char *stats)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  JsonObject *o;
  gint64 tokens;
  double rate, first;

  if (stats == NULL || !json_parser_load_from_data (parser, stats, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  tokens = json_object_get_int_member_with_default (o, "generated_tokens", 0);
  rate = json_object_get_double_member_with_default (o, "tokens_per_second", 0);
  first = json_object_get_double_member_with_default (o, "first_token_seconds", 0);
  if (rate > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("%.1f tokens/s"), rate));
  g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u token", "%u tokens",
                                                        (gulong) tokens),
                                           (guint) tokens));
  if (first > 0)
    g_ptr_array_add (parts, g_strdup_printf (_("first token after %.2f s"), first));
  if (g_strcmp0 (json_object_get_string_member_with_default (o, "stop_reason", NULL), "cancelled") == 0)
    g_ptr_array_add (parts, g_strdup (_("stopped")));
  else if (g_strcmp0 (json_object_get_string_member_with_default (o, "stop_reason", NULL),
                      "context full") == 0)
    g_ptr_array_add (parts, g_strdup (_("cut short: the context is full")));
  if (json_object_get_int_member_with_default (o, "dropped_messages", 0) > 0)
    g_ptr_array_add (parts, g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%u earlier message left out", "%u earlier messages left out",
                   (gulong) json_object_get_int_member_with_default (o, "dropped_messages", 0)),
      (guint) json_object_get_int_member_with_default (o, "dropped_messages", 0)));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static char *
stats_tooltip (const char *stats)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;

  if (stats == NULL || !json_parser_load_from_data (parser, stats, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  return g_strdup_printf (_("Prompt: %u tokens (%u reused from the cache)\n"
                            "Context: %u tokens\nDevice: %s"),
                          (guint) json_object_get_int_member_with_default (o, "prompt_tokens", 0),
                          (guint) json_object_get_int_member_with_default (o, "prompt_reused", 0),
                          (guint) json_object_get_int_member_with_default (o, "n_ctx", 0),
                          json_object_get_string_member_with_default (o, "device", "—"));
}

/* @button acts on message @id (its action and target set together: an
 * action with an int64 parameter and no target yet would be refused). */
static void
set_target (GtkWidget  *button,
            const char *action,
            gint64      id)
{
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_int64 (id));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
}

/* Links open in the browser only when they are web or mail addresses (the
 * Markdown renderer makes no others). */
static gboolean
on_activate_link (GtkLabel   *label,
                  const char *uri,
                  gpointer    user_data)
{
  if (g_str_has_prefix (uri, "https://") || g_str_has_prefix (uri, "http://")
      || g_str_has_prefix (uri, "mailto:"))
    return FALSE;
  return TRUE;
}

static GtkWidget *
text_block_new (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_use_markup (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "message-text");
  g_signal_connect (label, "activate-link", G_CALLBACK (on_activate_link), NULL);
  return label;
}

/* The body's children as @text's blocks: a label per run of text, a code
 * view per code block. While a reply streams only its end changes, so the
 * children that are still right are kept. */
static void
render_body (HearthMessageRow *self,
             const char       *text,
             gboolean          user)
{
  g_autoptr (GPtrArray) blocks = NULL;
  GtkWidget *child = gtk_widget_get_first_child (self->body);

  if (user)
    {
      HearthMarkdownBlock *block = g_new0 (HearthMarkdownBlock, 1);

      blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_markdown_block_free);
      block->kind = HEARTH_MARKDOWN_TEXT;
      block->text = g_markup_escape_text (text, -1);
      g_ptr_array_add (blocks, block);
    }
  else
    blocks = hearth_markdown_to_blocks (text);

  for (guint i = 0; i < blocks->len; i++)
    {
      HearthMarkdownBlock *block = blocks->pdata[i];
      GtkWidget *next = child != NULL ? gtk_widget_get_next_sibling (child) : NULL;
      const char *shown = child != NULL ? g_object_get_data (G_OBJECT (child), "hearth-text") : NULL;
      gboolean is_code = child != NULL && g_object_get_data (G_OBJECT (child), "hearth-code") != NULL;

      if (child != NULL && is_code == (block->kind == HEARTH_MARKDOWN_CODE)
          && g_strcmp0 (shown, block->text) == 0)
        {
          child = next;
          continue;
        }
      if (child != NULL && !is_code && block->kind == HEARTH_MARKDOWN_TEXT)
        {
          /* the text that grows: the same label */
          gtk_label_set_markup (GTK_LABEL (child), block->text);
          gtk_widget_set_margin_top (child, i == 0 || block->continues ? 0 : 8);
          g_object_set_data_full (G_OBJECT (child), "hearth-text", g_strdup (block->text), g_free);
          child = next;
          continue;
        }
      {
        GtkWidget *fresh = block->kind == HEARTH_MARKDOWN_CODE
                             ? hearth_markdown_code_view_new (block->text, block->language)
                             : text_block_new ();

        if (block->kind == HEARTH_MARKDOWN_TEXT)
          gtk_label_set_markup (GTK_LABEL (fresh), block->text);
        else
          g_object_set_data (G_OBJECT (fresh), "hearth-code", GINT_TO_POINTER (1));
        /* blocks apart, the pieces of one paragraph together */
        gtk_widget_set_margin_top (fresh, i == 0 || block->continues ? 0 : 8);
        g_object_set_data_full (G_OBJECT (fresh), "hearth-text", g_strdup (block->text), g_free);
        gtk_widget_insert_before (fresh, self->body, child);
        if (child != NULL)
          {
            gtk_widget_unparent (child);
            child = next;
          }
      }
    }
  while (child != NULL)
    {
      GtkWidget *next = gtk_widget_get_next_sibling (child);

      gtk_widget_unparent (child);
      child = next;
    }
}

/* Rows are made by the hundred when a long chat opens: the parts few
 * messages need are made when one does. */
static void
ensure_reasoning (HearthMessageRow *self)
{
  GtkWidget *label;

  if (self->reasoning_expander != NULL)
    return;
  self->reasoning_expander = gtk_expander_new (_("Thinking"));
  label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_expander_set_child (GTK_EXPANDER (self->reasoning_expander), label);
  self->reasoning_label = GTK_LABEL (label);
  gtk_widget_insert_before (self->reasoning_expander, GTK_WIDGET (self), self->body);
}

static GtkWidget *
error_button (const char *label)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  return button;
}

static void
ensure_error (HearthMessageRow *self)
{
  GtkWidget *buttons;

  if (self->error_box != NULL)
    return;
  self->error_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->error_label, 0);
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_selectable (self->error_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_box_append (GTK_BOX (self->error_box), GTK_WIDGET (self->error_label));
  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  self->retry_button = error_button (_("_Try Again"));
  self->drop_button = error_button (_("_Leave Out Oldest Turns"));
  self->new_chat_button = error_button (_("Start a _New Chat"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->new_chat_button), "win.new-chat");
  gtk_box_append (GTK_BOX (buttons), self->retry_button);
  gtk_box_append (GTK_BOX (buttons), self->drop_button);
  gtk_box_append (GTK_BOX (buttons), self->new_chat_button);
  gtk_box_append (GTK_BOX (self->error_box), buttons);
  gtk_widget_insert_after (self->error_box, GTK_WIDGET (self), self->body);
}

/* What a profile's rules did to a reply (the "refusal" and "notes" its
 * statistics keep), one line each; NULL where they did nothing. */
char *
hearth_message_row_describe_rules (const char *stats)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GString) out = g_string_new (NULL);
  JsonObject *o;
  JsonArray *notes;

  if (stats == NULL || !json_parser_load_from_data (parser, stats, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (o, "refusal")
      && JSON_NODE_HOLDS_VALUE (json_object_get_member (o, "refusal")))
    g_string_append (out, json_object_get_string_member_with_default (o, "refusal", ""));
  notes = json_object_has_member (o, "notes")
          && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "notes"))
            ? json_object_get_array_member (o, "notes") : NULL;
  for (guint i = 0; notes != NULL && i < json_array_get_length (notes); i++)
    {
      JsonNode *n = json_array_get_element (notes, i);

      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, json_node_get_string (n));
    }
  return out->len > 0 ? g_string_free (g_steal_pointer (&out), FALSE) : NULL;
}

/* What the model wrote before the rules changed it, where the person asked
 * to keep it ("unruled"), or NULL. */
static char *
unruled_text (const char *stats)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonNode *n;

  if (stats == NULL || !json_parser_load_from_data (parser, stats, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  o = json_node_get_object (json_parser_get_root (parser));
  n = json_object_get_member (o, "unruled");
  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

static void
ensure_rules (HearthMessageRow *self)
{
  GtkWidget *icon, *column;

  if (self->rules_box != NULL)
    return;
  self->rules_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_add_css_class (self->rules_box, "rules-note");
  icon = gtk_image_new_from_icon_name ("dialog-information-symbolic");
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (self->rules_box), icon);
  column = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_hexpand (column, TRUE);
  gtk_box_append (GTK_BOX (self->rules_box), column);
  self->rules_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->rules_label, 0);
  gtk_label_set_wrap (self->rules_label, TRUE);
  gtk_label_set_wrap_mode (self->rules_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (self->rules_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->rules_label), "caption");
  gtk_box_append (GTK_BOX (column), GTK_WIDGET (self->rules_label));
  self->unruled_expander = gtk_expander_new_with_mnemonic (_("What the _Model Wrote"));
  gtk_widget_add_css_class (self->unruled_expander, "caption");
  self->unruled_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->unruled_label, 0);
  gtk_label_set_wrap (self->unruled_label, TRUE);
  gtk_label_set_wrap_mode (self->unruled_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (self->unruled_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->unruled_label), "dim-label");
  gtk_expander_set_child (GTK_EXPANDER (self->unruled_expander), GTK_WIDGET (self->unruled_label));
  gtk_box_append (GTK_BOX (column), self->unruled_expander);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->rules_box), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("The profile’s rules"), -1);
  gtk_widget_insert_after (self->rules_box, GTK_WIDGET (self), self->body);
}

static GtkWidget *
version_button (const char *icon,
                const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  return button;
}

static void
ensure_siblings (HearthMessageRow *self)
{
  if (self->siblings_box != NULL)
    return;
  self->siblings_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 2);
  self->previous_button = version_button ("go-previous-symbolic", _("Previous Version"));
  self->siblings_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_add_css_class (GTK_WIDGET (self->siblings_label), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->siblings_label), "numeric");
  self->next_button = version_button ("go-next-symbolic", _("Next Version"));
  gtk_box_append (GTK_BOX (self->siblings_box), self->previous_button);
  gtk_box_append (GTK_BOX (self->siblings_box), GTK_WIDGET (self->siblings_label));
  gtk_box_append (GTK_BOX (self->siblings_box), self->next_button);
  gtk_box_append (GTK_BOX (self->header), self->siblings_box);
}

static GtkWidget *
action_button (const char *icon,
               const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

/* Copy, edit and write-again, for the message shown. */
static void
update_actions (HearthMessageRow *self)
{
  const HearthChatMessage *m;
  gboolean streaming;

  if (self->copy_button == NULL || self->item == NULL)
    return;
  m = hearth_message_item_get_message (self->item);
  streaming = hearth_message_item_is_streaming (self->item);
  gtk_widget_set_visible (self->edit_button, g_str_equal (m->role, "user"));
  gtk_widget_set_visible (self->regenerate_button, g_str_equal (m->role, "assistant"));
  for (GtkWidget *const *b = (GtkWidget *const[]) { self->copy_button, self->edit_button,
                                                    self->regenerate_button, NULL };
       *b != NULL; b++)
    gtk_widget_set_sensitive (*b, !streaming);
  set_target (self->copy_button, "chat.copy-message", m->id);
  set_target (self->edit_button, "chat.edit-message", m->id);
  set_target (self->regenerate_button, "chat.regenerate", m->id);
}

static void
ensure_actions (HearthMessageRow *self)
{
  if (self->copy_button == NULL)
    {
      self->copy_button = action_button ("edit-copy-symbolic", _("Copy Message"));
      self->edit_button = action_button ("document-edit-symbolic", _("Edit Message"));
      self->regenerate_button = action_button ("view-refresh-symbolic", _("Write the Reply Again"));
      gtk_box_append (GTK_BOX (self->footer), self->copy_button);
      gtk_box_append (GTK_BOX (self->footer), self->edit_button);
      gtk_box_append (GTK_BOX (self->footer), self->regenerate_button);
    }
  update_actions (self);
}

static void update (HearthMessageRow *self);

static gboolean
render_later (gpointer data)
{
  HearthMessageRow *self = data;

  self->render_id = 0;
  self->rendered_at = 0;
  if (self->item != NULL)
    update (self);
  return G_SOURCE_REMOVE;
}

static void
update (HearthMessageRow *self)
{
  const HearthChatMessage *m = hearth_message_item_get_message (self->item);
  gboolean user = g_str_equal (m->role, "user");
  gboolean assistant = g_str_equal (m->role, "assistant");
  gboolean streaming = hearth_message_item_is_streaming (self->item);
  gboolean context_full = m->stats != NULL && strstr (m->stats, "\"error\":\"context-full\"") != NULL;
  /* a reply left half-written when Hearth stopped (a crash, a power cut) */
  gboolean interrupted = assistant && !m->complete && !streaming;
  const char *error = m->error != NULL ? m->error
                      : interrupted    ? _("Hearth stopped before this reply was finished.")
                                       : NULL;
  g_autofree char *reasoning = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *stats = NULL;
  g_autofree char *tooltip = NULL;

  if (user)
    gtk_label_set_label (self->role_label, _("You"));
  else if (assistant)
    {
      /* a model on a server: "stories:latest (Workshop)", as the
       * drop-down names it */
      GApplication *app = g_application_get_default ();
      g_autofree char *described = m->model != NULL && HEARTH_IS_APPLICATION (app)
        ? hearth_remote_servers_describe_model (
            hearth_context_get_servers (hearth_application_get_context (HEARTH_APPLICATION (app))),
            m->model)
        : NULL;

      gtk_label_set_label (self->role_label, described != NULL ? described
                                             : m->model != NULL ? m->model
                                                                : _("Assistant"));
    }
  else
    gtk_label_set_label (self->role_label, _("System"));
  gtk_widget_set_css_classes (GTK_WIDGET (self),
                              (const char *[]) { "message", user ? "from-user" : "from-model", NULL });

  /* "< 2/3 >" between the versions of this message */
  if (m->n_siblings > 1)
    ensure_siblings (self);
  if (self->siblings_box != NULL)
    gtk_widget_set_visible (self->siblings_box, m->n_siblings > 1);
  if (m->n_siblings > 1)
    {
      g_autofree char *position = g_strdup_printf ("%u/%u", m->sibling_index + 1, m->n_siblings);
      g_autofree char *spoken = g_strdup_printf (_("Version %u of %u"), m->sibling_index + 1,
                                                 m->n_siblings);

      gtk_label_set_label (self->siblings_label, position);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->siblings_label),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, spoken, -1);
      gtk_widget_set_sensitive (self->previous_button, m->sibling_index > 0 && !streaming);
      gtk_widget_set_sensitive (self->next_button, m->sibling_index + 1 < m->n_siblings && !streaming);
    }

  /* the text: reasoning folded away, the answer as Markdown */
  if (assistant)
    hearth_markdown_split_reasoning (m->content, &reasoning, &answer);
  else
    answer = g_strdup (m->content);
  if (reasoning != NULL)
    ensure_reasoning (self);
  if (self->reasoning_expander != NULL)
    gtk_widget_set_visible (self->reasoning_expander, reasoning != NULL);
  if (reasoning != NULL)
    {
      gtk_label_set_label (self->reasoning_label, reasoning);
      gtk_expander_set_label (GTK_EXPANDER (self->reasoning_expander),
                              *answer == '\0' && streaming ? _("Thinking…") : _("Thought"));
    }
  if (g_strcmp0 (self->shown_text, answer) != 0 && streaming
      && g_get_monotonic_time () - self->rendered_at < 4 * self->render_cost)
    {
      /* a long reply costs time to lay out: while it streams, the main loop
       * is left at least three quarters of it */
      if (self->render_id == 0)
        self->render_id = g_timeout_add ((guint) MAX (1, 4 * self->render_cost / 1000), render_later,
                                         self);
    }
  else if (g_strcmp0 (self->shown_text, answer) != 0)
    {
      gint64 start = g_get_monotonic_time ();

      render_body (self, answer, user);
      self->rendered_at = g_get_monotonic_time ();
      self->render_cost = self->rendered_at - start;
      g_free (self->shown_text);
      self->shown_text = g_steal_pointer (&answer);
    }
  gtk_widget_set_visible (self->body, *self->shown_text != '\0' || streaming);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->body), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  user ? _("Your message") : _("Reply"), -1);

  if (error != NULL)
    ensure_error (self);
  if (self->error_box != NULL)
    {
      gtk_widget_set_visible (self->error_box, error != NULL && !streaming);
      gtk_label_set_label (self->error_label, error != NULL ? error : "");
      gtk_widget_set_visible (self->drop_button, context_full);
      gtk_widget_set_visible (self->new_chat_button, context_full);
      gtk_widget_set_visible (self->retry_button, !context_full);
      set_target (self->retry_button, "chat.regenerate", m->id);
      set_target (self->drop_button, "chat.leave-out-oldest", m->id);
    }

  /* what the profile's rules did: a refusal's message where the reply
   * would be, the notes beside what they changed */
  {
    g_autofree char *rules = streaming ? NULL : hearth_message_row_describe_rules (m->stats);
    g_autofree char *unruled = rules != NULL ? unruled_text (m->stats) : NULL;

    if (rules != NULL)
      ensure_rules (self);
    if (self->rules_box != NULL)
      {
        gtk_widget_set_visible (self->rules_box, rules != NULL);
        gtk_label_set_label (self->rules_label, rules != NULL ? rules : "");
        gtk_widget_set_visible (self->unruled_expander, unruled != NULL);
        gtk_label_set_label (self->unruled_label, unruled != NULL ? unruled : "");
      }
  }

  /* (a reply that failed before it wrote anything has no figures to show) */
  stats = streaming                            ? g_strdup (_("Writing…"))
          : error != NULL && *m->content == '\0' ? NULL
                                               : hearth_message_row_describe_stats (m->stats);
  gtk_label_set_label (self->stats_label, stats != NULL ? stats : "");
  tooltip = streaming ? NULL : stats_tooltip (m->stats);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->stats_label), tooltip);
  update_actions (self);

  if (self->siblings_box != NULL)
    {
      set_target (self->previous_button, "chat.previous-version", m->id);
      set_target (self->next_button, "chat.next-version", m->id);
    }
}

void
hearth_message_row_set_item (HearthMessageRow  *self,
                             HearthMessageItem *item)
{
  g_return_if_fail (HEARTH_IS_MESSAGE_ROW (self));

  if (self->item == item)
    return;
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
  g_clear_pointer (&self->shown_text, g_free);
  g_clear_handle_id (&self->render_id, g_source_remove);
  self->rendered_at = self->render_cost = 0;
  self->item = item;
  if (item == NULL)
    return;
  g_signal_connect_swapped (item, "changed", G_CALLBACK (update), self);
  update (self);
}

GtkWidget *
hearth_message_row_new (void)
{
  return g_object_new (HEARTH_TYPE_MESSAGE_ROW, NULL);
}

static void
hearth_message_row_dispose (GObject *object)
{
  HearthMessageRow *self = HEARTH_MESSAGE_ROW (object);

  hearth_message_row_set_item (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), HEARTH_TYPE_MESSAGE_ROW);
  G_OBJECT_CLASS (hearth_message_row_parent_class)->dispose (object);
}

static void
hearth_message_row_class_init (HearthMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_message_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_BASE "/hearth-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, header);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, role_label);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, body);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, footer);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, stats_label);
}

static void
hearth_message_row_init (HearthMessageRow *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  /* the actions appear for the row a person points at or moves into */
  g_signal_connect_swapped (motion, "enter", G_CALLBACK (ensure_actions), self);
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (ensure_actions), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
}
