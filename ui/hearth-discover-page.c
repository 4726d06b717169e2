/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-discover-page"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-catalogue.h"
#include "hearth-discover-page.h"
#include "hearth-ui.h"

struct _HearthDiscoverPage
{
  AdwBin parent_instance;

  HearthLibrary *library;
  HearthDownloads *downloads;
  GPtrArray *catalogue;       /* HearthCatalogueModel */
  GHashTable *shown_states;   /* model name → the state of its pull that a badge shows, + 1 */
  guint64 gpu_bytes, ram_bytes;
  char *query;
  GtkListBox *catalogue_list;
  GtkLabel *catalogue_note;
  GtkCheckButton *chinese_only;
  GtkCheckButton *fits_only;

  gboolean narrow;            /* badges wrap, so that titles keep their room */
  guint narrow_id;            /* the badges to change, after this layout */
  GdkFrameClock *layout_clock; /* while mapped */
  gulong layout_id;
};

/* Narrower than this, a row's badges wrap to two lines. */
#define NARROW_WIDTH 560

G_DEFINE_FINAL_TYPE (HearthDiscoverPage, hearth_discover_page, ADW_TYPE_BIN)

/* Says @text in the window's toast overlay. */
static void
toast (HearthDiscoverPage *self,
       const char         *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static const char *
fit_label (HearthFitVerdict verdict)
{
  switch (verdict)
    {
    case HEARTH_FIT_GPU:
      return _("Runs on the GPU");
    case HEARTH_FIT_CPU:
      return _("Runs on the CPU");
    case HEARTH_FIT_NONE:
    default:
      return _("Too big");
    }
}

static const char *
fit_style (HearthFitVerdict verdict)
{
  return verdict == HEARTH_FIT_GPU ? "success" : verdict == HEARTH_FIT_CPU ? "warning" : "error";
}

static void
catalogue_download_clicked_cb (GtkButton          *button,
                               HearthDiscoverPage *self)
{
  const char *tag = g_object_get_data (G_OBJECT (button), "tag");
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  if (hearth_downloads_add (self->downloads, tag, &error) == NULL)
    {
      hearth_ui_show_failure (GTK_WIDGET (self), _("Cannot Download"), error->message);
      return;
    }
  text = g_strdup_printf (_("Downloading “%s”"), tag);
  toast (self, text);
}

/* A model is installed under @tag's name (or "name:latest" for "name"). */
static gboolean
is_installed (HearthDiscoverPage *self,
              const char         *tag)
{
  g_autoptr (HearthModelName) want = hearth_model_name_parse (tag, NULL);
  g_autofree char *shown = want != NULL ? hearth_model_name_to_string (want) : NULL;

  for (guint i = 0; shown != NULL && i < g_list_model_get_n_items (G_LIST_MODEL (self->library));
       i++)
    {
      g_autoptr (HearthModelItem) item = g_list_model_get_item (G_LIST_MODEL (self->library), i);

      if (g_str_equal (hearth_model_item_get_name (item), shown))
        return TRUE;
    }
  return FALSE;
}

static GtkWidget *
badge (const char *text,
       const char *style)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (label, "hearth-badge");
  gtk_widget_add_css_class (label, "caption-heading");
  gtk_widget_add_css_class (label, style);
  return label;
}

/* What a catalogue row says of a pull of its model: the badge follows the
 * pull's state (a failed one says why in its tooltip). */
static GtkWidget *
pull_badge (HearthPull *pull)
{
  GtkWidget *label;

  switch (hearth_pull_get_state (pull))
    {
    case HEARTH_PULL_STATE_RUNNING:
      return badge (_("Downloading"), "accent");
    case HEARTH_PULL_STATE_FAILED:
      label = badge (_("Download Failed"), "error");
      if (hearth_pull_get_error (pull) != NULL)
        gtk_widget_set_tooltip_text (label, hearth_pull_get_error (pull)->message);
      return label;
    case HEARTH_PULL_STATE_DONE:
      return badge (_("Installed"), "success");
    case HEARTH_PULL_STATE_PAUSED:
    case HEARTH_PULL_STATE_IDLE: /* restored, not started: paused */
    default:
      return badge (_("Paused"), "warning");
    }
}

