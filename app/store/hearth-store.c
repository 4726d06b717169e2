/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-store"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "hearth-gguf.h"
#include "hearth-ollama-template.h"
#include "hearth-setting.h"
#include "hearth-store.h"

struct _HearthStore
{
  GObject parent_instance;

  char *root;
};

G_DEFINE_FINAL_TYPE (HearthStore, hearth_store, G_TYPE_OBJECT)

static void
hearth_store_finalize (GObject *object)
{
  HearthStore *self = HEARTH_STORE (object);

  g_free (self->root);
  G_OBJECT_CLASS (hearth_store_parent_class)->finalize (object);
}

static void
hearth_store_class_init (HearthStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hearth_store_finalize;
}

static void
hearth_store_init (HearthStore *self)
{
}

void
hearth_store_model_free (HearthStoreModel *model)
{
  if (model == NULL)
    return;
  g_free (model->name);
  g_free (model->manifest_digest);
  g_free (model->model_path);
  g_free (model);
}

char *
hearth_store_default_root (void)
{
  g_autofree char *chosen = hearth_setting_get_string ("HEARTH_MODELS", "models-dir");

  if (chosen != NULL && *chosen != '\0')
    return g_steal_pointer (&chosen);
  return g_build_filename (g_get_user_data_dir (), "hearth", "models", NULL);
}

char *
hearth_store_ollama_root (guint *n_models)
{
  g_autofree char *root = g_build_filename (g_get_home_dir (), ".ollama", "models", NULL);
  g_autofree char *manifests = g_build_filename (root, "manifests", NULL);
  g_autoptr (HearthStore) store = NULL;
  g_autoptr (GPtrArray) models = NULL;

  if (!g_file_test (manifests, G_FILE_TEST_IS_DIR))
    return NULL;
  store = hearth_store_new (root);
  models = hearth_store_list (store, NULL);
  if (n_models != NULL)
    *n_models = models != NULL ? models->len : 0;
  return g_steal_pointer (&root);
}

HearthStore *
hearth_store_new (const char *root)
{
  HearthStore *self;

  g_return_val_if_fail (root != NULL, NULL);

  self = g_object_new (HEARTH_TYPE_STORE, NULL);
  self->root = g_strdup (root);
  return self;
}

const char *
hearth_store_get_root (HearthStore *self)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  return self->root;
}

/* ---- digests and blobs --------------------------------------------------- */

static gboolean
digest_is_valid (const char *digest)
{
  if (digest == NULL || !g_str_has_prefix (digest, "sha256:") || strlen (digest) != 7 + 64)
    return FALSE;
  for (const char *c = digest + 7; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c) && !(*c >= 'a' && *c <= 'f'))
      return FALSE;
  return TRUE;
}

/* Makes folder @dir (and its parents), or says why not. */
static gboolean
make_dir (const char  *dir,
          GError     **error)
{
  int saved;

  if (g_mkdir_with_parents (dir, 0755) == 0)
    return TRUE;
  saved = errno;
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot create %s: %s"), dir,
               g_strerror (saved));
  return FALSE;
}

char *
hearth_store_blob_path (HearthStore  *self,
                        const char   *digest,
                        GError      **error)
{
  g_autofree char *file = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  if (!digest_is_valid (digest))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("“%s” is not a sha256 digest"), digest != NULL ? digest : "(null)");
      return NULL;
    }
  file = g_strdup_printf ("sha256-%s", digest + 7);
  return g_build_filename (self->root, "blobs", file, NULL);
}

/* The SHA-256 of the file at @path as "sha256:HEX", and its size. */
static char *
file_digest (const char    *path,
             guint64       *size,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (file, cancellable, error);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buffer = g_malloc (1 << 20);
  gssize n;

  if (in == NULL)
    return NULL;
  *size = 0;
  while ((n = g_input_stream_read (G_INPUT_STREAM (in), buffer, 1 << 20, cancellable, error)) > 0)
    {
      g_checksum_update (sum, buffer, n);
      *size += (guint64) n;
    }
  if (n < 0)
    return NULL;
  return g_strdup_printf ("sha256:%s", g_checksum_get_string (sum));
}

/* Writes @data as a blob (named by its digest); returns the digest. */
static char *
write_blob (HearthStore  *self,
            const char   *data,
            gsize         len,
            GError      **error)
{
  g_autofree char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data,
                                                      len);
  g_autofree char *digest = g_strdup_printf ("sha256:%s", hex);
  g_autofree char *path = NULL;
  g_autofree char *dir = g_build_filename (self->root, "blobs", NULL);

  path = hearth_store_blob_path (self, digest, error);
  if (path == NULL)
    return NULL;
  if (!make_dir (dir, error))
    return NULL;
  if (!g_file_test (path, G_FILE_TEST_EXISTS)
      && !g_file_set_contents (path, data, (gssize) len, error))
    return NULL;
  return g_steal_pointer (&digest);
}

char *
hearth_store_write_blob (HearthStore  *self,
                         const char   *data,
                         gsize         len,
                         GError      **error)
{
  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);
  return write_blob (self, data, len, error);
}

/* ---- manifests ----------------------------------------------------------- */

