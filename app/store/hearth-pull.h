/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthPull: a model from an Ollama registry into the store. The manifest
 * first (Accept: Docker's v2 manifest), then every blob it names that the
 * store lacks, each a HearthDownload checked against its digest (so a pull
 * that stops, for any reason, resumes where it stopped), and the manifest
 * written last, exactly as received, once every blob is there.
 *
 * The registry is https://HOST for a name's host; for Ollama's own
 * (registry.ollama.ai), $HEARTH_REGISTRY when set, else the registry-url
 * setting (a mirror, or a test server). Plain http only for loopback
 * addresses.
 */
#pragma once

#include <libsoup/soup.h>

#include "hearth-store.h"

G_BEGIN_DECLS

#define HEARTH_TYPE_PULL (hearth_pull_get_type ())
G_DECLARE_FINAL_TYPE (HearthPull, hearth_pull, HEARTH, PULL, GObject)

/* Whether models may be downloaded from @url: https, or http to this
 * computer (a test server). */
gboolean hearth_pull_url_is_allowed (const char *url);

/* The registry base URL for @name ("https://registry.ollama.ai"), or NULL
 * with HEARTH_STORE_ERROR_INVALID_NAME where $HEARTH_REGISTRY is not a
 * usable URL. */
char *hearth_pull_registry_base (const HearthModelName  *name,
                                 GError                **error);

/* A pull of model @name into @store over @session; nothing happens before
 * hearth_pull_start (). NULL where @name is not a model name. @name may
 * also be a GGUF file's https:// address (the model is then named
 * hf.co/USER/REPO:QUANT for a Hugging Face …/USER/REPO/resolve/REV/FILE,
 * else after the file); and where $HEARTH_HF_ENDPOINT is set (a Hugging
 * Face mirror), hf.co/USER/REPO:QUANT takes the repository's GGUF file for
 * QUANT from that mirror (without it, hf.co is pulled as a registry, as
 * Ollama does). */
HearthPull *hearth_pull_new (HearthStore  *store,
                             SoupSession  *session,
                             const char   *name,
                             GError      **error);

typedef enum {
  HEARTH_PULL_STATE_IDLE,     /* not started, or cancelled */
  HEARTH_PULL_STATE_RUNNING,
  HEARTH_PULL_STATE_PAUSED,   /* by pause () or stop (), or a download that gave up retrying */
  HEARTH_PULL_STATE_FAILED,   /* a failure that retrying as such will not fix */
  HEARTH_PULL_STATE_DONE,     /* the model is in the store */
} HearthPullState;

/* Starts the pull, or goes on with it after a pause or a failure. While it
 * is under way the store has a record of it (hearth_store_pending_save ()),
 * so that a restart finds it, paused or not; the record goes when the model
 * is in the store, or with hearth_pull_cancel (). */
void hearth_pull_start (HearthPull *self);

/* The name or address the pull was made with. */
const char *hearth_pull_get_source (HearthPull *self);

HearthPullState hearth_pull_get_state (HearthPull *self);

/* Why the pull is PAUSED (stop () or a download that gave up) or FAILED
 * (borrowed), else NULL. */
const GError *hearth_pull_get_error (HearthPull *self);

/* Pauses, with @reason as the error (a fit check that said no, say): a
 * later start () goes on. */
void hearth_pull_stop (HearthPull   *self,
                       const GError *reason);

/* Stops the pull and deletes what it received of files not yet complete,
 * and its record; back to IDLE. ::finished is not emitted. */
void hearth_pull_cancel (HearthPull *self);

/* The name the model gets in the store ("hf.co/user/repo:Q4_K_M"). */
const char *hearth_pull_get_name (HearthPull *self);

/* Stops what is being downloaded (PAUSED); what was received stays for the
 * next pull of the same model. */
void hearth_pull_pause (HearthPull *self);

/* Bytes of every file the model has (known when ::manifest is emitted),
 * and those present or received so far (never less than before). */
guint64 hearth_pull_get_bytes_done (HearthPull *self);
guint64 hearth_pull_get_bytes_total (HearthPull *self);

/* What is happening, for people: "pulling manifest", "pulling
 * 3f1a2b4c5d6e", "writing manifest" (borrowed). */
const char *hearth_pull_get_status (HearthPull *self);

/* The blob being downloaded now: its digest ("sha256:…", borrowed), the
 * bytes of it received and its size; FALSE where none is (the manifest,
 * blobs already there, the end, a GGUF file's address). */
gboolean hearth_pull_get_blob (HearthPull   *self,
                               const char  **digest,
                               guint64      *done,
                               guint64      *total);

/* Receiving speed of the current blob, bytes per second. */
double hearth_pull_get_speed (HearthPull *self);

/* Seconds until the pull is done at its present speed, or -1 when unknown
 * (not running, size not known yet, nothing received lately). */
gint64 hearth_pull_get_eta (HearthPull *pull);

/* Signals: ::progress (void) when bytes or status change; ::manifest (void)
 * once the manifest is read, before any blob is downloaded (a handler may
 * hearth_pull_pause () there: nothing more happens, ::finished is not
 * emitted); ::finished (const GError *error), NULL error when the model is
 * in the store. */

G_END_DECLS
