/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-profile-editor"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-chat-template.h"
#include "hearth-gguf.h"
#include "hearth-go-template.h"
#include "hearth-model-name.h"
#include "hearth-parameter-rows.h"
#include "hearth-profile-editor.h"
#include "hearth-profile.h"
#include "hearth-remote-models.h"
#include "hearth-request.h"
#include "hearth-rules-editor.h"
#include "hearth-tokenizer.h"
#include "hearth-ui.h"
#include "hearth-application.h"

/* The preview and the token count follow the text this long after the
 * last change. */
#define REFRESH_DELAY_MS 150

/* The preview's bound on rendered text. */
#define PREVIEW_MAX_BYTES (64 * 1024)

/* The roles an example message may have, as Ollama names them. */
static const char *const roles[] = { "user", "assistant", "system" };

/* What the chosen base model brings, read off the main thread. */
typedef struct
{
  char *name;
  HearthTokenizer *tokenizer;   /* or NULL, the reason in tokenizer_error */
  char *tokenizer_error;
  char *gguf_template;          /* tokenizer.chat_template, or NULL */
  char *bos, *eos;
  HearthModelLayers *layers;    /* or NULL */
} Base;

static void
base_free (Base *base)
{
  if (base == NULL)
    return;
  g_free (base->name);
  g_clear_pointer (&base->tokenizer, hearth_tokenizer_unref);
  g_free (base->tokenizer_error);
  g_free (base->gguf_template);
  g_free (base->bos);
  g_free (base->eos);
  g_clear_pointer (&base->layers, hearth_model_layers_free);
  g_free (base);
}

struct _HearthProfileEditor
{
  AdwWindow parent_instance;

  /* template children */
  AdwWindowTitle *window_title;
  GtkButton *cancel_button;
  GtkButton *save_button;
  GtkSpinner *spinner;
  GtkRevealer *problem_revealer;
  GtkLabel *problem_label;
  AdwEntryRow *name_row;
  AdwComboRow *base_row;
  GtkLabel *name_message;
  GtkTextView *system_view;
  GtkLabel *system_tokens;
  AdwPreferencesGroup *parameters_group;
  AdwPreferencesGroup *stop_group;
  GtkTextView *template_view;
  GtkLabel *template_syntax;
  GtkLabel *template_error;
  GtkLabel *template_preview;
  AdwPreferencesGroup *messages_group;
  HearthRulesEditor *rules_editor;

  /* made in init; the widgets borrowed from their groups */
  GPtrArray *param_rows;
  GPtrArray *stop_rows;
  GPtrArray *message_rows;      /* in order */
  GtkStringList *bases;         /* the base models offered, as shown */
  GPtrArray *base_froms;        /* each one's FROM: a local name, or URL/MODEL on a server */
  guint n_local_bases;          /* the first ones, before the servers' models */
  HearthRemoteModels *remote_models; /* the servers' models (Ollama servers') */

  /* owned */
  HearthLibrary *library;
  HearthProfileEditorMode mode;
  char *original;               /* the profile edited, as a full name; or NULL */
  HearthModelfile *loaded;      /* what was read, for what the editor does not show */
  Base *base;                   /* the base chosen, once read */
  GCancellable *cancellable;    /* reading the base */
  guint refresh_id;
  gboolean template_ok;
  gboolean saving;
};

G_DEFINE_FINAL_TYPE (HearthProfileEditor, hearth_profile_editor, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void update_validity (HearthProfileEditor *self);
static void schedule_refresh (HearthProfileEditor *self);

/* ---- names ------------------------------------------------------------------- */

char *
hearth_profile_editor_check_name (HearthLibrary  *library,
                                  const char     *text,
                                  gboolean       *exists,
                                  GError        **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autoptr (HearthModelName) parsed = NULL;
  g_autofree char *name = NULL;

  if (exists != NULL)
    *exists = FALSE;
  if (*trimmed == '\0')
    {
      g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_INVALID_NAME,
                           _("A profile needs a name."));
      return NULL;
    }
  parsed = hearth_model_name_parse (trimmed, error);
  if (parsed == NULL)
    return NULL;
  name = hearth_model_name_to_string (parsed);
  if (exists != NULL && library != NULL)
    for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (library)); i++)
      {
        g_autoptr (HearthModelItem) item = g_list_model_get_item (G_LIST_MODEL (library), i);

        if (g_str_equal (hearth_model_item_get_name (item), name))
          *exists = TRUE;
      }
  return g_steal_pointer (&name);
}

/* @text as the library names it ("llama3.2" → "llama3.2:latest"), or a
 * copy of @text where it is no name. */
static char *
full_name (const char *text)
{
  g_autoptr (HearthModelName) parsed = hearth_model_name_parse (text, NULL);

  return parsed != NULL ? hearth_model_name_to_string (parsed) : g_strdup (text);
}

/* ---- reading what the widgets hold --------------------------------------------- */

static char *
text_view_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* The text, or NULL where it is only blanks. */
static char *
text_view_value (GtkTextView *view)
{
  g_autofree char *text = text_view_text (view);
  g_autofree char *trimmed = g_strstrip (g_strdup (text));

  return *trimmed != '\0' ? g_steal_pointer (&text) : NULL;
}

static const char *
selected_base (HearthProfileEditor *self)
{
  guint i = adw_combo_row_get_selected (self->base_row);

  if (i == GTK_INVALID_LIST_POSITION || i >= self->base_froms->len)
    return NULL;
  return self->base_froms->pdata[i];
}

