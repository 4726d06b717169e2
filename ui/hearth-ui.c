/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-resources.h"
#include "hearth-ui.h"
#include "hearth-window.h"

static GtkWindow *
make_window (HearthApplication *app,
             gpointer           user_data)
{
  return GTK_WINDOW (hearth_window_new (app));
}

/* The GTK renderer Hearth asks for, or NULL to leave GTK's choice: on a
 * machine with no GPU (no render node in @dri_dir, normally /dev/dri) or
 * with GL forced into software, GTK 4.8 still picks its GL renderer, which
 * then runs on the CPU through Mesa's llvmpipe. A window streaming a reply
 * then paints in ~30 ms a frame on threads that take the CPU from the
 * model: measured here (bench-chat, 2 cores, no GPU), GL 425 tokens/s with
 * 29 ms frames, cairo 1,697 tokens/s with 0.7 ms frames. */
const char *
hearth_ui_pick_renderer (const char *dri_dir)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (g_strcmp0 (g_getenv ("LIBGL_ALWAYS_SOFTWARE"), "1") == 0
      || g_strcmp0 (g_getenv ("LIBGL_ALWAYS_SOFTWARE"), "true") == 0)
    return "cairo";
  dir = g_dir_open (dri_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "renderD"))
      return NULL;
  return "cairo";
}

/* GTK 4.8 gives a tooltip's wrapping label as many "characters" of width
 * as its text has characters — measured in Latin characters, half as wide
 * as Chinese ones: a short tooltip ("主菜单", 3 characters) wrapped one
 * character a line. The label is given twice that, still at most GTK's
 * own 50, each time GTK sets it (on every new tooltip text). */
static void
widen_tooltip_label (GtkLabel *label)
{
  int want = MIN (2 * (int) g_utf8_strlen (gtk_label_get_text (label), -1), 50);

  if (gtk_label_get_wrap (label) && gtk_label_get_max_width_chars (label) < want)
    gtk_label_set_max_width_chars (label, want);
}

static gboolean
tooltip_realized_hook (GSignalInvocationHint *hint,
                       guint                  n_values,
                       const GValue          *values,
                       gpointer               data)
{
  GType tooltip_window = g_type_from_name ("GtkTooltipWindow");
  GtkWidget *widget = g_value_get_object (&values[0]);
  g_autoptr (GPtrArray) labels = NULL;

  if (tooltip_window == 0 || !G_TYPE_CHECK_INSTANCE_TYPE (widget, tooltip_window))
    return TRUE;
  labels = g_ptr_array_new ();
  hearth_ui_collect_widgets (widget, GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = labels->pdata[i];

      widen_tooltip_label (label);
      if (g_object_get_data (G_OBJECT (label), "hearth-widened") == NULL)
        {
          g_object_set_data (G_OBJECT (label), "hearth-widened", GINT_TO_POINTER (1));
          g_signal_connect (label, "notify::max-width-chars", G_CALLBACK (widen_tooltip_label), NULL);
        }
    }
  return TRUE;
}

static void
startup_cb (GApplication *app,
            gpointer      data)
{
  static gsize hooked;

  if (g_once_init_enter (&hooked))
    {
      g_type_class_unref (g_type_class_ref (GTK_TYPE_WIDGET));
      g_signal_add_emission_hook (g_signal_lookup ("realize", GTK_TYPE_WIDGET), 0,
                                  tooltip_realized_hook, NULL, NULL);
      g_once_init_leave (&hooked, 1);
    }
}

/* Whether a session bus can be reached: its address is set, or GDBus finds
 * one (through the X display, as its autolaunch does). */
static gboolean
have_session_bus (void)
{
  g_autofree char *address = NULL;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL)
    return TRUE;
  address = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  return address != NULL;
}

void
hearth_ui_install (HearthApplication *app)
{
  const char *renderer;

  g_return_if_fail (HEARTH_IS_APPLICATION (app));

  /* before any window: GTK reads GSK_RENDERER when it makes the first
   * renderer (a person's own setting wins) */
  renderer = g_getenv ("GSK_RENDERER") == NULL ? hearth_ui_pick_renderer ("/dev/dri") : NULL;
  if (renderer != NULL)
    g_setenv ("GSK_RENDERER", renderer, FALSE);

  /* Screen readers talk to applications over the session bus; with none
   * (a server, a container, SSH) GTK's accessibility would only warn that it
   * cannot reach one. A person's own GTK_A11Y wins. */
  if (g_getenv ("GTK_A11Y") == NULL && !have_session_bus ())
    g_setenv ("GTK_A11Y", "none", FALSE);

  /* The bundle registers itself from a constructor; referring to it here
   * makes sure the linker keeps it out of the static library. */
  g_assert (hearth_get_resource () != NULL);
  hearth_application_set_window_factory (app, make_window, NULL);
  g_signal_connect (app, "startup", G_CALLBACK (startup_cb), NULL);
}

void
hearth_ui_collect_widgets (GtkWidget *widget,
                           GType      type,
                           GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    hearth_ui_collect_widgets (child, type, found);
}

GtkFileChooserNative *
hearth_ui_gguf_chooser_new (GtkWindow  *parent,
                            const char *title)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (title, parent,
                                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                                               _("_Open"), _("_Cancel"));
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("GGUF models"));
  gtk_file_filter_add_suffix (filter, "gguf");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  return chooser;
}

void
hearth_ui_clear_chooser (GtkFileChooserNative **chooser,
                         gpointer               owner)
{
  if (*chooser == NULL)
    return;
  g_signal_handlers_disconnect_by_data (*chooser, owner);
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (*chooser));
  g_clear_object (chooser);
}

void
hearth_ui_show_about (GtkWindow *parent)
{
  static const char *developers[] = { "The Hearth developers", NULL };
  AdwAboutWindow *about;

  about = ADW_ABOUT_WINDOW (adw_about_window_new ());
  g_object_set (about,
                "transient-for", parent,
                "application-name", _("Hearth"),
                "application-icon", APPLICATION_ID,
                "developer-name", _("The Hearth developers"),
                "version", PACKAGE_VERSION,
                "comments", _("Chat with language models that run on your own computer."),
                "website", "https://github.com/hearth/hearth",
                "issue-url", "https://github.com/hearth/hearth/issues",
                "copyright", _("© 2026 The Hearth developers"),
                "license-type", GTK_LICENSE_GPL_3_0,
                "developers", developers,
                /* Translators: put your names here, one per line. */
                "translator-credits", _("translator-credits"),
                "release-notes-version", PACKAGE_VERSION,
                "release-notes", _("<p>The first release: the main window with its sidebar, "
                                   "preferences with a colour scheme setting, keyboard shortcuts, "
                                   "and the command-line interface (hearth --version, hearth help).</p>"),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

gboolean
hearth_ui_search_matches (const char *query,
                          const char *text)
{
  g_autofree char *haystack = NULL;
  g_auto (GStrv) words = NULL;

  if (query == NULL || *query == '\0')
    return TRUE;
  haystack = g_utf8_casefold (text, -1);
  words = g_strsplit_set (query, " \t", -1);
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *word = g_utf8_casefold (words[i], -1);

      if (*word != '\0' && strstr (haystack, word) == NULL)
        return FALSE;
    }
  return TRUE;
}

GtkWindow *
hearth_ui_show_failure (GtkWidget  *widget,
                        const char *heading,
                        const char *text)
{
  GtkRoot *root = widget != NULL ? gtk_widget_get_root (widget) : NULL;
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, text);

  /* the reason in full, where a toast would cut it off */
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
  return GTK_WINDOW (dialog);
}