static gboolean
check_descriptor (JsonNode    *node,
                  const char  *where,
                  const char  *path,
                  GError     **error)
{
  JsonObject *o = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode *digest = o != NULL ? json_object_get_member (o, "digest") : NULL;
  JsonNode *size = o != NULL ? json_object_get_member (o, "size") : NULL;
  JsonNode *type = o != NULL ? json_object_get_member (o, "mediaType") : NULL;

  if (o == NULL || digest == NULL || json_node_get_value_type (digest) != G_TYPE_STRING
      || !digest_is_valid (json_node_get_string (digest)) || size == NULL
      || json_node_get_value_type (size) != G_TYPE_INT64 || json_node_get_int (size) < 0
      || type == NULL || json_node_get_value_type (type) != G_TYPE_STRING)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the manifest %s is damaged: its %s needs a mediaType, a sha256 digest and "
                   "a size"), path, where);
      return FALSE;
    }
  return TRUE;
}

JsonNode *
hearth_store_parse_manifest (const char  *data,
                             gsize        len,
                             const char  *what,
                             GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local = NULL;
  JsonObject *o;
  JsonNode *layers;

  if (!json_parser_load_from_data (parser, data, (gssize) len, &local))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the manifest %s cannot be read: %s"), what, local->message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the manifest %s is not a JSON object"), what);
      return NULL;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  if (json_object_get_int_member_with_default (o, "schemaVersion", 0) != 2)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the manifest %s is not a version 2 manifest"), what);
      return NULL;
    }
  layers = json_object_get_member (o, "layers");
  if (layers == NULL || !JSON_NODE_HOLDS_ARRAY (layers))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the manifest %s has no layers"), what);
      return NULL;
    }
  if (json_object_has_member (o, "config")
      && !check_descriptor (json_object_get_member (o, "config"), _("config"), what, error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (layers)); i++)
    if (!check_descriptor (json_array_get_element (json_node_get_array (layers), i), _("layer"),
                           what, error))
      return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

static JsonNode *
read_manifest_file (const char  *path,
                    GError     **error)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) local = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                     _("%s does not exist"), path);
      else
        g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                     _("the manifest %s cannot be read: %s"), path, local->message);
      return NULL;
    }
  return hearth_store_parse_manifest (data, len, path, error);
}

JsonNode *
hearth_store_read_manifest (HearthStore            *self,
                            const HearthModelName  *name,
                            GError                **error)
{
  g_autofree char *path = hearth_model_name_manifest_path (name, self->root);
  g_autoptr (GError) local = NULL;
  JsonNode *node = read_manifest_file (path, &local);

  if (node == NULL && g_error_matches (local, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND))
    {
      g_autofree char *text = hearth_model_name_to_string (name);

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                   _("there is no model named “%s” in %s"), text, self->root);
      return NULL;
    }
  if (node == NULL)
    g_propagate_error (error, g_steal_pointer (&local));
  return node;
}

gboolean
hearth_store_write_manifest_bytes (HearthStore            *self,
                                   const HearthModelName  *name,
                                   GBytes                 *manifest,
                                   GError                **error)
{
  g_autofree char *path = hearth_model_name_manifest_path (name, self->root);
  g_autofree char *dir = g_path_get_dirname (path);

  if (!make_dir (dir, error))
    return FALSE;
  return g_file_set_contents (path, g_bytes_get_data (manifest, NULL),
                              (gssize) g_bytes_get_size (manifest), error);
}

gboolean
hearth_store_write_manifest (HearthStore            *self,
                             const HearthModelName  *name,
                             JsonNode               *manifest,
                             GError                **error)
{
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  gsize len = 0;
  g_autofree char *text = NULL;
  g_autoptr (GBytes) bytes = NULL;

  json_generator_set_root (gen, manifest);
  text = json_generator_to_data (gen, &len);
  bytes = g_bytes_new_take (g_steal_pointer (&text), len);
  return hearth_store_write_manifest_bytes (self, name, bytes, error);
}

/* The digest of the first layer of @type in @manifest, or NULL. */
static const char *
layer_digest (JsonNode   *manifest,
              const char *type)
{
  JsonArray *layers = json_object_get_array_member (json_node_get_object (manifest), "layers");

  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *layer = json_array_get_object_element (layers, i);

      if (g_strcmp0 (json_object_get_string_member (layer, "mediaType"), type) == 0)
        return json_object_get_string_member (layer, "digest");
    }
  return NULL;
}

/* Every digest @manifest refers to (config and layers) into @set. */
static void
add_digests (JsonNode   *manifest,
             GHashTable *set)
{
  JsonObject *o = json_node_get_object (manifest);
  JsonArray *layers = json_object_get_array_member (o, "layers");

  if (json_object_has_member (o, "config"))
    g_hash_table_add (set, g_strdup (json_object_get_string_member (
                             json_object_get_object_member (o, "config"), "digest")));
  for (guint i = 0; i < json_array_get_length (layers); i++)
    g_hash_table_add (set, g_strdup (json_object_get_string_member (
                             json_array_get_object_element (layers, i), "digest")));
}

/* Calls @func for every manifest file under ROOT/manifests (four levels:
 * host, namespace, model, tag). */
typedef void (*ManifestFunc) (HearthStore     *self,
                              HearthModelName *name,
                              const char      *path,
                              gpointer         user_data);