static const char *
message_role (GtkWidget *row)
{
  GtkDropDown *dropdown = g_object_get_data (G_OBJECT (row), "hearth-role");
  guint i = gtk_drop_down_get_selected (dropdown);

  return i < G_N_ELEMENTS (roles) ? roles[i] : roles[0];
}

static const char *
message_content (GtkWidget *row)
{
  return gtk_editable_get_text (g_object_get_data (G_OBJECT (row), "hearth-content"));
}

/* ---- the base model ---------------------------------------------------------------- */

typedef struct
{
  HearthStore *store;
  char *name;
} BaseJob;

static void
base_job_free (BaseJob *job)
{
  g_clear_object (&job->store);
  g_free (job->name);
  g_free (job);
}

/* Worker: the base's tokenizer, template and layers (a GGUF of gigabytes
 * is only mapped, but its vocabulary is read whole). */
static void
read_base_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  BaseJob *job = task_data;
  Base *base = g_new0 (Base, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *path = hearth_store_get_model_path (job->store, job->name, &error);
  g_autoptr (HearthGguf) gguf = NULL;

  base->name = g_strdup (job->name);
  if (path != NULL)
    gguf = hearth_gguf_open (path, &error);
  if (gguf != NULL)
    {
      base->tokenizer = hearth_tokenizer_new (gguf, &error);
      if (hearth_gguf_get_string (gguf, "tokenizer.chat_template", NULL) != NULL)
        base->gguf_template = g_strdup (hearth_gguf_get_string (gguf, "tokenizer.chat_template",
                                                                NULL));
      base->bos = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.bos_token_id");
      base->eos = hearth_gguf_dup_special_token (gguf, "tokenizer.ggml.eos_token_id");
    }
  if (base->tokenizer == NULL)
    base->tokenizer_error = g_strdup (error != NULL ? error->message : "");
  base->layers = hearth_model_layers_read (job->store, job->name, NULL);
  g_task_return_pointer (task, base, (GDestroyNotify) base_free);
}

/* The value of parameter @name in the base's layers as text, or NULL. */
static char *
base_param (Base       *base,
            const char *name)
{
  if (base == NULL || base->layers == NULL)
    return NULL;
  for (guint i = 0; i < base->layers->params->len; i++)
    {
      const HearthOllamaParam *param = base->layers->params->pdata[i];

      if (g_str_equal (param->name, name))
        {
          g_auto (GStrv) values = hearth_profile_param_values (param);

          return values != NULL && values[0] != NULL ? g_strdup (values[0]) : NULL;
        }
    }
  return NULL;
}

/* Hearth's own default for parameter @name as text, or NULL. */
static char *
default_param (const char *name)
{
  HearthOptions o;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  hearth_options_init (&o);
  if (g_str_equal (name, "temperature"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o.temperature));
  if (g_str_equal (name, "top_k"))
    return g_strdup_printf ("%d", o.top_k);
  if (g_str_equal (name, "top_p"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o.top_p));
  if (g_str_equal (name, "min_p"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o.min_p));
  if (g_str_equal (name, "repeat_penalty"))
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", o.repeat_penalty));
  if (g_str_equal (name, "repeat_last_n"))
    return g_strdup_printf ("%d", o.repeat_last_n);
  if (g_str_equal (name, "num_predict"))
    return g_strdup_printf ("%d", o.num_predict);
  if (g_str_equal (name, "seed"))
    return g_strdup (_("random"));
  if (g_str_equal (name, "num_ctx"))
    return g_strdup (_("auto"));
  return NULL;
}

static void
update_placeholders (HearthProfileEditor *self)
{
  for (guint i = 0; i < self->param_rows->len; i++)
    {
      GtkWidget *row = self->param_rows->pdata[i];
      const char *name = hearth_parameter_row_get_name (row);
      g_autofree char *value = base_param (self->base, name);

      if (value == NULL)
        value = default_param (name);
      hearth_parameter_row_set_placeholder (row, value);
    }
}

static void
read_base_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  Base *base = g_task_propagate_pointer (G_TASK (result), &error);
  HearthProfileEditor *self;

  if (base == NULL)
    return; /* cancelled: another base was chosen, or the editor closed */
  self = HEARTH_PROFILE_EDITOR (source);
  base_free (self->base);
  self->base = base;
  update_placeholders (self);
  schedule_refresh (self);
}

static void
base_changed_cb (HearthProfileEditor *self)
{
  const char *name = selected_base (self);
  g_autoptr (GTask) task = NULL;
  BaseJob *job;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->base, base_free);
  update_placeholders (self);
  schedule_refresh (self);
  update_validity (self);
  if (name == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  job = g_new0 (BaseJob, 1);
  job->store = g_object_ref (hearth_library_get_store (self->library));
  job->name = g_strdup (name);
  task = g_task_new (self, self->cancellable, read_base_done_cb, NULL);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, job, (GDestroyNotify) base_job_free);
  g_task_run_in_thread (task, read_base_thread);
}

/* ---- the preview and the token count ----------------------------------------------- */

/* The sample conversation: the system prompt, the example messages, then a
 * short exchange. */
