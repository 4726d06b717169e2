/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-library"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth-gguf.h"
#include "hearth-library.h"

/* ---- an item ----------------------------------------------------------------- */

struct _HearthModelItem
{
  GObject parent_instance;

  char *name, *family, *parameter_size, *quantization, *model_path, *digest, *license;
  char *link_target;
  guint64 context_length, size, embedding_length, block_count, head_count, head_count_kv;
  guint64 vocab_size;
  gboolean chat_template;
  gint64 modified;
};

G_DEFINE_FINAL_TYPE (HearthModelItem, hearth_model_item, G_TYPE_OBJECT)

static void
hearth_model_item_finalize (GObject *object)
{
  HearthModelItem *self = HEARTH_MODEL_ITEM (object);

  g_free (self->name);
  g_free (self->family);
  g_free (self->parameter_size);
  g_free (self->quantization);
  g_free (self->model_path);
  g_free (self->digest);
  g_free (self->license);
  g_free (self->link_target);
  G_OBJECT_CLASS (hearth_model_item_parent_class)->finalize (object);
}

static void
hearth_model_item_class_init (HearthModelItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_model_item_finalize;
}

static void
hearth_model_item_init (HearthModelItem *self)
{
}

static HearthModelItem *
model_item_new (const HearthStoreModel *m)
{
  HearthModelItem *self = g_object_new (HEARTH_TYPE_MODEL_ITEM, NULL);
  g_autoptr (HearthGguf) gguf = NULL;
  const HearthModelInfo *info = NULL;

  self->name = g_strdup (m->name);
  self->model_path = g_strdup (m->model_path);
  self->digest = g_strdup (m->manifest_digest);
  self->size = m->size;
  self->modified = m->modified;
  if (m->model_path != NULL && g_file_test (m->model_path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autofree char *target = g_file_read_link (m->model_path, NULL);
      g_autofree char *dir = g_path_get_dirname (m->model_path);

      /* (a relative link is relative to the blobs folder) */
      if (target != NULL)
        self->link_target = g_canonicalize_filename (target, dir);
    }
  if (m->model_path != NULL)
    gguf = hearth_gguf_open (m->model_path, NULL);
  if (gguf != NULL)
    info = hearth_gguf_get_model_info (gguf, NULL);
  if (info != NULL)
    {
      self->family = g_strdup (info->architecture);
      self->parameter_size = g_strdup (info->parameter_label);
      self->quantization = g_strdup (info->file_type);
      self->context_length = info->context_length;
      self->embedding_length = info->embedding_length;
      self->block_count = info->block_count;
      self->head_count = info->head_count;
      self->head_count_kv = info->head_count_kv;
      self->vocab_size = info->vocab_size;
      self->license = g_strdup (info->license);
      self->chat_template = info->chat_template != NULL;
    }
  return self;
}

const char *
hearth_model_item_get_name (HearthModelItem *self)
{
  return self->name;
}

const char *
hearth_model_item_get_family (HearthModelItem *self)
{
  return self->family;
}

const char *
hearth_model_item_get_parameter_size (HearthModelItem *self)
{
  return self->parameter_size;
}

const char *
hearth_model_item_get_quantization (HearthModelItem *self)
{
  return self->quantization;
}

guint64
hearth_model_item_get_context_length (HearthModelItem *self)
{
  return self->context_length;
}

guint64
hearth_model_item_get_size (HearthModelItem *self)
{
  return self->size;
}

gint64
hearth_model_item_get_modified (HearthModelItem *self)
{
  return self->modified;
}

const char *
hearth_model_item_get_model_path (HearthModelItem *self)
{
  return self->model_path;
}

guint64
hearth_model_item_get_embedding_length (HearthModelItem *self)
{
  return self->embedding_length;
}

guint64
hearth_model_item_get_block_count (HearthModelItem *self)
{
  return self->block_count;
}

guint64
hearth_model_item_get_head_count (HearthModelItem *self)
{
  return self->head_count;
}

guint64
hearth_model_item_get_head_count_kv (HearthModelItem *self)
{
  return self->head_count_kv;
}

guint64
hearth_model_item_get_vocab_size (HearthModelItem *self)
{
  return self->vocab_size;
}

const char *
hearth_model_item_get_license (HearthModelItem *self)
{
  return self->license;
}

gboolean
hearth_model_item_has_chat_template (HearthModelItem *self)
{
  return self->chat_template;
}

const char *
hearth_model_item_get_link_target (HearthModelItem *self)
{
  return self->link_target;
}

gboolean
hearth_library_check_file (const char  *path,
                           GError     **error)
{
  g_autofree char *shown = NULL;
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (GError) local = NULL;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);

  shown = g_filename_display_basename (path);
  fd = g_open (path, O_RDONLY, 0);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("“%s” cannot be read: %s."), shown, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   _("“%s” is not a file."), shown);
      return FALSE;
    }
  /* the engine's reader (its reason without the path it starts with: the
   * file is named once) */
  gguf = hearth_gguf_open (path, &local);
  if (gguf == NULL || hearth_gguf_get_model_info (gguf, &local) == NULL)
    {
      const char *reason = local->message;

      if (g_str_has_prefix (reason, path) && g_str_has_prefix (reason + strlen (path), ": "))
        reason += strlen (path) + 2;
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("“%s” is not a GGUF model that Hearth can read (%s)."), shown, reason);
      return FALSE;
    }
  return TRUE;
}