static void
for_each_manifest (HearthStore  *self,
                   ManifestFunc  func,
                   gpointer      user_data)
{
  g_autofree char *top = g_build_filename (self->root, "manifests", NULL);
  g_autoptr (GDir) hosts = g_dir_open (top, 0, NULL);
  const char *host;

  while (hosts != NULL && (host = g_dir_read_name (hosts)) != NULL)
    {
      g_autofree char *host_dir = g_build_filename (top, host, NULL);
      g_autoptr (GDir) namespaces = g_dir_open (host_dir, 0, NULL);
      const char *ns;

      while (namespaces != NULL && (ns = g_dir_read_name (namespaces)) != NULL)
        {
          g_autofree char *ns_dir = g_build_filename (host_dir, ns, NULL);
          g_autoptr (GDir) models = g_dir_open (ns_dir, 0, NULL);
          const char *model;

          while (models != NULL && (model = g_dir_read_name (models)) != NULL)
            {
              g_autofree char *model_dir = g_build_filename (ns_dir, model, NULL);
              g_autoptr (GDir) tags = g_dir_open (model_dir, 0, NULL);
              const char *tag;

              while (tags != NULL && (tag = g_dir_read_name (tags)) != NULL)
                {
                  g_autofree char *text = g_strdup_printf ("%s/%s/%s:%s", host, ns, model, tag);
                  g_autofree char *path = g_build_filename (model_dir, tag, NULL);
                  g_autoptr (HearthModelName) name = hearth_model_name_parse (text, NULL);

                  /* files that are not manifests of a valid name (editors'
                   * backups, temporary files) are not models */
                  if (name != NULL && g_file_test (path, G_FILE_TEST_IS_REGULAR))
                    func (self, name, path, user_data);
                }
            }
        }
    }
}

static void
list_one (HearthStore     *self,
          HearthModelName *name,
          const char      *path,
          gpointer         user_data)
{
  GPtrArray *models = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) manifest = read_manifest_file (path, &error);
  g_autofree char *text = NULL;
  HearthStoreModel *m;
  JsonArray *layers;
  const char *model_digest;
  GStatBuf st;
  gsize len = 0;

  if (manifest == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  m = g_new0 (HearthStoreModel, 1);
  m->name = hearth_model_name_to_string (name);
  if (g_file_get_contents (path, &text, &len, NULL))
    {
      g_autofree char *hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                          (const guchar *) text, len);

      m->manifest_digest = g_strdup_printf ("sha256:%s", hex);
    }
  layers = json_object_get_array_member (json_node_get_object (manifest), "layers");
  for (guint i = 0; i < json_array_get_length (layers); i++)
    m->size += (guint64) json_object_get_int_member (json_array_get_object_element (layers, i),
                                                     "size");
  model_digest = layer_digest (manifest, HEARTH_MEDIA_TYPE_MODEL);
  if (model_digest != NULL)
    m->model_path = hearth_store_blob_path (self, model_digest, NULL);
  if (g_stat (path, &st) == 0)
    m->modified = (gint64) st.st_mtime;
  g_ptr_array_add (models, m);
}

static int
compare_models (gconstpointer a,
                gconstpointer b)
{
  const HearthStoreModel *ma = *(HearthStoreModel **) a;
  const HearthStoreModel *mb = *(HearthStoreModel **) b;

  return g_strcmp0 (ma->name, mb->name);
}

GPtrArray *
hearth_store_list (HearthStore  *self,
                   GError      **error)
{
  GPtrArray *models = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_store_model_free);

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  for_each_manifest (self, list_one, models);
  g_ptr_array_sort (models, compare_models);
  return models;
}

char *
hearth_store_get_model_path (HearthStore  *self,
                             const char   *name_text,
                             GError      **error)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, error);
  g_autoptr (JsonNode) manifest = NULL;
  const char *digest;

  if (name == NULL)
    return NULL;
  manifest = hearth_store_read_manifest (self, name, error);
  if (manifest == NULL)
    return NULL;
  digest = layer_digest (manifest, HEARTH_MEDIA_TYPE_MODEL);
  if (digest == NULL)
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the model “%s” has no model layer (no GGUF file)"), name_text);
      return NULL;
    }
  return hearth_store_blob_path (self, digest, error);
}

/* ---- import ---------------------------------------------------------------- */

/* The config blob Ollama writes for a GGUF model. */
static char *
config_json (const char *model_digest,
             HearthGguf *gguf)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  const HearthModelInfo *info = gguf != NULL ? hearth_gguf_get_model_info (gguf, NULL) : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model_format");
  json_builder_add_string_value (b, "gguf");
  if (info != NULL)
    {
      json_builder_set_member_name (b, "model_family");
      json_builder_add_string_value (b, info->architecture);
      json_builder_set_member_name (b, "model_families");
      json_builder_begin_array (b);
      json_builder_add_string_value (b, info->architecture);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "model_type");
      json_builder_add_string_value (b, info->parameter_label);
      json_builder_set_member_name (b, "file_type");
      json_builder_add_string_value (b, info->file_type);
    }
  json_builder_set_member_name (b, "architecture");
  json_builder_add_string_value (b, "amd64");
  json_builder_set_member_name (b, "os");
  json_builder_add_string_value (b, "linux");
  json_builder_set_member_name (b, "rootfs");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "layers");
  json_builder_set_member_name (b, "diff_ids");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, model_digest);
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static void
add_descriptor (JsonBuilder *b,
                const char  *type,
                const char  *digest,
                guint64      size)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mediaType");
  json_builder_add_string_value (b, type);
  json_builder_set_member_name (b, "digest");
  json_builder_add_string_value (b, digest);
  json_builder_set_member_name (b, "size");
  json_builder_add_int_value (b, (gint64) size);
  json_builder_end_object (b);
}

/* A name beside @blob for a file on its way there (never a blob's name,
 * nor a download's). */
static char *
blob_temp_path (const char *blob)
{
  return g_strdup_printf ("%s.import-%u-%08x", blob, (guint) getpid (), g_random_int ());
}