static void
sample_conversation (HearthProfileEditor *self,
                     GPtrArray           *out_roles,
                     GPtrArray           *out_contents)
{
  char *system = text_view_value (self->system_view);

  if (system == NULL && self->base != NULL && self->base->layers != NULL)
    system = g_strdup (self->base->layers->system);
  if (system != NULL)
    {
      g_ptr_array_add (out_roles, g_strdup ("system"));
      g_ptr_array_add (out_contents, system);
    }
  for (guint i = 0; i < self->message_rows->len; i++)
    {
      g_ptr_array_add (out_roles, g_strdup (message_role (self->message_rows->pdata[i])));
      g_ptr_array_add (out_contents, g_strdup (message_content (self->message_rows->pdata[i])));
    }
  g_ptr_array_add (out_roles, g_strdup ("user"));
  g_ptr_array_add (out_contents, g_strdup (_("Hello! Who are you?")));
  g_ptr_array_add (out_roles, g_strdup ("assistant"));
  g_ptr_array_add (out_contents, g_strdup (_("Hello! I am here to help you.")));
  g_ptr_array_add (out_roles, g_strdup ("user"));
  g_ptr_array_add (out_contents, g_strdup (_("What can you do?")));
}

/* @source rendered for the sample conversation, as the engine renders it
 * (hearth-engine.c's prompt_text ()): Go's syntax as Ollama does, else
 * Jinja with the base's BOS and EOS. */
static char *
render (HearthProfileEditor *self,
        const char          *source,
        gboolean             go,
        GError             **error)
{
  g_autoptr (GPtrArray) r = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) c = g_ptr_array_new_with_free_func (g_free);

  sample_conversation (self, r, c);
  if (go)
    {
      g_autoptr (HearthGoTemplate) tmpl = hearth_go_template_new (source, error);
      g_autofree HearthGoTemplateMessage *messages = NULL;
      HearthGoTemplateData data = { 0 };

      if (tmpl == NULL)
        return NULL;
      messages = g_new0 (HearthGoTemplateMessage, r->len + 1);
      for (guint i = 0; i < r->len; i++)
        {
          messages[i].role = r->pdata[i];
          messages[i].content = c->pdata[i];
        }
      data.messages = messages;
      data.n_messages = r->len;
      return hearth_go_template_render (tmpl, &data, error);
    }
  else
    {
      g_autoptr (HearthChatTemplate) tmpl = hearth_chat_template_new (source, -1, error);
      g_autoptr (HearthTemplateVars) vars = NULL;

      if (tmpl == NULL)
        return NULL;
      vars = hearth_template_vars_new_for_chat (self->base != NULL ? self->base->bos : NULL,
                                                self->base != NULL ? self->base->eos : NULL);
      for (guint i = 0; i < r->len; i++)
        hearth_template_vars_add_message (vars, r->pdata[i], c->pdata[i]);
      return hearth_chat_template_render (tmpl, vars, 0, PREVIEW_MAX_BYTES, NULL, error);
    }
}

static void
refresh_preview (HearthProfileEditor *self)
{
  g_autofree char *own = text_view_value (self->template_view);
  const char *source = own;
  g_autofree char *syntax = NULL;
  g_autofree char *rendered = NULL;
  g_autoptr (GError) error = NULL;
  gboolean go;

  if (source == NULL && self->base != NULL && self->base->layers != NULL)
    source = self->base->layers->template;
  if (source == NULL && self->base != NULL)
    source = self->base->gguf_template;
  if (source == NULL)
    {
      g_autoptr (GPtrArray) r = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) c = g_ptr_array_new_with_free_func (g_free);
      GString *joined = g_string_new (NULL);

      /* a model without a template reads the turns' words one after
       * another, system messages left out (as the engine does) */
      sample_conversation (self, r, c);
      for (guint i = 0; i < r->len; i++)
        if (!g_str_equal (r->pdata[i], "system"))
          g_string_append (joined, c->pdata[i]);
      gtk_label_set_text (self->template_syntax,
                          self->base == NULL ? _("The base model is being read…")
                                             : _("No template: the base model has none, so "
                                                 "the words of each turn follow one another."));
      gtk_label_set_text (self->template_preview, joined->str);
      g_string_free (joined, TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->template_error), FALSE);
      self->template_ok = TRUE;
      return;
    }
  go = hearth_go_template_is_go_syntax (source);
  if (own != NULL)
    syntax = g_strdup (go ? _("Syntax: Go template (as Ollama writes them)")
                          : _("Syntax: Jinja (as Hugging Face models carry them)"));
  else
    syntax = g_strdup (go ? _("The base model’s template, in Go’s syntax")
                          : _("The base model’s template, in Jinja"));
  gtk_label_set_text (self->template_syntax, syntax);
  rendered = render (self, source, go, &error);
  if (rendered == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The template cannot be used: %s"),
                                               error->message);

      gtk_label_set_text (self->template_error, text);
      gtk_widget_set_visible (GTK_WIDGET (self->template_error), TRUE);
      gtk_label_set_text (self->template_preview, "");
      self->template_ok = own == NULL; /* the base's own: not this profile's fault */
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->template_error), FALSE);
  /* (a template may write NUL bytes: the label shows up to the first) */
  gtk_label_set_text (self->template_preview, rendered);
  self->template_ok = TRUE;
}

static void
refresh_tokens (HearthProfileEditor *self)
{
  g_autofree char *system = text_view_text (self->system_view);
  g_autoptr (GArray) ids = NULL;
  g_autofree char *text = NULL;

  if (self->base != NULL && self->base->tokenizer != NULL)
    ids = hearth_tokenizer_encode (self->base->tokenizer, system, -1, HEARTH_TOKENIZE_NONE, NULL);
  if (ids != NULL)
    text = g_strdup_printf (ngettext ("%u token", "%u tokens", ids->len), ids->len);
  else
    text = g_strdup (_("— tokens"));
  gtk_label_set_text (self->system_tokens, text);
}

