/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Profiles: Modelfiles into models of the store and back, as `ollama
 * create` and `ollama show --modelfile` do; which models are profiles, and
 * what each sets, for lists.
 */

#define G_LOG_DOMAIN "hearth-profiles"

#include "config.h"

#include "hearth-profile.h"

#include <glib/gi18n.h>
#include <string.h>

#include "hearth-gguf.h"

/* The shortest text that reads back as @value. */
static char *
shortest_double (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int precision = 1; precision <= 17; precision++)
    {
      g_autofree char *format = g_strdup_printf ("%%.%dg", precision);

      g_ascii_formatd (buf, sizeof buf, format, value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  return g_strdup (buf);
}

GStrv
hearth_profile_param_values (const HearthOllamaParam *p)
{
  GPtrArray *values = g_ptr_array_new ();

  g_return_val_if_fail (p != NULL, NULL);

  switch (p->type)
    {
    case HEARTH_OLLAMA_VALUE_BOOL:
      g_ptr_array_add (values, g_strdup (p->b ? "true" : "false"));
      break;
    case HEARTH_OLLAMA_VALUE_INT:
      g_ptr_array_add (values, g_strdup_printf ("%" G_GINT64_FORMAT, p->i));
      break;
    case HEARTH_OLLAMA_VALUE_FLOAT:
      g_ptr_array_add (values, shortest_double (p->f));
      break;
    case HEARTH_OLLAMA_VALUE_STRING:
      g_ptr_array_add (values, g_strdup (p->s));
      break;
    case HEARTH_OLLAMA_VALUE_STRINGS:
      for (guint k = 0; p->strv[k] != NULL; k++)
        g_ptr_array_add (values, g_strdup (p->strv[k]));
      break;
    default:
      break;
    }
  g_ptr_array_add (values, NULL);
  return (GStrv) g_ptr_array_free (values, FALSE);
}

/* ---- Modelfile → layers ---- */

/* @p's value as the params layer holds it (the parser, or
 * hearth_modelfile_check (), has checked it against its type). */
static HearthOllamaParam *
typed_param (const HearthModelfileParameter  *p,
             HearthParameterType              type,
             GError                         **error)
{
  gint64 n;
  double f;
  char *end = NULL;

  switch (type)
    {
    case HEARTH_PARAMETER_INT:
      if (!g_ascii_string_to_signed (p->value, 10, G_MININT64, G_MAXINT64, &n, NULL))
        break;
      return hearth_ollama_param_new_int (p->name, n);
    case HEARTH_PARAMETER_FLOAT:
      f = g_ascii_strtod (p->value, &end);
      if (end == p->value)
        break;
      return hearth_ollama_param_new_float32 (p->name, (float) f);
    case HEARTH_PARAMETER_BOOL:
      return hearth_ollama_param_new_bool (p->name, p->value[0] != '\0'
                                                    && strchr ("1tT", p->value[0]) != NULL);
    case HEARTH_PARAMETER_STRING:
      return hearth_ollama_param_new_string (p->name, p->value);
    case HEARTH_PARAMETER_STRING_LIST:
    default:
      break;
    }
  g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER,
               _("PARAMETER %s: “%s” cannot be stored as its type"), p->name, p->value);
  return NULL;
}

