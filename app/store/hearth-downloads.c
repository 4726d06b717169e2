/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-downloads"

#include "config.h"

#include <glib/gi18n.h>

#include "hearth-downloads.h"
#include "hearth-fit.h"

struct _HearthDownloads
{
  GObject parent_instance;

  HearthLibrary *library;
  SoupSession *session;
  GPtrArray *pulls;     /* HearthPull */
};

enum { SIGNAL_MODEL_ADDED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void hearth_downloads_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthDownloads, hearth_downloads, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      hearth_downloads_list_model_init))

static GType
get_item_type (GListModel *model)
{
  return HEARTH_TYPE_PULL;
}

static guint
get_n_items (GListModel *model)
{
  return HEARTH_DOWNLOADS (model)->pulls->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  HearthDownloads *self = HEARTH_DOWNLOADS (model);

  return position < self->pulls->len ? g_object_ref (self->pulls->pdata[position]) : NULL;
}

static void
hearth_downloads_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
forget (HearthDownloads *self,
        HearthPull      *pull)
{
  guint position;

  if (!g_ptr_array_find (self->pulls, pull, &position))
    return;
  g_signal_handlers_disconnect_by_data (pull, self);
  g_ptr_array_remove_index (self->pulls, position);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

static void
hearth_downloads_dispose (GObject *object)
{
  HearthDownloads *self = HEARTH_DOWNLOADS (object);

  /* what runs stops here, and goes on at the next start */
  if (self->pulls != NULL)
    for (guint i = 0; i < self->pulls->len; i++)
      g_signal_handlers_disconnect_by_data (self->pulls->pdata[i], self);
  g_clear_pointer (&self->pulls, g_ptr_array_unref);
  g_clear_object (&self->library);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (hearth_downloads_parent_class)->dispose (object);
}

static void
hearth_downloads_class_init (HearthDownloadsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = hearth_downloads_dispose;
  signals[SIGNAL_MODEL_ADDED] = g_signal_new ("model-added", G_TYPE_FROM_CLASS (klass),
                                              G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                              G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
hearth_downloads_init (HearthDownloads *self)
{
  self->pulls = g_ptr_array_new_with_free_func (g_object_unref);
}

HearthDownloads *
hearth_downloads_new (HearthLibrary *library,
                      SoupSession   *session)
{
  HearthDownloads *self;

  g_return_val_if_fail (HEARTH_IS_LIBRARY (library), NULL);
  g_return_val_if_fail (SOUP_IS_SESSION (session), NULL);

  self = g_object_new (HEARTH_TYPE_DOWNLOADS, NULL);
  self->library = g_object_ref (library);
  self->session = g_object_ref (session);
  return self;
}

/* The sizes are known, nothing is downloaded yet: will it fit? */
static void
on_manifest (HearthPull      *pull,
             HearthDownloads *self)
{
  HearthFit fit;

  if (g_object_get_data (G_OBJECT (pull), "hearth-fit-checked") != NULL)
    return;
  g_object_set_data (G_OBJECT (pull), "hearth-fit-checked", GINT_TO_POINTER (1));
  hearth_fit_estimate (hearth_pull_get_bytes_total (pull), hearth_fit_gpu_memory (),
                       hearth_fit_system_ram (), &fit);
  if (fit.verdict == HEARTH_FIT_NONE)
    {
      g_autofree char *text = hearth_fit_describe (&fit);
      g_autoptr (GError) reason = g_error_new (HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_WONT_FIT,
                                               _("%s. Resume to download it all the same."),
                                               text);

      hearth_pull_stop (pull, reason);
    }
}

static void
on_finished (HearthPull      *pull,
             const GError    *error,
             HearthDownloads *self)
{
  g_autoptr (HearthPull) hold = g_object_ref (pull);
  g_autofree char *name = g_strdup (hearth_pull_get_name (pull));

  if (error != NULL)
    return;  /* it stays in the list, with the reason */
  forget (self, pull);
  hearth_library_refresh (self->library);
  g_signal_emit (self, signals[SIGNAL_MODEL_ADDED], 0, name);
}

static HearthPull *
append (HearthDownloads *self,
        HearthPull      *pull)
{
  g_ptr_array_add (self->pulls, pull);
  g_signal_connect (pull, "manifest", G_CALLBACK (on_manifest), self);
  g_signal_connect (pull, "finished", G_CALLBACK (on_finished), self);
  g_list_model_items_changed (G_LIST_MODEL (self), self->pulls->len - 1, 0, 1);
  return pull;
}

HearthPull *
hearth_downloads_find (HearthDownloads *self,
                       const char      *name)
{
  g_autoptr (HearthModelName) parsed = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (HEARTH_IS_DOWNLOADS (self), NULL);

  /* "stories" is "stories:latest" */
  parsed = hearth_model_name_parse (name, NULL);
  shown = parsed != NULL ? hearth_model_name_to_string (parsed) : g_strdup (name);
  for (guint i = 0; i < self->pulls->len; i++)
    if (g_strcmp0 (hearth_pull_get_name (self->pulls->pdata[i]), shown) == 0)
      return self->pulls->pdata[i];
  return NULL;
}

HearthPull *
hearth_downloads_add (HearthDownloads  *self,
                      const char       *source,
                      GError          **error)
{
  HearthStore *store;
  g_autoptr (HearthPull) pull = NULL;
  g_autofree char *path = NULL;
  HearthPull *existing;

  g_return_val_if_fail (HEARTH_IS_DOWNLOADS (self), NULL);

  store = hearth_library_get_store (self->library);
  pull = hearth_pull_new (store, self->session, source, error);
  if (pull == NULL)
    return NULL;
  existing = hearth_downloads_find (self, hearth_pull_get_name (pull));
  if (existing != NULL)
    {
      hearth_pull_start (existing);
      return existing;
    }
  path = hearth_store_get_model_path (store, hearth_pull_get_name (pull), NULL);
  if (path != NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS,
                   _("“%s” is installed already"), hearth_pull_get_name (pull));
      return NULL;
    }
  append (self, g_object_ref (pull));
  hearth_pull_start (pull);
  return pull;
}

void
hearth_downloads_restore (HearthDownloads *self)
{
  HearthStore *store;
  g_autoptr (GPtrArray) pending = NULL;

  g_return_if_fail (HEARTH_IS_DOWNLOADS (self));

  store = hearth_library_get_store (self->library);
  pending = hearth_store_pending_list (store);
  for (guint i = 0; i < pending->len; i++)
    {
      HearthStorePending *p = pending->pdata[i];
      g_autoptr (GError) error = NULL;
      HearthPull *pull;

      if (hearth_downloads_find (self, p->name) != NULL)
        continue;
      pull = hearth_pull_new (store, self->session, p->source, &error);
      /* a record whose source no longer makes a pull (a mirror setting
       * gone, say) stays for a later start, and says so */
      if (pull == NULL)
        {
          g_warning ("cannot go on with the download of %s: %s", p->name, error->message);
          continue;
        }
      /* it was checked when it started */
      g_object_set_data (G_OBJECT (pull), "hearth-fit-checked", GINT_TO_POINTER (1));
      append (self, pull);
      if (!p->paused)
        hearth_pull_start (pull);
    }
}

void
hearth_downloads_cancel (HearthDownloads *self,
                         HearthPull      *pull)
{
  g_autoptr (HearthPull) hold = NULL;

  g_return_if_fail (HEARTH_IS_DOWNLOADS (self));
  g_return_if_fail (HEARTH_IS_PULL (pull));

  hold = g_object_ref (pull);
  forget (self, pull);
  hearth_pull_cancel (pull);
}