static gboolean
refresh_cb (gpointer data)
{
  HearthProfileEditor *self = data;

  self->refresh_id = 0;
  refresh_preview (self);
  refresh_tokens (self);
  update_validity (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (HearthProfileEditor *self)
{
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refresh_id = g_timeout_add (REFRESH_DELAY_MS, refresh_cb, self);
}

/* ---- checking -------------------------------------------------------------------- */

/* The first thing that keeps the profile from being saved, or NULL. */
static char *
find_problem (HearthProfileEditor *self)
{
  g_autoptr (GError) error = NULL;
  gboolean exists = FALSE;
  g_autofree char *name = hearth_profile_editor_check_name (
    self->library, gtk_editable_get_text (GTK_EDITABLE (self->name_row)), &exists, &error);
  char *problem = NULL;

  if (name == NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
      gtk_label_set_text (self->name_message, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->name_message), TRUE);
      problem = g_strdup_printf (_("Name: %s"), error->message);
      g_clear_error (&error);
    }
  else
    {
      gboolean replaces = exists && g_strcmp0 (name, self->original) != 0;

      gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
      gtk_label_set_text (self->name_message,
                          replaces ? _("A model of this name exists: saving asks before "
                                       "replacing it.") : "");
      gtk_widget_set_visible (GTK_WIDGET (self->name_message), replaces);
    }
  if (problem == NULL && selected_base (self) == NULL)
    problem = g_strdup (_("Choose the base model: download or import one first."));
  for (guint i = 0; i < self->param_rows->len && problem == NULL; i++)
    {
      g_autofree char *value = NULL;

      if (!hearth_parameter_row_get_value (self->param_rows->pdata[i], &value, &error))
        problem = g_strdup (error->message);
    }
  for (guint i = 0; i < self->stop_rows->len && problem == NULL; i++)
    {
      const char *text = gtk_editable_get_text (self->stop_rows->pdata[i]);

      if (*text != '\0' && !hearth_modelfile_check_parameter ("stop", text, &error))
        problem = g_strdup (error->message);
    }
  if (problem == NULL && !self->template_ok)
    problem = g_strdup (gtk_label_get_text (self->template_error));
  if (problem == NULL)
    problem = hearth_rules_editor_get_problem (self->rules_editor);
  return problem;
}

static void
update_validity (HearthProfileEditor *self)
{
  g_autofree char *problem = find_problem (self);

  gtk_label_set_text (self->problem_label, problem != NULL ? problem : "");
  gtk_revealer_set_reveal_child (self->problem_revealer, problem != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save",
                                 problem != NULL ? FALSE : !self->saving);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->save_button), problem);
}

static void
changed_cb (HearthProfileEditor *self)
{
  update_validity (self);
}

static void
text_changed_cb (HearthProfileEditor *self)
{
  schedule_refresh (self);
}

/* ---- stop strings ------------------------------------------------------------------ */

static void
stop_changed_cb (GtkEditable         *row,
                 HearthProfileEditor *self)
{
  g_autoptr (GError) error = NULL;
  const char *text = gtk_editable_get_text (row);

  if (*text != '\0' && !hearth_modelfile_check_parameter ("stop", text, &error))
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  update_validity (self);
}

static void
remove_stop_clicked_cb (GtkButton           *button,
                        HearthProfileEditor *self)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "hearth-row");

  g_ptr_array_remove (self->stop_rows, row);
  adw_preferences_group_remove (self->stop_group, row);
  update_validity (self);
}

static GtkWidget *
add_stop_row (HearthProfileEditor *self,
              const char          *text)
{
  GtkWidget *remove;
  GtkWidget *row = hearth_parameter_stop_row_new (text, &remove);

  g_signal_connect (remove, "clicked", G_CALLBACK (remove_stop_clicked_cb), self);
  g_signal_connect (row, "changed", G_CALLBACK (stop_changed_cb), self);
  adw_preferences_group_add (self->stop_group, row);
  g_ptr_array_add (self->stop_rows, row);
  return row;
}

static void
add_stop_activated (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  HearthProfileEditor *self = HEARTH_PROFILE_EDITOR (widget);

  gtk_widget_grab_focus (add_stop_row (self, ""));
}

/* ---- example messages -------------------------------------------------------------- */

/* The group's rows in the order of self->message_rows. */
static void
relayout_messages (HearthProfileEditor *self)
{
  for (guint i = 0; i < self->message_rows->len; i++)
    {
      GtkWidget *row = self->message_rows->pdata[i];

      g_object_ref (row);
      adw_preferences_group_remove (self->messages_group, row);
    }
  for (guint i = 0; i < self->message_rows->len; i++)
    {
      GtkWidget *row = self->message_rows->pdata[i];
      GtkWidget *up = g_object_get_data (G_OBJECT (row), "hearth-up");
      GtkWidget *down = g_object_get_data (G_OBJECT (row), "hearth-down");

      adw_preferences_group_add (self->messages_group, row);
      g_object_unref (row);
      gtk_widget_set_sensitive (up, i > 0);
      gtk_widget_set_sensitive (down, i + 1 < self->message_rows->len);
    }
  schedule_refresh (self);
}

static void
message_button_clicked_cb (GtkButton           *button,
                           HearthProfileEditor *self)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "hearth-row");
  const char *what = g_object_get_data (G_OBJECT (button), "hearth-what");
  guint i;

  if (!g_ptr_array_find (self->message_rows, row, &i))
    return;
  if (g_str_equal (what, "remove"))
    {
      g_ptr_array_remove_index (self->message_rows, i);
      adw_preferences_group_remove (self->messages_group, row);
    }
  else if (g_str_equal (what, "up") && i > 0)
    {
      self->message_rows->pdata[i] = self->message_rows->pdata[i - 1];
      self->message_rows->pdata[i - 1] = row;
    }
  else if (g_str_equal (what, "down") && i + 1 < self->message_rows->len)
    {
      self->message_rows->pdata[i] = self->message_rows->pdata[i + 1];
      self->message_rows->pdata[i + 1] = row;
    }
  relayout_messages (self);
}