/* Renames @tmp over @blob; on failure @tmp is removed and @error says why. */
static gboolean
move_into_place (const char  *tmp,
                 const char  *blob,
                 GError     **error)
{
  int saved;

  if (g_rename (tmp, blob) == 0)
    return TRUE;
  saved = errno;
  g_unlink (tmp);
  g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot move %s to %s: %s"), tmp,
               blob, g_strerror (saved));
  return FALSE;
}

/* Copies the file at @path to a new file beside @blob, hashing the bytes
 * as they go, and renames it to @blob once they are the ones @digest
 * names; over a link there, atomically, so that every model that shares
 * the blob keeps working. */
static gboolean
copy_blob (const char    *path,
           const char    *digest,
           const char    *blob,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr (GFile) src = g_file_new_for_path (path);
  g_autoptr (GFileInputStream) in = g_file_read (src, cancellable, error);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buffer = g_malloc (1 << 20);
  g_autofree char *tmp = blob_temp_path (blob);
  g_autofree char *got = NULL;
  gssize n;
  int fd, saved;

  if (in == NULL)
    return FALSE;
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot write %s: %s"),
                   tmp, g_strerror (saved));
      return FALSE;
    }
  while ((n = g_input_stream_read (G_INPUT_STREAM (in), buffer, 1 << 20, cancellable, error)) > 0)
    {
      g_checksum_update (sum, buffer, n);
      for (gssize done = 0; done < n;)
        {
          gssize w = write (fd, buffer + done, (size_t) (n - done));

          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            {
              saved = errno;
              g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                           _("cannot write %s: %s"), tmp, g_strerror (saved));
              n = -1;
              break;
            }
          done += w;
        }
      if (n < 0)
        break;
    }
  /* the blob's name must never point at bytes only in memory */
  if (n == 0 && fsync (fd) != 0)
    {
      saved = errno;
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot write %s: %s"),
                   tmp, g_strerror (saved));
      n = -1;
    }
  close (fd);
  if (n < 0)
    {
      g_unlink (tmp);
      return FALSE;
    }
  got = g_strdup_printf ("sha256:%s", g_checksum_get_string (sum));
  if (!g_str_equal (got, digest))
    {
      g_unlink (tmp);
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("%s changed while it was being imported; import it again"), path);
      return FALSE;
    }
  return move_into_place (tmp, blob, error);
}

/* Makes @blob a symbolic link to @path (made beside it, then renamed over
 * what is there: a link whose file is gone). */
static gboolean
link_blob (const char    *path,
           const char    *blob,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *tmp = blob_temp_path (blob);
  g_autoptr (GFile) tmp_file = g_file_new_for_path (tmp);

  if (!g_file_make_symbolic_link (tmp_file, absolute, cancellable, error))
    return FALSE;
  return move_into_place (tmp, blob, error);
}

/* Puts the file at @path, whose SHA-256 is @digest, into the store as
 * @blob: a copy, or with @link a symbolic link to it. A file of its own at
 * @blob stays whatever is asked (it is the same bytes, and a copy is what
 * breaks least); a link there stays for a link, and is replaced by a copy
 * where a copy is asked for (a copy must not depend on a file the user may
 * move) or by either where its file is gone. */
static gboolean
place_blob (const char    *path,
            const char    *digest,
            const char    *blob,
            gboolean       link,
            GCancellable  *cancellable,
            GError       **error)
{
  GStatBuf st;
  gboolean present = g_lstat (blob, &st) == 0;
  gboolean is_link = present && S_ISLNK (st.st_mode);

  if (present && !is_link)
    return TRUE;
  if (is_link && link && g_file_test (blob, G_FILE_TEST_EXISTS))
    return TRUE;
  if (link)
    return link_blob (path, blob, cancellable, error);
  return copy_blob (path, digest, blob, cancellable, error);
}

/* The file at @path as a blob (a copy, or with @link a symbolic link to
 * it); its digest, and its size in *@size. */
static char *
add_gguf_blob (HearthStore   *self,
               const char    *path,
               gboolean       link,
               guint64       *size,
               GCancellable  *cancellable,
               GError       **error)
{
  g_autofree char *digest = file_digest (path, size, cancellable, error);
  g_autofree char *blob = NULL;
  g_autofree char *blob_dir = NULL;

  if (digest == NULL)
    return NULL;
  blob = hearth_store_blob_path (self, digest, error);
  blob_dir = g_build_filename (self->root, "blobs", NULL);
  if (blob == NULL)
    return NULL;
  if (!make_dir (blob_dir, error))
    return NULL;
  if (!place_blob (path, digest, blob, link, cancellable, error))
    return NULL;
  return g_steal_pointer (&digest);
}

gboolean
hearth_store_import (HearthStore   *self,
                     const char    *path,
                     const char    *name_text,
                     gboolean       link,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, error);
  g_autofree char *manifest_path = NULL;
  g_autofree char *digest = NULL;
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (GError) local = NULL;
  guint64 size = 0;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (name == NULL)
    return FALSE;
  manifest_path = hearth_model_name_manifest_path (name, self->root);
  if (g_file_test (manifest_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *text = hearth_model_name_to_string (name);

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS,
                   _("a model named “%s” exists already"), text);
      return FALSE;
    }
  /* only a file the GGUF reader accepts becomes a model (its message names
   * the file) */
  gguf = hearth_gguf_open (path, &local);
  if (gguf == NULL)
    {
      g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT, local->message);
      return FALSE;
    }
  g_clear_pointer (&gguf, hearth_gguf_unref);

  digest = add_gguf_blob (self, path, link, &size, cancellable, error);
  if (digest == NULL)
    return FALSE;
  return hearth_store_add_model (self, name, digest, size, error);
}