HearthModelLayers *
hearth_profile_layers_from_modelfile (const HearthModelfile  *modelfile,
                                      GPtrArray              *warnings,
                                      GError                **error)
{
  g_autoptr (HearthModelLayers) layers = hearth_model_layers_new ();
  g_autoptr (GPtrArray) stop = g_ptr_array_new ();

  g_return_val_if_fail (modelfile != NULL, NULL);

  if (!hearth_modelfile_check (modelfile, error))
    return NULL;
  if (modelfile->draft != NULL)
    {
      g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_UNSUPPORTED,
                   _("DRAFT %s: Hearth does not use draft models yet; remove the DRAFT line"),
                   modelfile->draft);
      return NULL;
    }

  for (guint i = 0; i < modelfile->parameters->len; i++)
    {
      const HearthModelfileParameter *p = modelfile->parameters->pdata[i];
      HearthParameterType type;
      HearthOllamaParam *param;

      if (!hearth_modelfile_parameter_type (p->name, &type))
        continue; /* hearth_modelfile_check () refused names it does not know */
      if (hearth_modelfile_parameter_is_deprecated (p->name))
        {
          if (warnings != NULL)
            g_ptr_array_add (warnings,
                             g_strdup_printf (_("%s is no longer used by Ollama; it is left out"),
                                              p->name));
          continue;
        }
      if (type == HEARTH_PARAMETER_STRING_LIST)
        {
          g_ptr_array_add (stop, p->value);
          continue;
        }
      param = typed_param (p, type, error);
      if (param == NULL)
        return NULL;
      g_ptr_array_add (layers->params, param);
    }
  if (stop->len > 0)
    {
      g_ptr_array_add (stop, NULL);
      g_ptr_array_add (layers->params,
                       hearth_ollama_param_new_strings ("stop", (const char *const *) stop->pdata));
    }
  if (warnings != NULL && (modelfile->renderer != NULL || modelfile->parser != NULL))
    g_ptr_array_add (warnings,
                     g_strdup (_("RENDERER and PARSER name Ollama's own code for a model; Hearth "
                                 "keeps the base model's and leaves these out")));
  layers->system = g_strdup (modelfile->system);
  layers->template = g_strdup (modelfile->template_text);
  for (guint i = 0; i < modelfile->messages->len; i++)
    {
      const HearthModelfileMessage *m = modelfile->messages->pdata[i];

      g_ptr_array_add (layers->messages, hearth_ollama_message_new (m->role, m->content));
    }
  for (guint i = 0; i < modelfile->licenses->len; i++)
    g_ptr_array_add (layers->licenses, g_strdup (modelfile->licenses->pdata[i]));
  if (modelfile->rules != NULL && hearth_rules_get_n_rules (modelfile->rules) > 0)
    layers->rules = hearth_rules_ref (modelfile->rules);
  return g_steal_pointer (&layers);
}

/* ---- create ---- */

static void
say (HearthProfileProgress  progress,
     gpointer               user_data,
     const char            *status)
{
  if (progress != NULL)
    progress (status, user_data);
}

/* The names of the files in ROOT/blobs now. */
static GHashTable *
blob_names (HearthStore *store)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *dir_path = g_build_filename (hearth_store_get_root (store), "blobs", NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    g_hash_table_add (names, g_strdup (entry));
  return names;
}

/* The manifest of model @name, and its layers. */
static JsonNode *
read_manifest (HearthStore  *store,
               const char   *name,
               JsonArray   **layers,
               GError      **error)
{
  g_autoptr (HearthModelName) parsed = hearth_model_name_parse (name, error);
  JsonNode *manifest;

  if (parsed == NULL)
    return NULL;
  manifest = hearth_store_read_manifest (store, parsed, error);
  if (manifest != NULL)
    *layers = json_object_get_array_member (json_node_get_object (manifest), "layers");
  return manifest;
}