static GtkWidget *
message_button (HearthProfileEditor *self,
                GtkWidget           *row,
                const char          *icon,
                const char          *tooltip,
                const char          *what)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tooltip, -1);
  g_object_set_data (G_OBJECT (button), "hearth-row", row);
  g_object_set_data (G_OBJECT (button), "hearth-what", (gpointer) what);
  g_signal_connect (button, "clicked", G_CALLBACK (message_button_clicked_cb), self);
  return button;
}

static GtkWidget *
add_message_row (HearthProfileEditor *self,
                 const char          *role,
                 const char          *content)
{
  const char *labels[] = { _("User"), _("Assistant"), _("System"), NULL };
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget *dropdown = gtk_drop_down_new_from_strings (labels);
  GtkWidget *entry = gtk_entry_new ();
  GtkWidget *up = message_button (self, row, "go-up-symbolic", _("Move Up"), "up");
  GtkWidget *down = message_button (self, row, "go-down-symbolic", _("Move Down"), "down");
  GtkWidget *remove = message_button (self, row, "list-remove-symbolic", _("Remove"), "remove");

  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    if (g_strcmp0 (role, roles[i]) == 0)
      gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), i);
  gtk_widget_set_hexpand (dropdown, TRUE);
  gtk_widget_set_halign (dropdown, GTK_ALIGN_START);
  gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Role"), -1);
  gtk_editable_set_text (GTK_EDITABLE (entry), content);
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("What is said"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Message"), -1);
  gtk_box_append (GTK_BOX (top), dropdown);
  gtk_box_append (GTK_BOX (top), up);
  gtk_box_append (GTK_BOX (top), down);
  gtk_box_append (GTK_BOX (top), remove);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set_data (G_OBJECT (row), "hearth-role", dropdown);
  g_object_set_data (G_OBJECT (row), "hearth-content", entry);
  g_object_set_data (G_OBJECT (row), "hearth-up", up);
  g_object_set_data (G_OBJECT (row), "hearth-down", down);
  g_signal_connect_swapped (dropdown, "notify::selected", G_CALLBACK (text_changed_cb), self);
  g_signal_connect_swapped (entry, "changed", G_CALLBACK (text_changed_cb), self);
  g_ptr_array_add (self->message_rows, row);
  adw_preferences_group_add (self->messages_group, row);
  relayout_messages (self);
  return row;
}

static void
add_message_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  HearthProfileEditor *self = HEARTH_PROFILE_EDITOR (widget);
  /* after a user's message, the assistant's answer; else a user's */
  const char *role = self->message_rows->len > 0
                       && g_str_equal (message_role (g_ptr_array_index (self->message_rows,
                                                                        self->message_rows->len - 1)),
                                       "user") ? "assistant" : "user";
  GtkWidget *row = add_message_row (self, role, "");

  gtk_widget_grab_focus (g_object_get_data (G_OBJECT (row), "hearth-content"));
}

/* ---- saving -------------------------------------------------------------------------- */

/* The Modelfile the widgets say. */
static HearthModelfile *
build_modelfile (HearthProfileEditor *self)
{
  HearthModelfile *mf = hearth_modelfile_new ();
  const char *const *shown = hearth_parameter_rows_names ();

  mf->from = g_strdup (selected_base (self));
  for (guint i = 0; i < self->param_rows->len; i++)
    {
      g_autofree char *value = NULL;

      if (hearth_parameter_row_get_value (self->param_rows->pdata[i], &value, NULL)
          && value != NULL)
        hearth_modelfile_add_parameter (mf, hearth_parameter_row_get_name (self->param_rows->pdata[i]),
                                        value);
    }
  for (guint i = 0; i < self->stop_rows->len; i++)
    {
      const char *text = gtk_editable_get_text (self->stop_rows->pdata[i]);

      if (*text != '\0')
        hearth_modelfile_add_parameter (mf, "stop", text);
    }
  mf->system = text_view_value (self->system_view);
  mf->template_text = text_view_value (self->template_view);
  for (guint i = 0; i < self->message_rows->len; i++)
    hearth_modelfile_add_message (mf, message_role (self->message_rows->pdata[i]),
                                  message_content (self->message_rows->pdata[i]));
  mf->rules = hearth_rules_editor_get_rules (self->rules_editor);
  /* (saving is off while a rule cannot be used; a Modelfile's rules are
   * compiled) */
  if (mf->rules != NULL && !hearth_rules_compile (mf->rules, NULL))
    g_clear_pointer (&mf->rules, hearth_rules_unref);
  /* what the editor does not show stays as it was */
  if (self->loaded != NULL)
    {
      for (guint i = 0; i < self->loaded->parameters->len; i++)
        {
          const HearthModelfileParameter *p = self->loaded->parameters->pdata[i];

          if (!g_strv_contains (shown, p->name) && !g_str_equal (p->name, "stop"))
            hearth_modelfile_add_parameter (mf, p->name, p->value);
        }
      for (guint i = 0; i < self->loaded->licenses->len; i++)
        g_ptr_array_add (mf->licenses, g_strdup (self->loaded->licenses->pdata[i]));
      mf->renderer = g_strdup (self->loaded->renderer);
      mf->parser = g_strdup (self->loaded->parser);
      mf->requires = g_strdup (self->loaded->requires);
    }
  return mf;
}

