/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-download-row"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-download-row.h"

struct _HearthDownloadRow
{
  GtkListBoxRow parent_instance;

  HearthDownloads *downloads;
  HearthPull *pull;
  GtkLabel *title;
  GtkLabel *status;
  GtkProgressBar *progress;
  GtkButton *toggle;
  GtkButton *cancel;
  HearthPullState shown_state;
};

G_DEFINE_FINAL_TYPE (HearthDownloadRow, hearth_download_row, GTK_TYPE_LIST_BOX_ROW)

static char *
format_eta (gint64 seconds)
{
  gint64 minutes = (seconds + 30) / 60, hours = (seconds + 1800) / 3600;

  if (seconds < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d second left",
                                         "about %d seconds left", (gulong) seconds),
                            (int) seconds);
  if (minutes < 60)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d minute left",
                                         "about %d minutes left", (gulong) minutes),
                            (int) minutes);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "about %d hour left",
                                       "about %d hours left", (gulong) hours),
                          (int) hours);
}

char *
hearth_download_row_describe (HearthPull *pull)
{
  guint64 done = hearth_pull_get_bytes_done (pull), total = hearth_pull_get_bytes_total (pull);
  const GError *error = hearth_pull_get_error (pull);
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  switch (hearth_pull_get_state (pull))
    {
    case HEARTH_PULL_STATE_RUNNING:
      if (total == 0)
        return g_strdup (hearth_pull_get_status (pull));
      {
        g_autofree char *d = g_format_size (done);
        g_autofree char *t = g_format_size (total);
        double speed = hearth_pull_get_speed (pull);
        gint64 eta = hearth_pull_get_eta (pull);

        g_ptr_array_add (parts, g_strdup_printf (_("%s of %s"), d, t));
        if (speed >= 1.0)
          {
            g_autofree char *s = g_format_size ((guint64) speed);

            g_ptr_array_add (parts, g_strdup_printf (_("%s/s"), s));
          }
        if (eta >= 0)
          g_ptr_array_add (parts, format_eta (eta));
      }
      break;
    case HEARTH_PULL_STATE_PAUSED:
      if (error != NULL)
        return g_strdup_printf (_("Paused: %s"), error->message);
      g_ptr_array_add (parts, g_strdup (_("Paused")));
      if (total > 0)
        {
          g_autofree char *d = g_format_size (done);
          g_autofree char *t = g_format_size (total);

          g_ptr_array_add (parts, g_strdup_printf (_("%s of %s"), d, t));
        }
      break;
    case HEARTH_PULL_STATE_FAILED:
      return g_strdup_printf (_("Failed: %s"), error != NULL ? error->message : "");
    case HEARTH_PULL_STATE_DONE:
      return g_strdup (_("Done"));
    case HEARTH_PULL_STATE_IDLE:
    default:
      return g_strdup (_("Paused"));
    }
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

static void
update (HearthDownloadRow *self)
{
  HearthPullState state = hearth_pull_get_state (self->pull);
  guint64 done = hearth_pull_get_bytes_done (self->pull);
  guint64 total = hearth_pull_get_bytes_total (self->pull);
  g_autofree char *text = hearth_download_row_describe (self->pull);
  gboolean running = state == HEARTH_PULL_STATE_RUNNING;
  const char *tip;

  gtk_label_set_text (self->status, text);
  gtk_progress_bar_set_fraction (self->progress,
                                 total > 0 ? MIN (1.0, (double) done / (double) total) : 0.0);
  if (state == self->shown_state)
    return;
  /* what follows changes only with the state: screen readers hear it once */
  self->shown_state = state;
  gtk_button_set_icon_name (self->toggle, running ? "media-playback-pause-symbolic"
                                                  : "media-playback-start-symbolic");
  tip = running ? _("Pause")
                : state == HEARTH_PULL_STATE_FAILED ? _("Try Again") : _("Resume");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->toggle), tip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->toggle), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  tip, -1);
  if (state == HEARTH_PULL_STATE_FAILED)
    gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text, -1);
}