gboolean
hearth_profile_create (HearthStore            *store,
                       const char             *name,
                       const HearthModelfile  *modelfile,
                       HearthProfileProgress   progress,
                       gpointer                user_data,
                       GCancellable           *cancellable,
                       GError                **error)
{
  g_autoptr (HearthModelName) parsed = NULL;
  g_autoptr (HearthModelLayers) layers = NULL;
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (JsonNode) manifest = NULL;
  g_autofree char *base = NULL;
  JsonArray *written = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (store), FALSE);
  g_return_val_if_fail (name != NULL && modelfile != NULL, FALSE);

  /* everything that can be refused is, before anything is written */
  parsed = hearth_model_name_parse (name, error);
  if (parsed == NULL)
    return FALSE;
  layers = hearth_profile_layers_from_modelfile (modelfile, NULL, error);
  if (layers == NULL)
    return FALSE;

  say (progress, user_data, "gathering model components");
  before = blob_names (store);
  if (modelfile->from_path != NULL)
    {
      g_autofree char *line = NULL;

      if (!g_file_test (modelfile->from_path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                       _("FROM %s: there is no such file"), modelfile->from);
          return FALSE;
        }
      base = hearth_store_add_blob_file (store, modelfile->from_path, cancellable, error);
      if (base == NULL)
        return FALSE;
      line = g_strdup_printf ("copying file %s 100%%", base);
      say (progress, user_data, line);
    }
  else if (g_str_has_prefix (modelfile->from, "sha256:"))
    {
      /* a GGUF blob already in the store (sent to `hearth serve`'s
       * /api/blobs, as `ollama create` sends a file): used where it is */
      g_autoptr (GError) local = NULL;
      g_autofree char *blob = hearth_store_blob_path (store, modelfile->from, error);
      g_autoptr (HearthGguf) gguf = NULL;

      if (blob == NULL)
        return FALSE;
      if (!g_file_test (blob, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                       _("FROM %s: the store has no such file"), modelfile->from);
          return FALSE;
        }
      gguf = hearth_gguf_open (blob, &local);
      if (gguf == NULL)
        {
          /* the store's folder is no business of the message's */
          g_autoptr (GString) text = g_string_new (local->message);

          g_string_replace (text, blob, modelfile->from, 0);
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_CORRUPT, "%s", text->str);
          return FALSE;
        }
      base = g_strdup (modelfile->from);
    }
  else if (g_str_has_prefix (modelfile->from, "http://") || g_str_has_prefix (modelfile->from, "https://"))
    {
      /* a model on another server (hearth_model_layers_write () checks the form) */
      base = g_strdup (modelfile->from);
    }
  else
    {
      g_autoptr (GError) local = NULL;
      g_autofree char *path = hearth_store_get_model_path (store, modelfile->from, &local);

      /* a profile of a model that lives on another server has no file */
      if (path == NULL && hearth_model_layers_read_remote (store, modelfile->from, NULL, NULL))
        path = g_strdup ("");
      if (path == NULL)
        {
          g_set_error (error, HEARTH_STORE_ERROR, HEARTH_STORE_ERROR_NOT_FOUND,
                       _("FROM %s: %s (hearth pull %s fetches it)"), modelfile->from,
                       local->message, modelfile->from);
          return FALSE;
        }
      base = g_strdup (modelfile->from);
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  if (!hearth_model_layers_write (store, name, base, layers, error))
    return FALSE;

  /* what Ollama says of each layer as it writes it */
  manifest = read_manifest (store, name, &written, NULL);
  for (guint i = 0; written != NULL && i < json_array_get_length (written); i++)
    {
      const char *digest = json_object_get_string_member (json_array_get_object_element (written, i),
                                                          "digest");
      g_autofree char *file = g_strdup_printf ("sha256-%s", digest + strlen ("sha256:"));
      g_autofree char *line = g_strdup_printf ("%s %s",
                                               g_hash_table_contains (before, file)
                                               ? "using existing layer" : "creating new layer",
                                               digest);

      say (progress, user_data, line);
    }
  say (progress, user_data, "writing manifest");
  say (progress, user_data, "success");
  return TRUE;
}

/* ---- what a profile sets of its own ---- */

/* The "from" of the weights' layer among @layers, or NULL. */
static const char *
base_of (JsonArray *layers)
{
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      const char *from = json_object_get_string_member_with_default (l, "from", NULL);

      if (g_strcmp0 (json_object_get_string_member (l, "mediaType"), HEARTH_MEDIA_TYPE_MODEL) == 0
          && from != NULL && from[0] != '\0')
        return from;
    }
  return NULL;
}

char *
hearth_profile_get_base (HearthStore  *store,
                         const char   *name,
                         GError      **error)
{
  g_autoptr (JsonNode) manifest = NULL;
  JsonArray *layers = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  manifest = read_manifest (store, name, &layers, error);
  if (manifest == NULL)
    return NULL;
  return g_strdup (base_of (layers));
}

static gboolean
param_equal (const HearthOllamaParam *a,
             const HearthOllamaParam *b)
{
  if (a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case HEARTH_OLLAMA_VALUE_BOOL:
      return a->b == b->b;
    case HEARTH_OLLAMA_VALUE_INT:
      return a->i == b->i;
    case HEARTH_OLLAMA_VALUE_FLOAT:
      return a->f == b->f;
    case HEARTH_OLLAMA_VALUE_STRING:
      return g_strcmp0 (a->s, b->s) == 0;
    case HEARTH_OLLAMA_VALUE_STRINGS:
      return g_strv_equal ((const char *const *) a->strv, (const char *const *) b->strv);
    default:
      return FALSE;
    }
}

static const HearthOllamaParam *
find_param (const GPtrArray *params,
            const char      *name)
{
  for (guint i = 0; i < params->len; i++)
    if (g_str_equal (((HearthOllamaParam *) params->pdata[i])->name, name))
      return params->pdata[i];
  return NULL;
}

/* Whether the last layer of @media_type in @layers came from the base
 * ("from" set), and whether there is one at all. */
static gboolean
layer_is_base (JsonArray  *layers,
               const char *media_type,
               gboolean   *present)
{
  gboolean from_base = FALSE;

  *present = FALSE;
  for (guint i = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      const char *from = json_object_get_string_member_with_default (l, "from", NULL);

      if (g_strcmp0 (json_object_get_string_member (l, "mediaType"), media_type) != 0)
        continue;
      *present = TRUE;
      from_base = from != NULL && from[0] != '\0';
    }
  return from_base;
}

