/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-message-row"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-markdown.h"
#include "hearth-message-row.h"

/* ---- the item ------------------------------------------------------------------ */

struct _HearthMessageItem
{
  GObject parent_instance;

  HearthChatMessage message;   /* strings owned */
  gboolean streaming;
};

enum { ITEM_SIGNAL_CHANGED, ITEM_N_SIGNALS };
static guint item_signals[ITEM_N_SIGNALS];

G_DEFINE_FINAL_TYPE (HearthMessageItem, hearth_message_item, G_TYPE_OBJECT)

static void
message_clear (HearthChatMessage *m)
{
  g_free (m->role);
  g_free (m->content);
  g_free (m->model);
  g_free (m->params);
  g_free (m->stats);
  g_free (m->error);
}

static void
message_copy (HearthChatMessage       *to,
              const HearthChatMessage *from)
{
  *to = *from;
  to->role = g_strdup (from->role);
  to->content = g_strdup (from->content);
  to->model = g_strdup (from->model);
  to->params = g_strdup (from->params);
  to->stats = g_strdup (from->stats);
  to->error = g_strdup (from->error);
}

static void
hearth_message_item_finalize (GObject *object)
{
  message_clear (&HEARTH_MESSAGE_ITEM (object)->message);
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
hearth_message_item_new (const HearthChatMessage *message)
{
  HearthMessageItem *self = g_object_new (HEARTH_TYPE_MESSAGE_ITEM, NULL);

  message_copy (&self->message, message);
  return self;
}

const HearthChatMessage *
hearth_message_item_get_message (HearthMessageItem *self)
{
  g_return_val_if_fail (HEARTH_IS_MESSAGE_ITEM (self), NULL);
  return &self->message;
}

gboolean
hearth_message_item_differs (HearthMessageItem       *self,
                             const HearthChatMessage *m)
{
  const HearthChatMessage *mine = &self->message;

  return mine->id != m->id || g_strcmp0 (mine->content, m->content) != 0
         || mine->complete != m->complete || g_strcmp0 (mine->stats, m->stats) != 0
         || g_strcmp0 (mine->error, m->error) != 0 || mine->n_siblings != m->n_siblings
         || mine->sibling_index != m->sibling_index || g_strcmp0 (mine->model, m->model) != 0;
}

void
hearth_message_item_update (HearthMessageItem       *self,
                            const HearthChatMessage *message)
{
  g_return_if_fail (HEARTH_IS_MESSAGE_ITEM (self));

  message_clear (&self->message);
  message_copy (&self->message, message);
  g_signal_emit (self, item_signals[ITEM_SIGNAL_CHANGED], 0);
}

void
hearth_message_item_set_live_text (HearthMessageItem *self,
                                   const char        *text,
                                   gboolean           streaming)
{
  g_return_if_fail (HEARTH_IS_MESSAGE_ITEM (self));

  if (g_strcmp0 (self->message.content, text) == 0 && self->streaming == streaming)
    return;
  g_free (self->message.content);
  self->message.content = g_strdup (text);
  self->streaming = streaming;
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
  GtkLabel *role_label;
  GtkWidget *siblings_box;
  GtkWidget *previous_button;
  GtkLabel *siblings_label;
  GtkWidget *next_button;
  GtkWidget *reasoning_expander;
  GtkLabel *reasoning_label;
  GtkTextView *text_view;
  GtkWidget *error_box;
  GtkLabel *error_label;
  GtkWidget *retry_button;
  GtkWidget *drop_button;
  GtkWidget *new_chat_button;
  GtkWidget *footer;
  GtkLabel *stats_label;
  GtkWidget *copy_button;
  GtkWidget *edit_button;
  GtkWidget *regenerate_button;

  /* borrowed: the item shown */
  HearthMessageItem *item;
  char *shown_text;           /* the Markdown rendered last */
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

static void
set_target (GtkWidget *button,
            gint64     id)
{
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_int64 (id));
}

static void
update (HearthMessageRow *self)
{
  const HearthChatMessage *m = hearth_message_item_get_message (self->item);
  gboolean user = g_str_equal (m->role, "user");
  gboolean assistant = g_str_equal (m->role, "assistant");
  gboolean streaming = hearth_message_item_is_streaming (self->item);
  gboolean context_full = m->stats != NULL && strstr (m->stats, "\"error\":\"context-full\"") != NULL;
  g_autofree char *reasoning = NULL;
  g_autofree char *answer = NULL;
  g_autofree char *stats = NULL;
  g_autofree char *tooltip = NULL;

  if (user)
    gtk_label_set_label (self->role_label, _("You"));
  else if (assistant)
    gtk_label_set_label (self->role_label, m->model != NULL ? m->model : _("Assistant"));
  else
    gtk_label_set_label (self->role_label, _("System"));
  gtk_widget_set_css_classes (GTK_WIDGET (self),
                              (const char *[]) { "message", user ? "from-user" : "from-model", NULL });

  /* "< 2/3 >" between the versions of this message */
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
  gtk_widget_set_visible (self->reasoning_expander, reasoning != NULL);
  if (reasoning != NULL)
    {
      gtk_label_set_label (self->reasoning_label, reasoning);
      gtk_expander_set_label (GTK_EXPANDER (self->reasoning_expander),
                              *answer == '\0' && streaming ? _("Thinking…") : _("Thought"));
    }
  if (g_strcmp0 (self->shown_text, answer) != 0)
    {
      /* a user's message is shown as typed; a reply as Markdown */
      if (user)
        gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->text_view), answer, -1);
      else
        hearth_markdown_render (gtk_text_view_get_buffer (self->text_view), self->text_view, answer);
      g_free (self->shown_text);
      self->shown_text = g_steal_pointer (&answer);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->text_view), *self->shown_text != '\0' || streaming);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  user ? _("Your message") : _("Reply"), -1);

  gtk_widget_set_visible (self->error_box, m->error != NULL && !streaming);
  if (m->error != NULL)
    gtk_label_set_label (self->error_label, m->error);
  gtk_widget_set_visible (self->drop_button, context_full);
  gtk_widget_set_visible (self->new_chat_button, context_full);
  gtk_widget_set_visible (self->retry_button, !context_full);

  stats = streaming ? g_strdup (_("Writing…")) : hearth_message_row_describe_stats (m->stats);
  gtk_label_set_label (self->stats_label, stats != NULL ? stats : "");
  tooltip = streaming ? NULL : stats_tooltip (m->stats);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->stats_label), tooltip);
  gtk_widget_set_visible (self->edit_button, user);
  gtk_widget_set_visible (self->regenerate_button, assistant);
  gtk_widget_set_sensitive (self->footer, !streaming);

  for (GtkWidget *const *b = (GtkWidget *const[]) { self->previous_button, self->next_button,
                                                    self->retry_button, self->drop_button,
                                                    self->copy_button, self->edit_button,
                                                    self->regenerate_button, NULL };
       *b != NULL; b++)
    set_target (*b, m->id);
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
  self->item = item;
  if (item == NULL)
    return;
  g_signal_connect_swapped (item, "changed", G_CALLBACK (update), self);
  update (self);
}

/* A click on a link opens it. */
static void
on_click (GtkGestureClick  *gesture,
          int               n_press,
          double            x,
          double            y,
          HearthMessageRow *self)
{
  GtkTextIter iter;
  int bx, by;
  const char *href;

  gtk_text_view_window_to_buffer_coords (self->text_view, GTK_TEXT_WINDOW_WIDGET, (int) x, (int) y,
                                         &bx, &by);
  if (!gtk_text_view_get_iter_at_location (self->text_view, &iter, bx, by))
    return;
  href = hearth_markdown_link_at (&iter);
  if (href != NULL && (g_str_has_prefix (href, "https://") || g_str_has_prefix (href, "http://")
                       || g_str_has_prefix (href, "mailto:")))
    gtk_show_uri (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), href, GDK_CURRENT_TIME);
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
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, role_label);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, siblings_box);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, previous_button);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, siblings_label);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, next_button);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, reasoning_expander);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, reasoning_label);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, text_view);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, error_box);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, drop_button);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, new_chat_button);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, footer);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, stats_label);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, HearthMessageRow, regenerate_button);
}

static void
hearth_message_row_init (HearthMessageRow *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (click, "released", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), GTK_EVENT_CONTROLLER (click));
}
