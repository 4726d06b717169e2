/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A local Ollama registry for tests: a SoupServer on 127.0.0.1 that serves
 * one model, "stories" (library/stories:latest), whose file is the GGUF it
 * is started with, plus a Hugging Face mirror's routes for repository
 * "u/r" (its file list and files by name) and a ModelScope mirror's for
 * "ms/r" (its file list with SHA-256s, files redirected to a CDN path). The model's file may be sent
 * slowly (16 KiB every 20 ms) and may be cut once, the connection closed,
 * after a number of bytes. HEARTH_REGISTRY is set to its address.
 */
#pragma once

#include <libsoup/soup.h>

typedef struct {
  SoupServer *server;
  char *base;
  GBytes *model;          /* the model blob */
  char *model_digest;
  char *config;
  char *config_digest;
  char *manifest;
  gboolean slow;          /* send the model blob 16 KiB every 20 ms */
  gsize drop_at;          /* with slow: close the connection once this many bytes are sent (0: never) */
  guint drops;            /* connections closed so */
  guint range_requests;   /* model blob requests with a Range header */
  guint64 last_range_start;
  guint modelscope_requests; /* files asked for from the ModelScope mirror */
  gboolean corrupt;       /* send the model blob with one byte changed (its size kept) */
  const char *alias;      /* another repository ("library/qwen2.5") served as stories: its
                           * manifests (any tag) and blobs */
  gboolean blob_missing;  /* the model blob is answered 404 (a registry that lost it) */
} TestRegistry;

extern TestRegistry test_registry;

void test_registry_start (const char *model_file);
void test_registry_stop (void);