/* What model @name sets of its own over its base (*@base; NULL where it
 * has none, and then every layer is its own): the layers its manifest does
 * not mark "from" the base, and the parameters whose values differ from
 * the base's (all of them where the base cannot be read). */
static HearthModelLayers *
own_layers (HearthStore  *store,
            const char   *name,
            char        **base_out,
            GError      **error)
{
  g_autoptr (HearthModelLayers) all = hearth_model_layers_read (store, name, error);
  g_autoptr (HearthModelLayers) base_layers = NULL;
  g_autoptr (JsonNode) manifest = NULL;
  g_autofree char *base = NULL;
  JsonArray *layers = NULL;
  HearthModelLayers *own;
  gboolean present;

  if (all == NULL)
    return NULL;
  manifest = read_manifest (store, name, &layers, error);
  if (manifest == NULL)
    return NULL;
  base = g_strdup (base_of (layers));
  if (base == NULL)
    {
      *base_out = NULL;
      return g_steal_pointer (&all);
    }
  base_layers = hearth_model_layers_read (store, base, NULL);

  own = hearth_model_layers_new ();
  if (!layer_is_base (layers, HEARTH_MEDIA_TYPE_SYSTEM, &present) && present)
    own->system = g_strdup (all->system);
  if (!layer_is_base (layers, HEARTH_MEDIA_TYPE_TEMPLATE, &present) && present)
    own->template = g_strdup (all->template);
  if (!layer_is_base (layers, HEARTH_MEDIA_TYPE_RULES, &present) && present && all->rules != NULL)
    own->rules = hearth_rules_ref (all->rules);
  if (!layer_is_base (layers, HEARTH_MEDIA_TYPE_MESSAGES, &present) && present)
    for (guint i = 0; i < all->messages->len; i++)
      {
        const HearthOllamaMessage *m = all->messages->pdata[i];

        g_ptr_array_add (own->messages, hearth_ollama_message_new (m->role, m->content));
      }
  /* licenses: the base's come first, each marked; the profile's after */
  for (guint i = 0, k = 0; i < json_array_get_length (layers); i++)
    {
      JsonObject *l = json_array_get_object_element (layers, i);
      const char *from = json_object_get_string_member_with_default (l, "from", NULL);

      if (g_strcmp0 (json_object_get_string_member (l, "mediaType"),
                     HEARTH_MEDIA_TYPE_LICENSE) != 0)
        continue;
      if ((from == NULL || from[0] == '\0') && k < all->licenses->len)
        g_ptr_array_add (own->licenses, g_strdup (all->licenses->pdata[k]));
      k++;
    }
  for (guint i = 0; i < all->params->len; i++)
    {
      const HearthOllamaParam *p = all->params->pdata[i];
      const HearthOllamaParam *b = base_layers != NULL ? find_param (base_layers->params, p->name)
                                                       : NULL;

      if (b == NULL || !param_equal (p, b))
        g_ptr_array_add (own->params, hearth_ollama_param_copy (p));
    }
  *base_out = g_steal_pointer (&base);
  return own;
}

/* ---- layers → Modelfile ---- */

HearthModelfile *
hearth_profile_to_modelfile (HearthStore        *store,
                             const char         *name,
                             HearthProfileFrom   from,
                             GError            **error)
{
  g_autoptr (HearthModelfile) modelfile = hearth_modelfile_new ();
  g_autoptr (HearthModelLayers) layers = NULL;
  g_autofree char *base = NULL;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (from == HEARTH_PROFILE_FROM_BASE)
    layers = own_layers (store, name, &base, error);
  else
    layers = hearth_model_layers_read (store, name, error);
  if (layers == NULL)
    return NULL;

  if (base != NULL)
    modelfile->from = g_steal_pointer (&base);
  else
    {
      g_autofree char *host = NULL;
      g_autofree char *model = NULL;

      /* a model on another server: FROM where it lives, which makes it again */
      if (hearth_model_layers_read_remote (store, name, &host, &model))
        modelfile->from = g_strdup_printf ("%s/%s", host, model);
    }
  if (modelfile->from == NULL)
    {
      /* FROM the weights, as `ollama show --modelfile` writes it */
      g_autofree char *weights = hearth_store_get_model_path (store, name, error);

      if (weights == NULL)
        return NULL;
      g_ptr_array_add (modelfile->comments, g_strdup (" Modelfile written by Hearth"));
      g_ptr_array_add (modelfile->comments,
                       g_strdup (" To make a new model from this one, replace FROM with:"));
      g_ptr_array_add (modelfile->comments, g_strdup_printf (" FROM %s", name));
      modelfile->from = g_steal_pointer (&weights);
    }

  modelfile->system = g_strdup (layers->system);
  modelfile->template_text = g_strdup (layers->template);
  for (guint i = 0; i < layers->params->len; i++)
    {
      const HearthOllamaParam *p = layers->params->pdata[i];
      g_auto (GStrv) values = hearth_profile_param_values (p);

      for (guint k = 0; values[k] != NULL; k++)
        hearth_modelfile_add_parameter (modelfile, p->name, values[k]);
    }
  for (guint i = 0; i < layers->messages->len; i++)
    {
      const HearthOllamaMessage *m = layers->messages->pdata[i];

      hearth_modelfile_add_message (modelfile, m->role, m->content);
    }
  for (guint i = 0; i < layers->licenses->len; i++)
    g_ptr_array_add (modelfile->licenses, g_strdup (layers->licenses->pdata[i]));
  if (layers->rules != NULL)
    modelfile->rules = hearth_rules_ref (layers->rules);
  return g_steal_pointer (&modelfile);
}