static void
toggle_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HearthDownloadRow *self = HEARTH_DOWNLOAD_ROW (widget);

  if (hearth_pull_get_state (self->pull) == HEARTH_PULL_STATE_RUNNING)
    hearth_pull_pause (self->pull);
  else
    hearth_pull_start (self->pull);
}

static void
cancel_response_cb (AdwMessageDialog  *dialog,
                    const char        *response,
                    HearthDownloadRow *self)
{
  if (g_strcmp0 (response, "cancel-download") == 0 && self->downloads != NULL)
    hearth_downloads_cancel (self->downloads, self->pull);
}

static void
cancel_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  HearthDownloadRow *self = HEARTH_DOWNLOAD_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *done = g_format_size (hearth_pull_get_bytes_done (self->pull));
  g_autofree char *body = hearth_pull_get_bytes_done (self->pull) > 0
                            ? g_strdup_printf (_("The %s received so far will be deleted."), done)
                            : NULL;
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              NULL, body);

  adw_message_dialog_format_heading (ADW_MESSAGE_DIALOG (dialog), _("Cancel Downloading “%s”?"),
                                     hearth_pull_get_name (self->pull));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "keep", _("_Keep Downloading"),
                                    "cancel-download", _("C_ancel Download"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-download",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
hearth_download_row_dispose (GObject *object)
{
  HearthDownloadRow *self = HEARTH_DOWNLOAD_ROW (object);

  g_clear_object (&self->pull);
  g_clear_object (&self->downloads);
  G_OBJECT_CLASS (hearth_download_row_parent_class)->dispose (object);
}

static void
hearth_download_row_class_init (HearthDownloadRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_download_row_dispose;
  gtk_widget_class_install_action (widget_class, "download.toggle", NULL, toggle_activated);
  gtk_widget_class_install_action (widget_class, "download.cancel", NULL, cancel_activated);
}

static void
hearth_download_row_init (HearthDownloadRow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  const char *cancel_tip = _("Cancel Download");

  self->shown_state = (HearthPullState) -1;
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  self->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->title, 0);
  gtk_label_set_ellipsize (self->title, PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (GTK_WIDGET (self->title), "heading");
  self->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->status, 0);
  gtk_label_set_wrap (self->status, TRUE);
  gtk_label_set_wrap_mode (self->status, PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (self->title));
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (self->status));
  gtk_box_append (GTK_BOX (top), labels);

  self->toggle = GTK_BUTTON (gtk_button_new ());
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->toggle), "download.toggle");
  self->cancel = GTK_BUTTON (gtk_button_new_from_icon_name ("process-stop-symbolic"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->cancel), "download.cancel");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->cancel), cancel_tip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cancel), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  cancel_tip, -1);
  for (GtkWidget *b = GTK_WIDGET (self->toggle); b != NULL;
       b = b == GTK_WIDGET (self->toggle) ? GTK_WIDGET (self->cancel) : NULL)
    {
      gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (b, "flat");
      gtk_widget_add_css_class (b, "circular");
      gtk_box_append (GTK_BOX (top), b);
    }
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (self), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self), FALSE);
}

HearthDownloadRow *
hearth_download_row_new (HearthDownloads *downloads,
                         HearthPull      *pull)
{
  HearthDownloadRow *self;

  g_return_val_if_fail (HEARTH_IS_DOWNLOADS (downloads), NULL);
  g_return_val_if_fail (HEARTH_IS_PULL (pull), NULL);

  self = g_object_new (HEARTH_TYPE_DOWNLOAD_ROW, NULL);
  self->downloads = g_object_ref (downloads);
  self->pull = g_object_ref (pull);
  gtk_label_set_text (self->title, hearth_pull_get_name (pull));
  g_signal_connect_object (pull, "progress", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
  return self;
}
