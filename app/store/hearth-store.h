/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The model store, in Ollama's layout so that Ollama and Hearth can share
 * one: ROOT/manifests/HOST/NAMESPACE/MODEL/TAG (a Docker v2 manifest whose
 * layers are Ollama's media types) and ROOT/blobs/sha256-HEX. ROOT is
 * $HEARTH_MODELS, else $XDG_DATA_HOME/hearth/models (or what the caller
 * passes, such as ~/.ollama/models).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "hearth-model-name.h"

G_BEGIN_DECLS

#define HEARTH_MEDIA_TYPE_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define HEARTH_MEDIA_TYPE_CONFIG "application/vnd.docker.container.image.v1+json"
#define HEARTH_MEDIA_TYPE_MODEL "application/vnd.ollama.image.model"
#define HEARTH_MEDIA_TYPE_PARAMS "application/vnd.ollama.image.params"
#define HEARTH_MEDIA_TYPE_TEMPLATE "application/vnd.ollama.image.template"
#define HEARTH_MEDIA_TYPE_SYSTEM "application/vnd.ollama.image.system"
#define HEARTH_MEDIA_TYPE_LICENSE "application/vnd.ollama.image.license"
#define HEARTH_MEDIA_TYPE_MESSAGES "application/vnd.ollama.image.messages"
/* Hearth's own layer, which Ollama passes over: a profile's rules as their
 * Modelfile lines ("# hearth: RULE …", app/profiles/hearth-rules.h). */
#define HEARTH_MEDIA_TYPE_RULES "application/vnd.hearth.rules"

#define HEARTH_TYPE_STORE (hearth_store_get_type ())
G_DECLARE_FINAL_TYPE (HearthStore, hearth_store, HEARTH, STORE, GObject)

/* One installed model, as listed. */
typedef struct {
  char *name;          /* as hearth_model_name_to_string () writes it */
  char *manifest_digest; /* "sha256:…" of the manifest file (Ollama's ID) */
  char *model_path;    /* the GGUF: its blob (or NULL where the manifest has none) */
  guint64 size;        /* bytes of every layer */
  gint64 modified;     /* the manifest's modification time, UNIX seconds */
} HearthStoreModel;

void hearth_store_model_free (HearthStoreModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthStoreModel, hearth_store_model_free)

/* $HEARTH_MODELS if set and not empty, else the models-dir setting if not
 * empty (where the settings schema is installed), else
 * $XDG_DATA_HOME/hearth/models. */
char *hearth_store_default_root (void);

/* ~/.ollama/models where Ollama has a store there (its manifests folder),
 * with the number of models it has in *@n_models (may be NULL); else
 * NULL. */
char *hearth_store_ollama_root (guint *n_models);

/* A store at @root (created when something is written to it). */
HearthStore *hearth_store_new (const char *root);

const char *hearth_store_get_root (HearthStore *self);

/* ROOT/blobs/sha256-HEX for @digest ("sha256:" and 64 hex digits), or NULL
 * with HEARTH_STORE_ERROR_CORRUPT where @digest is not one. */
char *hearth_store_blob_path (HearthStore  *self,
                              const char   *digest,
                              GError      **error);

/* Writes @data (@len bytes) as the blob its SHA-256 names (atomically; a
 * blob with that name stays as it is); returns the digest "sha256:HEX". */
char *hearth_store_write_blob (HearthStore  *self,
                               const char   *data,
                               gsize         len,
                               GError      **error);

/* A blob received a piece at a time (an upload to `hearth serve`'s
 * /api/blobs): the bytes go to a new file beside the blob's place, hashed
 * as they come, and only bytes whose SHA-256 is @digest become the blob.
 * Messages name the digest, never the store's folder. */
typedef struct _HearthStoreBlobWriter HearthStoreBlobWriter;

HearthStoreBlobWriter *hearth_store_blob_writer_new (HearthStore  *self,
                                                     const char   *digest,
                                                     GError      **error);
gboolean hearth_store_blob_writer_write (HearthStoreBlobWriter  *writer,
                                         const void             *data,
                                         gsize                   len,
                                         GError                **error);
/* The bytes written to disk (fsync: it may take a while, run it in a
 * thread for a large blob) and, where their SHA-256 is the digest, renamed
 * into place; else HEARTH_STORE_ERROR_CORRUPT, and nothing is kept. */
gboolean hearth_store_blob_writer_finish (HearthStoreBlobWriter  *writer,
                                          GError                **error);
/* Frees @writer; the file of one not finished is removed. */
void hearth_store_blob_writer_free (HearthStoreBlobWriter *writer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthStoreBlobWriter, hearth_store_blob_writer_free)

/* Every model, sorted by name (HearthStoreModel). Manifests that cannot be
 * read are skipped with a warning. */
GPtrArray *hearth_store_list (HearthStore  *self,
                              GError      **error);

/* @name's manifest as JSON, checked: schema version 2, digests well formed,
 * sizes numbers. */
JsonNode *hearth_store_read_manifest (HearthStore            *self,
                                      const HearthModelName  *name,
                                      GError                **error);

/* @data (@len bytes) checked as a manifest (as hearth_store_read_manifest ()
 * does); @what names it in messages. */
JsonNode *hearth_store_parse_manifest (const char  *data,
                                       gsize        len,
                                       const char  *what,
                                       GError     **error);

/* Writes @manifest, bytes as a registry sent them (so that its digest is
 * the registry's), for @name atomically. */
gboolean hearth_store_write_manifest_bytes (HearthStore            *self,
                                            const HearthModelName  *name,
                                            GBytes                 *manifest,
                                            GError                **error);

/* Writes @manifest for @name atomically (a temporary file renamed into
 * place), creating the directories. */
gboolean hearth_store_write_manifest (HearthStore            *self,
                                      const HearthModelName  *name,
                                      JsonNode               *manifest,
                                      GError                **error);

/* The GGUF file of model @name (its model layer's blob). */
char *hearth_store_get_model_path (HearthStore  *self,
                                   const char   *name,
                                   GError      **error);

/* Adds the GGUF file at @path as model @name: its SHA-256 is computed once
 * (it names the blob); with @link the blob is a symbolic link to @path (no
 * copy: @path must stay where it is), else a copy, checked against that
 * SHA-256 as it is written. A blob with those bytes that is a file of its
 * own stays as it is, even for @link; a link there is replaced by the copy
 * when a copy is asked for (atomically: the models sharing it keep working),
 * and by the link or the copy where its file is gone. The manifest gets the
 * model layer and a config blob describing it. Fails with
 * HEARTH_STORE_ERROR_EXISTS where @name exists. Whether the model ended up
 * linked: hearth_store_get_model_path () is then a symbolic link. */
gboolean hearth_store_import (HearthStore   *self,
                              const char    *path,
                              const char    *name,
                              gboolean       link,
                              GCancellable  *cancellable,
                              GError       **error);

/* The GGUF file at @path as a blob of its own (a copy, checked as
 * hearth_store_import () checks it; no model names it): its digest
 * "sha256:HEX". A file the GGUF reader refuses: HEARTH_STORE_ERROR_CORRUPT
 * with the reader's message. */
char *hearth_store_add_blob_file (HearthStore   *self,
                                  const char    *path,
                                  GCancellable  *cancellable,
                                  GError       **error);

/* Model @name made of the GGUF blob @digest (already in the store, @size
 * bytes): a config blob describing it and the manifest. */
gboolean hearth_store_add_model (HearthStore            *self,
                                 const HearthModelName  *name,
                                 const char             *digest,
                                 guint64                 size,
                                 GError                **error);

/* Removes model @name, then what in ROOT/blobs nothing refers to any more
 * (hearth_store_prune (), its blobs released); *freed (may be NULL) gets
 * the bytes given back. */
gboolean hearth_store_remove (HearthStore  *self,
                              const char   *name,
                              guint64      *freed,
                              GError      **error);

/* The bytes removing model @name would give back (its files no other
 * model uses, and what else a removal would prune), into *@bytes; nothing
 * is removed. */
gboolean hearth_store_removal_frees (HearthStore  *self,
                                     const char   *name,
                                     guint64      *bytes,
                                     GError      **error);

/* ROOT/blobs holds blobs and the partial files of the pulls recorded with
 * hearth_store_pending_save () (the Downloads list), nothing else. This
 * removes the rest: blobs that no manifest and no recorded pull names (a
 * config blob a failed pull left, say), partial files and lock files of
 * downloads that no recorded pull will go on with (one running, which
 * holds its lock, is left alone), Hearth's own files only. The blobs in
 * @released (NULL-terminated "sha256:…" digests, may be NULL: those of
 * a model just removed, or a pull just cancelled) go at once; anything
 * else only once it is a few minutes old, so that an import or a pull
 * writing its manifest right now, here or in another process, keeps what
 * it has just written. Nothing is removed while a manifest cannot be
 * read. Returns the bytes freed. */
guint64 hearth_store_prune (HearthStore        *self,
                            const char * const *released);

/* Model @dst: the same manifest as @src (no blob is copied). Fails where
 * @dst exists. */
gboolean hearth_store_copy (HearthStore  *self,
                            const char   *src,
                            const char   *dst,
                            GError      **error);

/* Pulls under way, so that a restart finds them again and a removal keeps
 * the blobs they have received: ROOT/.hearth-pulls/KEY.json (KEY from the
 * model's name), {"name", "source" (what was asked for: a name or an
 * address), "paused", "manifest" (the registry's manifest as text, once
 * received)}. Ollama ignores the folder. */
typedef struct {
  char *name;
  char *source;
  gboolean paused;
  char *manifest;      /* or NULL */
} HearthStorePending;

void hearth_store_pending_free (HearthStorePending *pending);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthStorePending, hearth_store_pending_free)

/* Records (or updates) the pull of @name; @manifest may be NULL. */
gboolean hearth_store_pending_save (HearthStore  *self,
                                    const char   *name,
                                    const char   *source,
                                    GBytes       *manifest,
                                    gboolean      paused,
                                    GError      **error);

/* The record of the pull of @name, or NULL. */
HearthStorePending *hearth_store_pending_get (HearthStore *self,
                                              const char  *name);

/* Forgets the pull of @name (done, or cancelled). */
void hearth_store_pending_forget (HearthStore *self,
                                  const char  *name);

/* Every recorded pull (HearthStorePending), sorted by name; records that
 * cannot be read are skipped with a warning. */
GPtrArray *hearth_store_pending_list (HearthStore *self);

G_END_DECLS