char *
hearth_store_add_blob_file (HearthStore   *self,
                            const char    *path,
                            GCancellable  *cancellable,
                            GError       **error)
{
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (GError) local = NULL;
  guint64 size = 0;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  gguf = hearth_gguf_open (path, &local);
  if (gguf == NULL)
    {
      g_set_error_literal (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT, local->message);
      return NULL;
    }
  g_clear_pointer (&gguf, hearth_gguf_unref);
  return add_gguf_blob (self, path, FALSE, &size, cancellable, error);
}

/* ---- blobs received a piece at a time ------------------------------------ */

struct _HearthStoreBlobWriter
{
  char *digest;
  char *blob;       /* where it goes */
  char *tmp;        /* where it is written; NULL once moved or removed */
  int fd;
  GChecksum *sum;
};

HearthStoreBlobWriter *
hearth_store_blob_writer_new (HearthStore  *self,
                              const char   *digest,
                              GError      **error)
{
  g_autofree char *blob = hearth_store_blob_path (self, digest, error);
  g_autofree char *dir = NULL;
  HearthStoreBlobWriter *writer;
  int fd, saved;

  if (blob == NULL)
    return NULL;
  dir = g_path_get_dirname (blob);
  if (!make_dir (dir, error))
    return NULL;
  writer = g_new0 (HearthStoreBlobWriter, 1);
  writer->fd = -1;
  writer->tmp = blob_temp_path (blob);
  fd = g_open (writer->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot write the blob %s: %s"),
                   digest, g_strerror (saved));
      g_clear_pointer (&writer->tmp, g_free);
      hearth_store_blob_writer_free (writer);
      return NULL;
    }
  writer->fd = fd;
  writer->digest = g_strdup (digest);
  writer->blob = g_steal_pointer (&blob);
  writer->sum = g_checksum_new (G_CHECKSUM_SHA256);
  return writer;
}

gboolean
hearth_store_blob_writer_write (HearthStoreBlobWriter  *writer,
                                const void             *data,
                                gsize                   len,
                                GError                **error)
{
  const char *bytes = data;

  g_return_val_if_fail (writer != NULL && writer->tmp != NULL, FALSE);

  g_checksum_update (writer->sum, data, len);
  for (gsize done = 0; done < len;)
    {
      gssize w = write (writer->fd, bytes + done, len - done);
      int saved = errno;

      if (w < 0 && saved == EINTR)
        continue;
      if (w < 0)
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot write the blob %s: %s"),
                       writer->digest, g_strerror (saved));
          return FALSE;
        }
      done += (gsize) w;
    }
  return TRUE;
}

gboolean
hearth_store_blob_writer_finish (HearthStoreBlobWriter  *writer,
                                 GError                **error)
{
  g_autofree char *got = NULL;
  int saved;

  g_return_val_if_fail (writer != NULL && writer->tmp != NULL, FALSE);

  got = g_strdup_printf ("sha256:%s", g_checksum_get_string (writer->sum));
  if (!g_str_equal (got, writer->digest))
    {
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT,
                   _("the bytes received are %s, not %s; nothing was kept"), got, writer->digest);
      return FALSE;
    }
  /* the blob's name must never point at bytes only in memory */
  if (fsync (writer->fd) != 0)
    {
      saved = errno;
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot write the blob %s: %s"),
                   writer->digest, g_strerror (saved));
      return FALSE;
    }
  close (writer->fd);
  writer->fd = -1;
  if (g_rename (writer->tmp, writer->blob) != 0)
    {
      saved = errno;
      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO, _("cannot write the blob %s: %s"),
                   writer->digest, g_strerror (saved));
      return FALSE;
    }
  g_clear_pointer (&writer->tmp, g_free);
  return TRUE;
}

void
hearth_store_blob_writer_free (HearthStoreBlobWriter *writer)
{
  if (writer == NULL)
    return;
  if (writer->fd >= 0)
    close (writer->fd);
  if (writer->tmp != NULL)
    g_unlink (writer->tmp);
  g_free (writer->tmp);
  g_free (writer->blob);
  g_free (writer->digest);
  g_clear_pointer (&writer->sum, g_checksum_free);
  g_free (writer);
}

/* A text layer (template, system, params) written as a blob and described
 * in @layers. */
static gboolean
add_text_layer (HearthStore  *self,
                JsonBuilder  *layers,
                const char   *type,
                const char   *text,
                GError      **error)
{
  g_autofree char *digest = write_blob (self, text, strlen (text), error);

  if (digest == NULL)
    return FALSE;
  add_descriptor (layers, type, digest, strlen (text));
  return TRUE;
}

