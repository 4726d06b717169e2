/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-preferences-window.h"
#include "hearth-pull.h"

#define OLLAMA_REGISTRY "https://registry.ollama.ai"
#define HF_MIRROR "https://hf-mirror.com"

struct _HearthPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  AdwComboRow *registry_row;
  AdwEntryRow *registry_entry;
  AdwComboRow *hf_row;
  AdwEntryRow *hf_entry;
  gboolean updating;    /* showing the settings: no writing back */
};

G_DEFINE_FINAL_TYPE (HearthPreferencesWindow, hearth_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* ---- downloads: the registry and the Hugging Face mirror ------------------ */

/* The rows as the settings are: a preset, or Custom with its address shown
 * for editing. */
static void
show_sources (HearthPreferencesWindow *self)
{
  g_autofree char *registry = g_settings_get_string (self->settings, "registry-url");
  g_autofree char *hf = g_settings_get_string (self->settings, "hf-endpoint");
  gboolean registry_custom = g_strcmp0 (registry, OLLAMA_REGISTRY) != 0;
  guint hf_choice = *hf == '\0' ? 0 : g_str_equal (hf, HF_MIRROR) ? 1 : 2;

  self->updating = TRUE;
  adw_combo_row_set_selected (self->registry_row, registry_custom ? 1 : 0);
  gtk_widget_set_visible (GTK_WIDGET (self->registry_entry), registry_custom);
  if (registry_custom)
    gtk_editable_set_text (GTK_EDITABLE (self->registry_entry), registry);
  adw_combo_row_set_selected (self->hf_row, hf_choice);
  gtk_widget_set_visible (GTK_WIDGET (self->hf_entry), hf_choice == 2);
  if (hf_choice == 2)
    gtk_editable_set_text (GTK_EDITABLE (self->hf_entry), hf);
  self->updating = FALSE;
}

static void
on_registry_selected (HearthPreferencesWindow *self)
{
  gboolean custom = adw_combo_row_get_selected (self->registry_row) == 1;

  if (self->updating)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->registry_entry), custom);
  if (!custom)
    g_settings_set_string (self->settings, "registry-url", OLLAMA_REGISTRY);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->registry_entry));
}

static void
on_hf_selected (HearthPreferencesWindow *self)
{
  guint choice = adw_combo_row_get_selected (self->hf_row);

  if (self->updating)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->hf_entry), choice == 2);
  if (choice == 0)
    g_settings_set_string (self->settings, "hf-endpoint", "");
  else if (choice == 1)
    g_settings_set_string (self->settings, "hf-endpoint", HF_MIRROR);
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->hf_entry));
}

/* An address is kept only when models may come from it; else the row says
 * what is wrong and the setting stays as it was. */
static void
apply_address (HearthPreferencesWindow *self,
               AdwEntryRow             *entry,
               const char              *key)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (!hearth_pull_url_is_allowed (text))
    {
      gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
      adw_preferences_window_add_toast (
        ADW_PREFERENCES_WINDOW (self),
        adw_toast_new (_("A model source’s address starts with https://")));
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
  g_settings_set_string (self->settings, key, text);
}

static void
on_registry_apply (HearthPreferencesWindow *self)
{
  apply_address (self, self->registry_entry, "registry-url");
}

static void
on_hf_apply (HearthPreferencesWindow *self)
{
  apply_address (self, self->hf_entry, "hf-endpoint");
}

static void
hearth_preferences_window_dispose (GObject *object)
{
  HearthPreferencesWindow *self = HEARTH_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (hearth_preferences_window_parent_class)->dispose (object);
}

static void
hearth_preferences_window_class_init (HearthPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, registry_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, registry_entry);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, hf_row);
  gtk_widget_class_bind_template_child (widget_class, HearthPreferencesWindow, hf_entry);
}

static void
hearth_preferences_window_init (HearthPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  show_sources (self);
  g_signal_connect_swapped (self->registry_row, "notify::selected",
                            G_CALLBACK (on_registry_selected), self);
  g_signal_connect_swapped (self->hf_row, "notify::selected", G_CALLBACK (on_hf_selected), self);
  g_signal_connect_swapped (self->registry_entry, "apply", G_CALLBACK (on_registry_apply), self);
  g_signal_connect_swapped (self->hf_entry, "apply", G_CALLBACK (on_hf_apply), self);
}

HearthPreferencesWindow *
hearth_preferences_window_new (GtkWindow *parent)
{
  /* The rows act on app.* actions: the window must belong to the application. */
  return g_object_new (HEARTH_TYPE_PREFERENCES_WINDOW,
                       "application", parent != NULL ? gtk_window_get_application (parent) : NULL,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "destroy-with-parent", TRUE,
                       NULL);
}