static GtkWidget *
create_catalogue_row (HearthDiscoverPage         *self,
                      const HearthCatalogueModel *model)
{
  GtkWidget *row = adw_expander_row_new ();
  const HearthCatalogueQuant *first = model->quants->pdata[0];
  g_autofree char *size = g_format_size (first->size);
  g_autofree char *subtitle = g_strdup_printf (_("%s parameters · %s · %s"), model->parameters,
                                               model->family, size);
  g_autofree char *languages = g_strjoinv (", ", model->languages);
  g_autofree char *context = g_strdup_printf ("%" G_GUINT64_FORMAT, model->context_length);
  g_autofree char *facts = g_strdup_printf (_("Licence: %s. Context: %s tokens. Languages: %s."),
                                            model->license, context, languages);
  g_autofree char *about_text = g_strdup_printf ("%s\n%s", model->description, facts);
  GtkWidget *about = gtk_label_new (about_text);
  HearthFit fit;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), model->title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  hearth_catalogue_fit (model, first, self->gpu_bytes, self->ram_bytes, &fit);
  if (model->chinese)
    adw_expander_row_add_action (ADW_EXPANDER_ROW (row), badge (_("Chinese"), "accent"));
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row),
                               badge (fit_label (fit.verdict), fit_style (fit.verdict)));

  gtk_label_set_wrap (GTK_LABEL (about), TRUE);
  gtk_label_set_xalign (GTK_LABEL (about), 0);
  gtk_widget_set_margin_top (about, 12);
  gtk_widget_set_margin_bottom (about, 12);
  gtk_widget_set_margin_start (about, 12);
  gtk_widget_set_margin_end (about, 12);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), about);

  for (guint i = 0; i < model->quants->len; i++)
    {
      const HearthCatalogueQuant *q = model->quants->pdata[i];
      GtkWidget *qrow = adw_action_row_new ();
      g_autofree char *qsize = g_format_size (q->size);
      g_autofree char *title = g_strdup_printf ("%s · %s", q->quant, qsize);
      g_autofree char *fit_text = NULL;
      g_autofree char *qsubtitle = NULL;
      g_autoptr (HearthModelName) tag_name = hearth_model_name_parse (q->tag, NULL);
      g_autofree char *tag_shown = tag_name != NULL ? hearth_model_name_to_string (tag_name)
                                                    : g_strdup (q->tag);
      GtkWidget *suffix;
      HearthPull *pull;

      hearth_catalogue_fit (model, q, self->gpu_bytes, self->ram_bytes, &fit);
      fit_text = hearth_fit_describe (&fit);
      qsubtitle = g_strdup_printf ("%s — %s", q->tag, fit_text);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (qrow), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (qrow), qsubtitle);
      if (is_installed (self, q->tag))
        suffix = badge (_("Installed"), "success");
      else if ((pull = hearth_downloads_find (self->downloads, tag_shown)) != NULL)
        {
          suffix = pull_badge (pull);
          g_hash_table_insert (self->shown_states, g_strdup (hearth_pull_get_name (pull)),
                               GINT_TO_POINTER (hearth_pull_get_state (pull) + 1));
        }
      else
        {
          g_autofree char *tip = g_strdup_printf (_("Download “%s”"), q->tag);

          suffix = gtk_button_new_with_label (_("Download"));
          gtk_widget_set_valign (suffix, GTK_ALIGN_CENTER);
          gtk_widget_set_tooltip_text (suffix, tip);
          if (fit.verdict != HEARTH_FIT_NONE)
            gtk_widget_add_css_class (suffix, "suggested-action");
          g_object_set_data_full (G_OBJECT (suffix), "tag", g_strdup (q->tag), g_free);
          g_signal_connect (suffix, "clicked", G_CALLBACK (catalogue_download_clicked_cb), self);
        }
      adw_action_row_add_suffix (ADW_ACTION_ROW (qrow), suffix);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), qrow);
    }
  g_object_set_data (G_OBJECT (row), "catalogue-model", (gpointer) model);
  return row;
}

static gboolean
catalogue_filter (GtkListBoxRow *row,
                  gpointer       user_data)
{
  HearthDiscoverPage *self = HEARTH_DISCOVER_PAGE (user_data);
  const HearthCatalogueModel *model = g_object_get_data (G_OBJECT (row), "catalogue-model");
  g_autofree char *languages = NULL;
  g_autofree char *haystack = NULL;
  gboolean fits = FALSE;

  if (model == NULL)
    return TRUE;
  if (gtk_check_button_get_active (self->chinese_only) && !model->chinese)
    return FALSE;
  for (guint i = 0; i < model->quants->len; i++)
    {
      HearthFit fit;

      hearth_catalogue_fit (model, model->quants->pdata[i], self->gpu_bytes, self->ram_bytes,
                            &fit);
      fits = fits || fit.verdict != HEARTH_FIT_NONE;
    }
  if (gtk_check_button_get_active (self->fits_only) && !fits)
    return FALSE;
  languages = g_strjoinv (" ", model->languages);
  haystack = g_strjoin (" ", model->name, model->title, model->family, model->description,
                        languages, model->chinese ? "chinese 中文" : "", NULL);
  return hearth_ui_search_matches (self->query, haystack);
}

static void
catalogue_filters_changed_cb (HearthDiscoverPage *self)
{
  gtk_list_box_invalidate_filter (self->catalogue_list);
}