typedef struct
{
  HearthStore *store;
  char *name;
  char *remove;                 /* the old name, after a rename; or NULL */
  HearthModelfile *modelfile;
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_clear_object (&job->store);
  g_free (job->name);
  g_free (job->remove);
  hearth_modelfile_free (job->modelfile);
  g_free (job);
}

static void
save_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveJob *job = task_data;
  g_autoptr (GError) error = NULL;

  if (!hearth_profile_create (job->store, job->name, job->modelfile, NULL, NULL, NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* the old one goes only once the new one is written */
  if (job->remove != NULL && !hearth_store_remove (job->store, job->remove, NULL, &error))
    {
      g_task_return_new_error (task, error->domain, error->code,
                               _("It was saved as “%s”, but “%s” was not removed: %s"),
                               job->name, job->remove, error->message);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

/* Not closed while the profile is being written (Escape, the close
 * button): what happens to it is said once it is done. */
static gboolean
close_request_cb (HearthProfileEditor *self)
{
  return self->saving;
}

static void
set_saving (HearthProfileEditor *self,
            gboolean             saving)
{
  self->saving = saving;
  gtk_spinner_set_spinning (self->spinner, saving);
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), !saving);
  gtk_window_set_deletable (GTK_WINDOW (self), !saving);
  update_validity (self);
}

static void
save_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  HearthProfileEditor *self = HEARTH_PROFILE_EDITOR (source);
  SaveJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  gboolean saved = g_task_propagate_boolean (G_TASK (result), &error);

  /* taken down meanwhile with the window it belongs to */
  if (self->spinner == NULL)
    return;
  set_saving (self, FALSE);
  if (!saved)
    {
      g_autofree char *text = g_strdup_printf (_("“%s” was not saved: %s"), job->name,
                                               error->message);

      hearth_ui_show_failure (GTK_WIDGET (self), _("Not Saved"), text);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, job->name);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save (HearthProfileEditor *self,
      const char          *name)
{
  g_autoptr (HearthModelfile) mf = build_modelfile (self);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  SaveJob *job;

  if (!hearth_modelfile_check (mf, &error))
    {
      gtk_label_set_text (self->problem_label, error->message);
      gtk_revealer_set_reveal_child (self->problem_revealer, TRUE);
      return;
    }
  job = g_new0 (SaveJob, 1);
  job->store = g_object_ref (hearth_library_get_store (self->library));
  job->name = g_strdup (name);
  if (self->mode == HEARTH_PROFILE_EDITOR_EDIT && g_strcmp0 (self->original, name) != 0)
    job->remove = g_strdup (self->original);
  job->modelfile = g_steal_pointer (&mf);
  set_saving (self, TRUE);
  task = g_task_new (self, NULL, save_done_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) save_job_free);
  g_task_run_in_thread (task, save_thread);
}

static void
replace_response_cb (AdwMessageDialog    *dialog,
                     const char          *response,
                     HearthProfileEditor *self)
{
  if (g_strcmp0 (response, "replace") == 0)
    save (self, g_object_get_data (G_OBJECT (dialog), "profile-name"));
}

static void
save_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  HearthProfileEditor *self = HEARTH_PROFILE_EDITOR (widget);
  gboolean exists = FALSE;
  g_autofree char *name = hearth_profile_editor_check_name (
    self->library, gtk_editable_get_text (GTK_EDITABLE (self->name_row)), &exists, NULL);
  GtkWidget *dialog;

  if (name == NULL || self->saving)
    return;
  if (!exists || g_strcmp0 (name, self->original) == 0)
    {
      save (self, name);
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL,
                                   _("A model of this name exists. Replacing it leaves the "
                                     "models it was made from as they are."));
  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Replace “%s”?"), name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "replace", _("_Replace"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "replace",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "profile-name", g_steal_pointer (&name), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (replace_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- loading ---------------------------------------------------------------------- */

/* The models of the Ollama servers, after the local ones, as "MODEL
 * (Server)"; a profile on one is FROM URL/MODEL, kept as Ollama keeps a
 * model on another host. The list changes only where the servers' did. */
static void
remote_bases_changed_cb (HearthProfileEditor *self)
{
  GPtrArray *remote = hearth_remote_models_get (self->remote_models);
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  g_autoptr (GPtrArray) froms = g_ptr_array_new ();
  gboolean same;

  for (guint i = 0; i < remote->len; i++)
    {
      const HearthRemoteModel *m = remote->pdata[i];
      gboolean shown = FALSE;

      if (m->from == NULL)
        continue; /* (an OpenAI-compatible server: Ollama's profiles cannot name it) */
      for (guint j = 0; j < self->n_local_bases && !shown; j++)
        shown = g_str_equal (self->base_froms->pdata[j], m->from);
      if (shown)
        continue;
      g_ptr_array_add (labels, m->label);
      g_ptr_array_add (froms, m->from);
    }
  same = froms->len == self->base_froms->len - self->n_local_bases;
  for (guint i = 0; same && i < froms->len; i++)
    same = g_str_equal (froms->pdata[i], self->base_froms->pdata[self->n_local_bases + i]);
  if (same)
    return;
  g_ptr_array_set_size (self->base_froms, self->n_local_bases);
  for (guint i = 0; i < froms->len; i++)
    g_ptr_array_add (self->base_froms, g_strdup (froms->pdata[i]));
  g_ptr_array_add (labels, NULL);
  gtk_string_list_splice (self->bases, self->n_local_bases,
                          g_list_model_get_n_items (G_LIST_MODEL (self->bases)) - self->n_local_bases,
                          (const char *const *) labels->pdata);
}

