/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What several test programs need: files from ../shared (skipping visibly
 * when it is missing), llama.cpp's greedy reference for stories260K, and
 * the small numeric helpers that compare logits.
 */
#pragma once

#include <glib.h>
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