/* The rows again: what is installed or downloading has changed. The rows
 * that were expanded stay so. */
/* At phone width a row's badges ("Runs on the CPU", "Chinese") took the
 * room of its title, which stood a word a line: there they wrap. */
static void
apply_narrow (HearthDiscoverPage *self)
{
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();

  hearth_ui_collect_widgets (GTK_WIDGET (self->catalogue_list), GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = labels->pdata[i];

      if (!gtk_widget_has_css_class (GTK_WIDGET (label), "hearth-badge"))
        continue;
      int chars = (int) g_utf8_strlen (gtk_label_get_text (label), -1);

      /* two lines at most ("Runs on / the CPU"); room for at least 7 Latin
       * characters, or the whole of a short Chinese one ("中文", whose
       * characters are twice as wide) */
      gtk_label_set_wrap (label, self->narrow);
      gtk_label_set_max_width_chars (label, self->narrow ? 8 : -1);
      gtk_label_set_width_chars (label, self->narrow ? MIN (7, 2 * chars) : -1);
      gtk_label_set_justify (label, GTK_JUSTIFY_CENTER);
    }
}

static gboolean
apply_narrow_cb (gpointer data)
{
  HearthDiscoverPage *self = data;

  self->narrow_id = 0;
  self->narrow = gtk_widget_get_width (GTK_WIDGET (self)) < NARROW_WIDTH;
  apply_narrow (self);
  return G_SOURCE_REMOVE;
}

/* After each layout of the window: the badges change when the page's width
 * crosses NARROW_WIDTH (after the layout that found it, not inside it). */
static void
window_laid_out_cb (GdkFrameClock      *clock,
                    HearthDiscoverPage *self)
{
  if ((gtk_widget_get_width (GTK_WIDGET (self)) < NARROW_WIDTH) != self->narrow
      && self->narrow_id == 0)
    self->narrow_id = g_idle_add (apply_narrow_cb, self);
}

static void
hearth_discover_page_map (GtkWidget *widget)
{
  HearthDiscoverPage *self = HEARTH_DISCOVER_PAGE (widget);

  GTK_WIDGET_CLASS (hearth_discover_page_parent_class)->map (widget);
  self->layout_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->layout_id = g_signal_connect_after (self->layout_clock, "layout",
                                            G_CALLBACK (window_laid_out_cb), self);
}

static void
hearth_discover_page_unmap (GtkWidget *widget)
{
  HearthDiscoverPage *self = HEARTH_DISCOVER_PAGE (widget);

  if (self->layout_clock != NULL)
    g_clear_signal_handler (&self->layout_id, self->layout_clock);
  g_clear_object (&self->layout_clock);
  GTK_WIDGET_CLASS (hearth_discover_page_parent_class)->unmap (widget);
}

static void
rebuild_catalogue (HearthDiscoverPage *self)
{
  g_autoptr (GHashTable) expanded = g_hash_table_new (g_direct_hash, g_direct_equal);
  GtkWidget *child;

  if (self->catalogue == NULL)
    return;
  g_hash_table_remove_all (self->shown_states);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->catalogue_list))) != NULL)
    {
      if (ADW_IS_EXPANDER_ROW (child) && adw_expander_row_get_expanded (ADW_EXPANDER_ROW (child)))
        g_hash_table_add (expanded, g_object_get_data (G_OBJECT (child), "catalogue-model"));
      gtk_list_box_remove (self->catalogue_list, child);
    }
  for (guint i = 0; i < self->catalogue->len; i++)
    {
      GtkWidget *row = create_catalogue_row (self, self->catalogue->pdata[i]);

      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row),
                                     g_hash_table_contains (expanded, self->catalogue->pdata[i]));
      gtk_list_box_append (self->catalogue_list, row);
    }
  apply_narrow (self);
}

/* A pull's state changed (paused, failed, going on): its badge follows. */
static void
pull_progress_cb (HearthPull         *pull,
                  HearthDiscoverPage *self)
{
  gpointer shown = g_hash_table_lookup (self->shown_states, hearth_pull_get_name (pull));

  if (shown != NULL && GPOINTER_TO_INT (shown) != (int) hearth_pull_get_state (pull) + 1)
    rebuild_catalogue (self);
}

static void
follow_pulls (HearthDiscoverPage *self,
              guint               position,
              guint               n)
{
  for (guint i = position; i < position + n; i++)
    {
      g_autoptr (HearthPull) pull = g_list_model_get_item (G_LIST_MODEL (self->downloads), i);

      g_signal_connect_object (pull, "progress", G_CALLBACK (pull_progress_cb), self, 0);
    }
}

static void
downloads_changed_cb (GListModel         *downloads,
                      guint               position,
                      guint               removed,
                      guint               added,
                      HearthDiscoverPage *self)
{
  follow_pulls (self, position, added);
  rebuild_catalogue (self);
}