/* A FROM on one of the Ollama servers (URL/MODEL) as the drop-downs show
 * its model, "MODEL (Server)"; or NULL. */
static char *
describe_remote_from (const char *from)
{
  GApplication *app = g_application_get_default ();
  GListModel *servers;

  if (!HEARTH_IS_APPLICATION (app)
      || !(g_str_has_prefix (from, "http://") || g_str_has_prefix (from, "https://")))
    return NULL;
  servers = G_LIST_MODEL (hearth_context_get_servers (hearth_application_get_context (HEARTH_APPLICATION (app))));
  for (guint i = 0; i < g_list_model_get_n_items (servers); i++)
    {
      g_autoptr (HearthRemoteServer) server = g_list_model_get_item (servers, i);
      g_autofree char *url = g_strdup (hearth_remote_server_get_url (server));
      g_autofree char *model = NULL;

      if (hearth_remote_server_get_kind (server) != HEARTH_REMOTE_OLLAMA)
        continue;
      while (g_str_has_suffix (url, "/"))
        url[strlen (url) - 1] = '\0';
      if (g_str_has_prefix (from, url) && from[strlen (url)] == '/' && from[strlen (url) + 1] != '\0')
        {
          model = hearth_remote_model_string (hearth_remote_server_get_id (server),
                                              from + strlen (url) + 1);
          return hearth_remote_servers_describe_model (HEARTH_REMOTE_SERVERS (servers), model);
        }
    }
  return NULL;
}

static void
fill_bases (HearthProfileEditor *self,
            const char          *from)
{
  g_autofree char *wanted = from != NULL ? full_name (from) : NULL;
  guint selected = GTK_INVALID_LIST_POSITION;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->library)); i++)
    {
      g_autoptr (HearthModelItem) item = g_list_model_get_item (G_LIST_MODEL (self->library), i);
      const char *name = hearth_model_item_get_name (item);

      /* a model whose file is missing cannot be a base; nor the profile
       * edited itself */
      if (hearth_model_item_get_model_path (item) == NULL
          || (self->mode == HEARTH_PROFILE_EDITOR_EDIT && g_strcmp0 (name, self->original) == 0))
        continue;
      if (g_strcmp0 (name, wanted) == 0)
        selected = g_list_model_get_n_items (G_LIST_MODEL (self->bases));
      gtk_string_list_append (self->bases, name);
      g_ptr_array_add (self->base_froms, g_strdup (name));
    }
  /* a base not in the store (or on a server not asked yet): shown, and
   * saving says what is wrong */
  if (wanted != NULL && selected == GTK_INVALID_LIST_POSITION)
    {
      g_autofree char *label = describe_remote_from (from);

      selected = g_list_model_get_n_items (G_LIST_MODEL (self->bases));
      gtk_string_list_append (self->bases, label != NULL ? label : from);
      g_ptr_array_add (self->base_froms, g_strdup (from));
    }
  self->n_local_bases = self->base_froms->len;
  adw_combo_row_set_model (self->base_row, G_LIST_MODEL (self->bases));
  if (selected != GTK_INVALID_LIST_POSITION)
    adw_combo_row_set_selected (self->base_row, selected);
}

static void
load (HearthProfileEditor *self,
      HearthModelfile     *mf)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->system_view),
                            mf->system != NULL ? mf->system : "", -1);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->template_view),
                            mf->template_text != NULL ? mf->template_text : "", -1);
  for (guint i = 0; i < mf->parameters->len; i++)
    {
      const HearthModelfileParameter *p = mf->parameters->pdata[i];

      if (g_str_equal (p->name, "stop"))
        add_stop_row (self, p->value);
      for (guint j = 0; j < self->param_rows->len; j++)
        if (g_strcmp0 (hearth_parameter_row_get_name (self->param_rows->pdata[j]), p->name) == 0)
          hearth_parameter_row_set_value (self->param_rows->pdata[j], p->value);
    }
  for (guint i = 0; i < mf->messages->len; i++)
    {
      const HearthModelfileMessage *m = mf->messages->pdata[i];

      add_message_row (self, m->role, m->content);
    }
  hearth_rules_editor_set_rules (self->rules_editor, mf->rules);
}

/* ---- the object ------------------------------------------------------------------- */

static void
hearth_profile_editor_dispose (GObject *object)
{
  HearthProfileEditor *self = HEARTH_PROFILE_EDITOR (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->remote_models != NULL)
    g_signal_handlers_disconnect_by_data (self->remote_models, self);
  g_clear_object (&self->remote_models);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_PROFILE_EDITOR);
  G_OBJECT_CLASS (hearth_profile_editor_parent_class)->dispose (object);
}

static void
hearth_profile_editor_finalize (GObject *object)
{
  HearthProfileEditor *self = HEARTH_PROFILE_EDITOR (object);

  g_clear_pointer (&self->param_rows, g_ptr_array_unref);
  g_clear_pointer (&self->stop_rows, g_ptr_array_unref);
  g_clear_pointer (&self->message_rows, g_ptr_array_unref);
  g_clear_object (&self->bases);
  g_clear_pointer (&self->base_froms, g_ptr_array_unref);
  g_clear_object (&self->library);
  g_free (self->original);
  hearth_modelfile_free (self->loaded);
  base_free (self->base);
  G_OBJECT_CLASS (hearth_profile_editor_parent_class)->finalize (object);
}

