/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What several test programs need: files from ../shared (skipping visibly
 * when it is missing), llama.cpp's greedy reference for stories260K, the
 * small numeric helpers that compare logits, and waiting on the main loop.
 */
#pragma once

#include <gio/gio.h>
#include <stdint.h>

/* $HEARTH_SHARED_DIR/@relative, or NULL after g_test_skip() saying which
 * file is missing. Free with g_free(). */
char *hearth_test_shared_file (const char *relative);

/* The ids of a reference file's `ids: [403, 407, …]` line, as int32_t. */
GArray *hearth_test_read_greedy_reference (const char *path);

/* The index of the largest of @n values (the first, on ties). */
int32_t hearth_test_argmax (const float *v,
                            uint32_t     n);

/* Normalised mean squared error of @got against @want: Σ(got−want)² / Σwant². */
double hearth_test_nmse (const float *got,
                         const float *want,
                         uint64_t     n);

/* The names in ROOT/blobs (a model store's), sorted, joined by "|" ("" for
 * none). */
char *hearth_test_list_blobs (const char *root);

/* Iterates the default main context until @done (@data) says so; fails,
 * saying "timed out waiting until @what", after @seconds. Polls (1 ms
 * apart) rather than blocks, so that sources nobody wakes (a window's frame
 * clock) run too. */
void hearth_test_wait_until (gboolean   (*done) (gpointer),
                             gpointer     data,
                             guint        seconds,
                             const char  *what);

/* A second Hearth: `hearth serve` ($HEARTH_BINARY) on 127.0.0.1:0. */
typedef struct
{
  GSubprocess *proc;
  char *url;                /* "http://127.0.0.1:PORT/" */
} HearthTestServe;

/* stories260K's file, for the store a second Hearth serves; NULL, the
 * test skipped and saying why, without $HEARTH_BINARY or ../shared. */
char *hearth_test_serve_model (void);

/* Starts it on the store @models_root, asking for API key @key (NULL:
 * none), its stderr in a file of @log_dir (so that its log never fills a
 * pipe), and waits until it says its URL (20 s at most). It dies with the
 * test, even one that failed. */
void hearth_test_serve_start (HearthTestServe *serve,
                              const char      *models_root,
                              const char      *log_dir,
                              const char      *key);
/* Kills it (if started) and clears @serve. */
void hearth_test_serve_stop (HearthTestServe *serve);