static void
load_catalogue (HearthDiscoverPage *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *ram = NULL;
  g_autofree char *gpu = NULL;
  g_autofree char *note = NULL;

  self->catalogue = hearth_catalogue_load (&error);
  if (self->catalogue == NULL)
    {
      gtk_label_set_text (self->catalogue_note, error->message);
      return;
    }
  self->gpu_bytes = hearth_fit_gpu_memory ();
  self->ram_bytes = hearth_fit_system_ram ();
  ram = g_format_size (self->ram_bytes);
  gpu = g_format_size (self->gpu_bytes);
  note = self->gpu_bytes > 0
           ? g_strdup_printf (_("Estimates for this computer: %s of GPU memory, %s of RAM, the "
                                "default context of 4096 tokens. Sizes other than a model’s "
                                "first are rounded."), gpu, ram)
           : g_strdup_printf (_("Estimates for this computer: no GPU Hearth can use, %s of "
                                "RAM, the default context of 4096 tokens. Sizes other than a "
                                "model’s first are rounded."), ram);
  gtk_label_set_text (self->catalogue_note, note);
  gtk_list_box_set_filter_func (self->catalogue_list, catalogue_filter, self, NULL);
}

static void
hearth_discover_page_dispose (GObject *object)
{
  HearthDiscoverPage *self = HEARTH_DISCOVER_PAGE (object);

  g_clear_handle_id (&self->narrow_id, g_source_remove);
  if (self->library != NULL)
    g_signal_handlers_disconnect_by_data (self->library, self);
  if (self->downloads != NULL)
    g_signal_handlers_disconnect_by_data (self->downloads, self);
  g_clear_object (&self->library);
  g_clear_object (&self->downloads);
  g_clear_pointer (&self->catalogue, g_ptr_array_unref);
  g_clear_pointer (&self->query, g_free);
  g_hash_table_remove_all (self->shown_states);
  gtk_widget_dispose_template (GTK_WIDGET (object), HEARTH_TYPE_DISCOVER_PAGE);
  G_OBJECT_CLASS (hearth_discover_page_parent_class)->dispose (object);
}

static void
hearth_discover_page_finalize (GObject *object)
{
  g_hash_table_unref (HEARTH_DISCOVER_PAGE (object)->shown_states);
  G_OBJECT_CLASS (hearth_discover_page_parent_class)->finalize (object);
}

static void
hearth_discover_page_class_init (HearthDiscoverPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = hearth_discover_page_dispose;
  object_class->finalize = hearth_discover_page_finalize;
  widget_class->map = hearth_discover_page_map;
  widget_class->unmap = hearth_discover_page_unmap;
  gtk_widget_class_set_template_from_resource (widget_class,
                                               RESOURCE_BASE "/hearth-discover-page.ui");
  gtk_widget_class_bind_template_child (widget_class, HearthDiscoverPage, catalogue_list);
  gtk_widget_class_bind_template_child (widget_class, HearthDiscoverPage, catalogue_note);
  gtk_widget_class_bind_template_child (widget_class, HearthDiscoverPage, chinese_only);
  gtk_widget_class_bind_template_child (widget_class, HearthDiscoverPage, fits_only);
}

static void
hearth_discover_page_init (HearthDiscoverPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->shown_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect_swapped (self->chinese_only, "toggled",
                            G_CALLBACK (catalogue_filters_changed_cb), self);
  g_signal_connect_swapped (self->fits_only, "toggled", G_CALLBACK (catalogue_filters_changed_cb),
                            self);
}

void
hearth_discover_page_set_models (HearthDiscoverPage *self,
                                 HearthLibrary      *library,
                                 HearthDownloads    *downloads)
{
  g_return_if_fail (HEARTH_IS_DISCOVER_PAGE (self));
  g_return_if_fail (HEARTH_IS_LIBRARY (library));
  g_return_if_fail (HEARTH_IS_DOWNLOADS (downloads));
  g_return_if_fail (self->library == NULL);

  self->library = g_object_ref (library);
  self->downloads = g_object_ref (downloads);
  load_catalogue (self);
  /* a row says whether its model is installed or downloading */
  g_signal_connect_swapped (library, "items-changed", G_CALLBACK (rebuild_catalogue), self);
  g_signal_connect (downloads, "items-changed", G_CALLBACK (downloads_changed_cb), self);
  follow_pulls (self, 0, g_list_model_get_n_items (G_LIST_MODEL (downloads)));
  rebuild_catalogue (self);
}

void
hearth_discover_page_set_query (HearthDiscoverPage *self,
                                const char         *query)
{
  g_return_if_fail (HEARTH_IS_DISCOVER_PAGE (self));

  g_free (self->query);
  self->query = g_strdup (query);
  gtk_list_box_invalidate_filter (self->catalogue_list);
}