gboolean
hearth_store_add_model (HearthStore            *self,
                        const HearthModelName  *name,
                        const char             *digest,
                        guint64                 size,
                        GError                **error)
{
  g_autofree char *blob = hearth_store_blob_path (self, digest, error);
  g_autofree char *config = NULL;
  g_autofree char *config_digest = NULL;
  g_autofree char *params = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (HearthGguf) gguf = NULL;
  g_autoptr (HearthOllamaTemplate) chat = NULL;

  if (blob == NULL)
    return FALSE;
  gguf = hearth_gguf_open (blob, NULL);
  config = config_json (digest, gguf);
  config_digest = write_blob (self, config, strlen (config), error);
  if (config_digest == NULL)
    return FALSE;
  /* what Ollama needs to chat with the model as it was trained to */
  if (gguf != NULL)
    chat = hearth_ollama_template_new_for_gguf (gguf);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "schemaVersion");
  json_builder_add_int_value (b, 2);
  json_builder_set_member_name (b, "mediaType");
  json_builder_add_string_value (b, HEARTH_MEDIA_TYPE_MANIFEST);
  json_builder_set_member_name (b, "config");
  add_descriptor (b, HEARTH_MEDIA_TYPE_CONFIG, config_digest, strlen (config));
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  add_descriptor (b, HEARTH_MEDIA_TYPE_MODEL, digest, size);
  if (chat != NULL)
    {
      params = hearth_ollama_template_params (chat);
      if (!add_text_layer (self, b, HEARTH_MEDIA_TYPE_TEMPLATE, chat->template, error)
          || (chat->system != NULL
              && !add_text_layer (self, b, HEARTH_MEDIA_TYPE_SYSTEM, chat->system, error))
          || !add_text_layer (self, b, HEARTH_MEDIA_TYPE_PARAMS, params, error))
        return FALSE;
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  manifest = json_builder_get_root (b);
  return hearth_store_write_manifest (self, name, manifest, error);
}

/* ---- remove, copy ---------------------------------------------------------- */

static void
collect_one (HearthStore     *self,
             HearthModelName *name,
             const char      *path,
             gpointer         user_data)
{
  g_autoptr (JsonNode) manifest = NULL;

  /* the manifest about to go (a dry run's) counts for nothing */
  if (g_strcmp0 (g_hash_table_lookup (user_data, "ignore:"), path) == 0)
    return;
  manifest = read_manifest_file (path, NULL);

  if (manifest != NULL)
    add_digests (manifest, user_data);
  else
    /* a manifest that cannot be read keeps every blob: nothing is removed
     * that it might need */
    g_hash_table_add (user_data, g_strdup ("*"));
}

static void add_pending_digests (HearthStore *self,
                                 GHashTable  *set);

/* What a file in ROOT/blobs is, by its name. */
typedef enum {
  BLOBS_ENTRY_OTHER,     /* not Hearth's (Ollama's own partial files, say): left alone */
  BLOBS_ENTRY_BLOB,      /* sha256-HEX */
  BLOBS_ENTRY_PARTIAL,   /* sha256-HEX.partial{,.json,.lock}: a registry pull's download */
  BLOBS_ENTRY_DOWNLOAD,  /* download-HEX16{,.partial,.partial.json,.partial.lock}: a file pull's */
} BlobsEntry;

static gboolean
is_lower_hex (const char *text,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (text[i]) && !(text[i] >= 'a' && text[i] <= 'f'))
      return FALSE;
  return TRUE;
}

/* @file's kind; for a blob or a registry download, *@digest gets its
 * "sha256:HEX", and for downloads *@lock the name of their lock file. */
static BlobsEntry
classify_blobs_entry (const char  *file,
                      char       **digest,
                      char       **lock)
{
  static const char *const partial_suffixes[] = { ".partial", ".partial.json", ".partial.lock" };
  gsize len = strlen (file);
  gsize stem;
  BlobsEntry kind;

  if (g_str_has_prefix (file, "sha256-") && len >= 7 + 64 && is_lower_hex (file + 7, 64))
    {
      stem = 7 + 64;
      kind = BLOBS_ENTRY_PARTIAL;
    }
  else if (g_str_has_prefix (file, "download-") && len >= 9 + 16 && is_lower_hex (file + 9, 16))
    {
      stem = 9 + 16;
      kind = BLOBS_ENTRY_DOWNLOAD;
    }
  else
    return BLOBS_ENTRY_OTHER;

  if (file[stem] == '\0' && kind == BLOBS_ENTRY_PARTIAL)
    kind = BLOBS_ENTRY_BLOB;
  else if (file[stem] != '\0')
    {
      gboolean known = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (partial_suffixes); i++)
        known = known || g_str_equal (file + stem, partial_suffixes[i]);
      if (!known)
        return BLOBS_ENTRY_OTHER;
    }
  if (kind != BLOBS_ENTRY_DOWNLOAD)
    *digest = g_strdup_printf ("sha256:%.64s", file + 7);
  if (kind != BLOBS_ENTRY_BLOB)
    *lock = g_strdup_printf ("%.*s.partial.lock", (int) stem, file);
  return kind;
}

/* Whether a download holds the lock file at @path now (in this process or
 * another). */
static gboolean
lock_is_held (const char *path)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  gboolean held;

  if (fd < 0)
    return FALSE;
  held = flock (fd, LOCK_EX | LOCK_NB) != 0;
  close (fd);
  return held;
}

/* Files in ROOT/blobs that a removal leaves alone a while whatever they
 * are, so that an import or a pull that is writing its manifest right now
 * (in this process or another) keeps the blob it has just put there. */
#define BLOBS_GRACE_SECONDS (10 * 60)

/* Removes what in ROOT/blobs nothing refers to: blobs no manifest and no
 * recorded pull (.hearth-pulls) names, and the partial files of downloads
 * that no recorded pull will go on with (one running holds its lock and is
 * left alone). @released (may be NULL): the digests just given up (a
 * removed model's, a cancelled pull's), removed at once; anything else
 * only once it is BLOBS_GRACE_SECONDS old. The manifest at @ignore_path
 * counts for nothing (a dry run's model). With @dry_run, only counts the
 * bytes it would free. A manifest that cannot be read keeps everything. */