/* ---- the library ------------------------------------------------------------- */

struct _HearthLibrary
{
  GObject parent_instance;

  HearthStore *store;
  GPtrArray *items;     /* HearthModelItem, by name */
  GHashTable *monitors; /* folder watched → its GFileMonitor */
  guint refresh_id;     /* a refresh once the store's folders are quiet */
};

/* After a change in the store's folders, the library is read again once
 * nothing more has changed for this long: a pull, an import or Ollama
 * writes a manifest as a burst of events (folders made, a temporary file
 * written and renamed). */
#define REFRESH_DELAY_MS 200

static void list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (HearthLibrary, hearth_library, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_init))

static GType
get_item_type (GListModel *model)
{
  return HEARTH_TYPE_MODEL_ITEM;
}

static guint
get_n_items (GListModel *model)
{
  return HEARTH_LIBRARY (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  HearthLibrary *self = HEARTH_LIBRARY (model);

  return position < self->items->len ? g_object_ref (self->items->pdata[position]) : NULL;
}

static void
list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
hearth_library_dispose (GObject *object)
{
  HearthLibrary *self = HEARTH_LIBRARY (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  g_clear_pointer (&self->monitors, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  G_OBJECT_CLASS (hearth_library_parent_class)->dispose (object);
}

static void
hearth_library_class_init (HearthLibraryClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = hearth_library_dispose;
}

static void folder_changed_cb (GFileMonitor      *monitor,
                               GFile             *file,
                               GFile             *other,
                               GFileMonitorEvent  event,
                               HearthLibrary     *self);

static void
monitor_free (gpointer data)
{
  GFileMonitor *monitor = data;

  g_signal_handlers_disconnect_matched (monitor, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        folder_changed_cb, NULL);
  g_file_monitor_cancel (monitor);
  g_object_unref (monitor);
}

static void
hearth_library_init (HearthLibrary *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->monitors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, monitor_free);
}

HearthLibrary *
hearth_library_new (HearthStore *store)
{
  HearthLibrary *self;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  self = g_object_new (HEARTH_TYPE_LIBRARY, NULL);
  self->store = g_object_ref (store);
  hearth_library_refresh (self);
  return self;
}

HearthStore *
hearth_library_get_store (HearthLibrary *self)
{
  g_return_val_if_fail (HEARTH_IS_LIBRARY (self), NULL);
  return self->store;
}

void
hearth_library_set_store (HearthLibrary *self,
                          HearthStore   *store)
{
  g_return_if_fail (HEARTH_IS_LIBRARY (self));
  g_return_if_fail (HEARTH_IS_STORE (store));

  g_set_object (&self->store, store);
  hearth_library_refresh (self);
}

/* ---- following the store ------------------------------------------------------- */

static gboolean
refresh_timeout (gpointer data)
{
  HearthLibrary *self = HEARTH_LIBRARY (data);

  self->refresh_id = 0;
  hearth_library_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
folder_changed_cb (GFileMonitor      *monitor,
                   GFile             *file,
                   GFile             *other,
                   GFileMonitorEvent  event,
                   HearthLibrary     *self)
{
  /* a burst is read once, when it is over */
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  self->refresh_id = g_timeout_add (REFRESH_DELAY_MS, refresh_timeout, self);
}

/* @dir and the folders under it, @depth levels down, into @dirs. */
static void
add_folders (GHashTable *dirs,
             const char *dir,
             guint       depth)
{
  g_autoptr (GDir) children = NULL;
  const char *name;

  g_hash_table_add (dirs, g_strdup (dir));
  if (depth == 0 || (children = g_dir_open (dir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (children)) != NULL)
    {
      g_autofree char *child = g_build_filename (dir, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        add_folders (dirs, child, depth - 1);
    }
}

/* Watches every folder a manifest's path goes through (inotify watches one
 * folder, not what is under it): ROOT/manifests and its HOST, NAMESPACE
 * and MODEL folders, whose files are the tags. Where ROOT/manifests is not
 * there yet, the nearest folder above it that is, so that the first model
 * written is seen. Folders made or removed since are taken in or let go. */
static void
watch_store (HearthLibrary *self)
{
  g_autofree char *top = g_build_filename (hearth_store_get_root (self->store), "manifests", NULL);
  g_autoptr (GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  gpointer dir;

  if (g_file_test (top, G_FILE_TEST_IS_DIR))
    add_folders (wanted, top, 3);
  else
    {
      g_autofree char *above = g_path_get_dirname (top);

      while (!g_file_test (above, G_FILE_TEST_IS_DIR))
        {
          char *up = g_path_get_dirname (above);
          gboolean at_top = g_str_equal (up, above);

          g_free (above);
          above = up;
          if (at_top)
            break;
        }
      g_hash_table_add (wanted, g_steal_pointer (&above));
    }

  g_hash_table_iter_init (&iter, self->monitors);
  while (g_hash_table_iter_next (&iter, &dir, NULL))
    if (!g_hash_table_contains (wanted, dir))
      g_hash_table_iter_remove (&iter);
  g_hash_table_iter_init (&iter, wanted);
  while (g_hash_table_iter_next (&iter, &dir, NULL))
    {
      g_autoptr (GFile) file = NULL;
      g_autoptr (GError) error = NULL;
      GFileMonitor *monitor;

      if (g_hash_table_contains (self->monitors, dir))
        continue;
      file = g_file_new_for_path (dir);
      monitor = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
      if (monitor == NULL)
        {
          /* the library is still right after each change Hearth makes */
          g_debug ("cannot watch %s: %s", (char *) dir, error->message);
          continue;
        }
      g_signal_connect (monitor, "changed", G_CALLBACK (folder_changed_cb), self);
      g_hash_table_insert (self->monitors, g_strdup (dir), monitor);
    }
}

/* Whether two items show the same thing (the same manifest, unchanged). */
static gboolean
same_item (HearthModelItem *a,
           HearthModelItem *b)
{
  return g_strcmp0 (a->name, b->name) == 0 && g_strcmp0 (a->digest, b->digest) == 0
         && a->modified == b->modified;
}

void
hearth_library_refresh (HearthLibrary *self)
{
  g_autoptr (GPtrArray) models = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  guint old_n, first = 0, old_tail, new_tail;

  g_return_if_fail (HEARTH_IS_LIBRARY (self));

  /* the folders that appeared since are watched too */
  watch_store (self);
  for (guint i = 0; i < self->items->len; i++)
    g_hash_table_insert (known, HEARTH_MODEL_ITEM (self->items->pdata[i])->name,
                         self->items->pdata[i]);
  models = hearth_store_list (self->store, NULL);
  for (guint i = 0; models != NULL && i < models->len; i++)
    {
      const HearthStoreModel *m = models->pdata[i];
      HearthModelItem *old = g_hash_table_lookup (known, m->name);

      /* an unchanged manifest: its file's header is not read again */
      if (old != NULL && g_strcmp0 (old->digest, m->manifest_digest) == 0
          && old->modified == m->modified)
        g_ptr_array_add (items, g_object_ref (old));
      else
        g_ptr_array_add (items, model_item_new (m));
    }

  /* one ::items-changed covering what differs between the common head and
   * the common tail */
  old_n = self->items->len;
  while (first < old_n && first < items->len
         && same_item (self->items->pdata[first], items->pdata[first]))
    first++;
  old_tail = old_n, new_tail = items->len;
  while (old_tail > first && new_tail > first
         && same_item (self->items->pdata[old_tail - 1], items->pdata[new_tail - 1]))
    old_tail--, new_tail--;
  g_ptr_array_unref (self->items);
  self->items = g_steal_pointer (&items);
  if (old_tail > first || new_tail > first)
    g_list_model_items_changed (G_LIST_MODEL (self), first, old_tail - first, new_tail - first);
}

guint64
hearth_library_get_disk_usage (HearthLibrary *self)
{
  g_autofree char *dir = NULL;
  g_autoptr (GDir) blobs = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *file;
  guint64 total = 0;

  g_return_val_if_fail (HEARTH_IS_LIBRARY (self), 0);

  dir = g_build_filename (hearth_store_get_root (self->store), "blobs", NULL);
  blobs = g_dir_open (dir, 0, NULL);
  while (blobs != NULL && (file = g_dir_read_name (blobs)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, file, NULL);
      GStatBuf st;

      /* a linked blob takes what its file takes (a link that leads
       * nowhere, nothing); a file counts once however many blobs lead to
       * it; partial downloads count too: they take the space */
      if (g_stat (path, &st) == 0 && S_ISREG (st.st_mode)
          && g_hash_table_add (seen, g_strdup_printf ("%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT,
                                                      (guint64) st.st_dev, (guint64) st.st_ino)))
        total += (guint64) st.st_size;
    }
  return total;
}

guint
hearth_library_get_n_linked (HearthLibrary *self)
{
  guint n = 0;

  g_return_val_if_fail (HEARTH_IS_LIBRARY (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    if (HEARTH_MODEL_ITEM (self->items->pdata[i])->link_target != NULL)
      n++;
  return n;
}