/* ---- lists ---- */

char *
hearth_profile_summary (const HearthModelLayers *layers)
{
  g_autoptr (GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (layers != NULL, NULL);

  if (layers->system != NULL)
    {
      g_autofree char *flat = g_strstrip (g_strdup (layers->system));
      const char *p = flat;
      guint n = 0;

      for (char *c = flat; *c != '\0'; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
          *c = ' ';
      /* the first 40 characters */
      while (*p != '\0' && n < 40)
        {
          p = g_utf8_next_char (p);
          n++;
        }
      if (flat[0] != '\0')
        g_ptr_array_add (parts, g_strdup_printf (_("“%.*s%s”"), (int) (p - flat), flat,
                                                 *p != '\0' ? "…" : ""));
    }
  for (guint i = 0; i < layers->params->len; i++)
    {
      const HearthOllamaParam *param = layers->params->pdata[i];
      g_auto (GStrv) values = hearth_profile_param_values (param);
      g_autofree char *joined = g_strjoinv (", ", values);

      g_ptr_array_add (parts, g_strdup_printf ("%s %s", param->name, joined));
    }
  if (layers->template != NULL)
    g_ptr_array_add (parts, g_strdup (_("own template")));
  if (layers->messages->len > 0)
    g_ptr_array_add (parts, g_strdup_printf (ngettext ("%u example message",
                                                          "%u example messages",
                                                          layers->messages->len),
                                             layers->messages->len));
  g_ptr_array_add (parts, NULL);
  return g_strjoinv (" · ", (char **) parts->pdata);
}

void
hearth_profile_info_free (HearthProfileInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->name);
  g_free (info->base);
  g_free (info->summary);
  g_free (info);
}

GPtrArray *
hearth_profile_list (HearthStore  *store,
                     GError      **error)
{
  g_autoptr (GPtrArray) models = NULL;
  GPtrArray *profiles;

  g_return_val_if_fail (HEARTH_IS_STORE (store), NULL);

  models = hearth_store_list (store, error);
  if (models == NULL)
    return NULL;
  profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) hearth_profile_info_free);
  for (guint i = 0; i < models->len; i++)
    {
      const HearthStoreModel *model = models->pdata[i];
      g_autoptr (GError) local = NULL;
      g_autofree char *base = hearth_profile_get_base (store, model->name, NULL);
      g_autofree char *own_base = NULL;
      g_autoptr (HearthModelLayers) own = NULL;
      HearthProfileInfo *info;

      /* a model on another server (FROM http://HOST:PORT/MODEL) is a
       * profile too: its base is where it lives */
      if (base == NULL)
        {
          g_autofree char *host = NULL;
          g_autofree char *remote_model = NULL;

          if (!hearth_model_layers_read_remote (store, model->name, &host, &remote_model))
            continue;
          base = g_strconcat (host, g_str_has_suffix (host, "/") ? "" : "/", remote_model, NULL);
        }
      info = g_new0 (HearthProfileInfo, 1);
      info->name = g_strdup (model->name);
      info->modified = model->modified;
      info->base = g_steal_pointer (&base);
      own = own_layers (store, model->name, &own_base, &local);
      info->summary = own != NULL ? hearth_profile_summary (own) : g_strdup (local->message);
      g_ptr_array_add (profiles, info);
    }
  return profiles;
}