static guint64
collect_garbage_full (HearthStore *self,
                      GHashTable  *released,
                      const char  *ignore_path,
                      gboolean     dry_run)
{
  g_autoptr (GHashTable) used = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) pulling = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) pending = NULL;
  g_autofree char *dir = g_build_filename (self->root, "blobs", NULL);
  g_autoptr (GDir) d = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean file_pulls = FALSE;
  const char *file;
  guint64 freed = 0;

  g_hash_table_insert (used, g_strdup ("ignore:"), g_strdup (ignore_path));
  for_each_manifest (self, collect_one, used);
  if (g_hash_table_contains (used, "*"))
    return 0;
  /* blobs stay for a manifest or a recorded pull; partial files for a
   * recorded pull only */
  add_pending_digests (self, pulling);
  add_pending_digests (self, used);
  /* a pull of a file (no manifest) may own any download-* file: the name
   * comes from an address its record may not hold */
  pending = hearth_store_pending_list (self);
  for (guint i = 0; i < pending->len; i++)
    file_pulls = file_pulls || ((HearthStorePending *) pending->pdata[i])->manifest == NULL;

  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (file = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *digest = NULL;
      g_autofree char *lock = NULL;
      g_autofree char *path = g_build_filename (dir, file, NULL);
      g_autofree char *lock_path = NULL;
      BlobsEntry kind = classify_blobs_entry (file, &digest, &lock);
      GStatBuf st;

      if (kind == BLOBS_ENTRY_OTHER || g_lstat (path, &st) != 0
          || (kind == BLOBS_ENTRY_BLOB && g_hash_table_contains (used, digest))
          || (kind == BLOBS_ENTRY_PARTIAL && g_hash_table_contains (pulling, digest))
          || (kind == BLOBS_ENTRY_DOWNLOAD && file_pulls))
        continue;
      if (!(kind == BLOBS_ENTRY_BLOB && released != NULL && g_hash_table_contains (released, digest))
          && now - (gint64) st.st_mtime < BLOBS_GRACE_SECONDS)
        continue;
      lock_path = lock != NULL ? g_build_filename (dir, lock, NULL) : NULL;
      if (lock_path != NULL && lock_is_held (lock_path))
        continue;
      /* a linked blob frees only its link */
      if (!S_ISLNK (st.st_mode))
        freed += (guint64) st.st_size;
      if (!dry_run && g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("cannot remove %s: %s", path, g_strerror (errno));
    }
  return freed;
}

static guint64
collect_garbage (HearthStore *self,
                 GHashTable  *released)
{
  return collect_garbage_full (self, released, NULL, FALSE);
}

guint64
hearth_store_prune (HearthStore        *self,
                    const char * const *released)
{
  g_autoptr (GHashTable) set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (HEARTH_IS_STORE (self), 0);

  for (gsize i = 0; released != NULL && released[i] != NULL; i++)
    g_hash_table_add (set, g_strdup (released[i]));
  return collect_garbage (self, set);
}

gboolean
hearth_store_removal_frees (HearthStore  *self,
                            const char   *name_text,
                            guint64      *bytes,
                            GError      **error)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, error);
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (GHashTable) candidates = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (name == NULL || (manifest = hearth_store_read_manifest (self, name, error)) == NULL)
    return FALSE;
  candidates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  add_digests (manifest, candidates);
  path = hearth_model_name_manifest_path (name, self->root);
  *bytes = collect_garbage_full (self, candidates, path, TRUE);
  return TRUE;
}

gboolean
hearth_store_remove (HearthStore  *self,
                     const char   *name_text,
                     guint64      *freed,
                     GError      **error)
{
  g_autoptr (HearthModelName) name = hearth_model_name_parse (name_text, error);
  g_autoptr (JsonNode) manifest = NULL;
  g_autoptr (GHashTable) candidates = NULL;
  g_autofree char *path = NULL;
  guint64 n;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (name == NULL)
    return FALSE;
  manifest = hearth_store_read_manifest (self, name, error);
  if (manifest == NULL)
    return FALSE;
  candidates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  add_digests (manifest, candidates);
  path = hearth_model_name_manifest_path (name, self->root);
  if (g_unlink (path) != 0)
    {
      int e = errno;

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_IO,
                   _("cannot remove %s: %s"), path, g_strerror (e));
      return FALSE;
    }
  /* the directories the manifest leaves empty (model, namespace, host) */
  {
    g_autofree char *dir = g_path_get_dirname (path);
    g_autofree char *top = g_build_filename (self->root, "manifests", NULL);

    for (int i = 0; i < 3 && !g_str_equal (dir, top) && g_rmdir (dir) == 0; i++)
      {
        char *parent = g_path_get_dirname (dir);

        g_free (dir);
        dir = parent;
      }
  }
  n = collect_garbage (self, candidates);
  if (freed != NULL)
    *freed = n;
  return TRUE;
}

gboolean
hearth_store_copy (HearthStore  *self,
                   const char   *src_text,
                   const char   *dst_text,
                   GError      **error)
{
  g_autoptr (HearthModelName) src = hearth_model_name_parse (src_text, error);
  g_autoptr (HearthModelName) dst = NULL;
  g_autoptr (JsonNode) manifest = NULL;
  g_autofree char *dst_path = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (src == NULL || (dst = hearth_model_name_parse (dst_text, error)) == NULL)
    return FALSE;
  manifest = hearth_store_read_manifest (self, src, error);
  if (manifest == NULL)
    return FALSE;
  dst_path = hearth_model_name_manifest_path (dst, self->root);
  if (g_file_test (dst_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *text = hearth_model_name_to_string (dst);

      g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_EXISTS,
                   _("a model named “%s” exists already"), text);
      return FALSE;
    }
  return hearth_store_write_manifest (self, dst, manifest, error);
}