static void
hearth_profile_editor_class_init (HearthProfileEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_profile_editor_dispose;
  object_class->finalize = hearth_profile_editor_finalize;

  /* the profile is written: its full name ("mario:latest") */
  signals[SIGNAL_SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (HEARTH_TYPE_RULES_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-profile-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, window_title);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, spinner);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, problem_revealer);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, problem_label);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, base_row);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, name_message);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, system_view);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, system_tokens);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, parameters_group);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, stop_group);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, template_view);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, template_syntax);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, template_error);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, template_preview);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, messages_group);
  gtk_widget_class_bind_template_child (widget_class, HearthProfileEditor, rules_editor);
  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_activated);
  gtk_widget_class_install_action (widget_class, "editor.add-stop", NULL, add_stop_activated);
  gtk_widget_class_install_action (widget_class, "editor.add-message", NULL,
                                   add_message_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
hearth_profile_editor_init (HearthProfileEditor *self)
{
  const char *const *names = hearth_parameter_rows_names ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->param_rows = g_ptr_array_new ();
  self->stop_rows = g_ptr_array_new ();
  self->message_rows = g_ptr_array_new ();
  self->bases = gtk_string_list_new (NULL);
  self->base_froms = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; names[i] != NULL; i++)
    {
      GtkWidget *row = hearth_parameter_row_new (names[i]);

      g_signal_connect_swapped (hearth_parameter_row_get_entry (row), "changed",
                                G_CALLBACK (changed_cb), self);
      adw_preferences_group_add (self->parameters_group, row);
      g_ptr_array_add (self->param_rows, row);
    }
  {
    PangoAttrList *attrs = pango_attr_list_new ();

    /* the preview is the exact text: no hyphen where a line breaks */
    pango_attr_list_insert (attrs, pango_attr_insert_hyphens_new (FALSE));
    gtk_label_set_attributes (self->template_preview, attrs);
    pango_attr_list_unref (attrs);
  }
  {
    GtkExpression *expression = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL,
                                                             "string");

    adw_combo_row_set_expression (self->base_row, expression);
    gtk_expression_unref (expression);
  }
}

HearthProfileEditor *
hearth_profile_editor_new (GtkWindow                *parent,
                           HearthLibrary            *library,
                           HearthProfileEditorMode   mode,
                           const char               *name,
                           GError                  **error)
{
  HearthProfileEditor *self;
  g_autoptr (HearthModelfile) mf = NULL;

  g_return_val_if_fail (HEARTH_IS_LIBRARY (library), NULL);
  g_return_val_if_fail (mode == HEARTH_PROFILE_EDITOR_NEW || name != NULL, NULL);

  if (mode != HEARTH_PROFILE_EDITOR_NEW)
    {
      mf = hearth_profile_to_modelfile (hearth_library_get_store (library), name,
                                        HEARTH_PROFILE_FROM_BASE, error);
      if (mf == NULL)
        return NULL;
    }
  /* (GTK owns the window until it is destroyed) */
  self = g_object_new (HEARTH_TYPE_PROFILE_EDITOR,
                       "transient-for", parent,
                       "destroy-with-parent", TRUE,
                       NULL);
  self->library = g_object_ref (library);
  self->mode = mode;
  if (mode == HEARTH_PROFILE_EDITOR_EDIT)
    self->original = full_name (name);
  fill_bases (self, mf != NULL ? mf->from : NULL);
  if (HEARTH_IS_APPLICATION (g_application_get_default ()))
    {
      HearthContext *context = hearth_application_get_context (HEARTH_APPLICATION (g_application_get_default ()));

      self->remote_models = hearth_remote_models_new (hearth_context_get_servers (context));
      g_signal_connect_swapped (self->remote_models, "changed", G_CALLBACK (remote_bases_changed_cb),
                                self);
      remote_bases_changed_cb (self);
    }
  if (mf != NULL)
    load (self, mf);
  switch (mode)
    {
    case HEARTH_PROFILE_EDITOR_NEW:
      adw_window_title_set_title (self->window_title, _("New Profile"));
      break;
    case HEARTH_PROFILE_EDITOR_EDIT:
      adw_window_title_set_title (self->window_title, _("Edit Profile"));
      gtk_editable_set_text (GTK_EDITABLE (self->name_row), name);
      break;
    case HEARTH_PROFILE_EDITOR_DUPLICATE:
      {
        g_autofree char *base = full_name (name);
        g_autofree char *copy = NULL;

        /* "mario:latest" → "mario-copy" */
        if (g_str_has_suffix (base, ":latest"))
          base[strlen (base) - strlen (":latest")] = '\0';
        copy = g_strconcat (base, "-copy", NULL);
        g_strdelimit (copy, ":", '-');
        adw_window_title_set_title (self->window_title, _("Duplicate Profile"));
        gtk_editable_set_text (GTK_EDITABLE (self->name_row), copy);
      }
      break;
    default:
      g_assert_not_reached ();
    }
  adw_window_title_set_subtitle (self->window_title, mode == HEARTH_PROFILE_EDITOR_NEW
                                                       ? NULL : name);
  self->loaded = g_steal_pointer (&mf);
  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
  g_signal_connect_swapped (self->name_row, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->rules_editor, "changed", G_CALLBACK (changed_cb), self);
  g_signal_connect_swapped (self->base_row, "notify::selected", G_CALLBACK (base_changed_cb),
                            self);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->system_view), "changed",
                            G_CALLBACK (text_changed_cb), self);
  g_signal_connect_swapped (gtk_text_view_get_buffer (self->template_view), "changed",
                            G_CALLBACK (text_changed_cb), self);
  base_changed_cb (self);
  refresh_preview (self);
  refresh_tokens (self);
  update_validity (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
  return self;
}