/* ---- pulls under way ------------------------------------------------------- */

void
hearth_store_pending_free (HearthStorePending *pending)
{
  if (pending == NULL)
    return;
  g_free (pending->name);
  g_free (pending->source);
  g_free (pending->manifest);
  g_free (pending);
}

static char *
pending_dir (HearthStore *self)
{
  return g_build_filename (self->root, ".hearth-pulls", NULL);
}

static char *
pending_path (HearthStore *self,
              const char  *name)
{
  g_autofree char *dir = pending_dir (self);
  g_autoptr (HearthModelName) parsed = hearth_model_name_parse (name, NULL);
  /* one record per model, however its name is written ("x" = "x:latest") */
  g_autofree char *canonical = parsed != NULL ? hearth_model_name_to_string (parsed) : g_strdup (name);
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  g_autofree char *file = g_strdup_printf ("%.16s.json", hex);

  return g_build_filename (dir, file, NULL);
}

gboolean
hearth_store_pending_save (HearthStore  *self,
                           const char   *name,
                           const char   *source,
                           GBytes       *manifest,
                           gboolean      paused,
                           GError      **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *dir = pending_dir (self);
  g_autofree char *path = pending_path (self, name);
  g_autofree char *text = NULL;
  gsize len = 0;

  g_return_val_if_fail (HEARTH_IS_STORE (self), FALSE);

  if (!make_dir (dir, error))
    return FALSE;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, source);
  json_builder_set_member_name (b, "paused");
  json_builder_add_boolean_value (b, paused);
  if (manifest != NULL)
    {
      g_autofree char *m = g_strndup (g_bytes_get_data (manifest, NULL),
                                      g_bytes_get_size (manifest));

      json_builder_set_member_name (b, "manifest");
      json_builder_add_string_value (b, m);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, &len);
  return g_file_set_contents (path, text, (gssize) len, error);
}

void
hearth_store_pending_forget (HearthStore *self,
                             const char  *name)
{
  g_autofree char *path = pending_path (self, name);

  g_return_if_fail (HEARTH_IS_STORE (self));

  if (g_unlink (path) != 0 && errno != ENOENT)
    g_warning ("cannot remove %s: %s", path, g_strerror (errno));
}

/* The record at @path, or NULL: nothing there (quietly), or a file that
 * is not a record (a JSON object with a valid model name and a source),
 * with a warning. */
static HearthStorePending *
read_pending (const char *path)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelName) name = NULL;
  HearthStorePending *p;
  JsonNode *root;
  JsonObject *o;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  if (!json_parser_load_from_file (parser, path, &error))
    {
      g_warning ("%s: %s", path, error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  o = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  if (o != NULL)
    name = hearth_model_name_parse (json_object_get_string_member_with_default (o, "name", ""),
                                    NULL);
  if (name == NULL || json_object_get_string_member_with_default (o, "source", NULL) == NULL)
    {
      g_warning ("%s: not a pull record", path);
      return NULL;
    }
  p = g_new0 (HearthStorePending, 1);
  p->name = g_strdup (json_object_get_string_member (o, "name"));
  p->source = g_strdup (json_object_get_string_member (o, "source"));
  p->paused = json_object_get_boolean_member_with_default (o, "paused", FALSE);
  p->manifest = g_strdup (json_object_get_string_member_with_default (o, "manifest", NULL));
  return p;
}

/* The digests the manifests of pulls under way name, into @set. */
static void
add_pending_digests (HearthStore *self,
                     GHashTable  *set)
{
  g_autoptr (GPtrArray) pending = hearth_store_pending_list (self);

  for (guint i = 0; i < pending->len; i++)
    {
      HearthStorePending *p = pending->pdata[i];
      g_autoptr (JsonNode) manifest = NULL;

      if (p->manifest != NULL
          && (manifest = hearth_store_parse_manifest (p->manifest, strlen (p->manifest), p->name,
                                                      NULL)) != NULL)
        add_digests (manifest, set);
    }
}

static int
compare_pending (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 ((*(HearthStorePending **) a)->name, (*(HearthStorePending **) b)->name);
}

GPtrArray *
hearth_store_pending_list (HearthStore *self)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_store_pending_free);
  g_autofree char *dir = NULL;
  g_autoptr (GDir) d = NULL;
  const char *file;

  g_return_val_if_fail (HEARTH_IS_STORE (self), list);

  dir = pending_dir (self);
  d = g_dir_open (dir, 0, NULL);
  while (d != NULL && (file = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, file, NULL);
      HearthStorePending *p = g_str_has_suffix (file, ".json") ? read_pending (path) : NULL;

      if (p != NULL)
        g_ptr_array_add (list, p);
    }
  g_ptr_array_sort (list, compare_pending);
  return list;
}

HearthStorePending *
hearth_store_pending_get (HearthStore *self,
                          const char  *name)
{
  g_autofree char *path = NULL;
  HearthStorePending *p;

  g_return_val_if_fail (HEARTH_IS_STORE (self), NULL);

  path = pending_path (self, name);
  p = read_pending (path);
  /* a record under this key for another name is not this one's */
  if (p != NULL && g_strcmp0 (p->name, name) != 0)
    g_clear_pointer (&p, hearth_store_pending_free);
  return p;
}
