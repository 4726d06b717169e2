/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Pre-tokenizers: split text into the pieces that byte-level BPE then
 * merges, with the regular expressions that llama.cpp applies for each value
 * of tokenizer.ggml.pre. Each expression in a set splits every piece that the
 * previous ones made; a match and the text between matches both become
 * pieces. Internal.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember-common.h"

typedef struct ember_pretokenizer ember_pretokenizer;

/* What a pre-tokenizer name also says about its vocabulary (llama.cpp's
 * defaults for it, before the GGUF's own keys). */
typedef struct {
  bool ignore_merges;   /* a piece that is a whole token is taken as is */
  bool add_bos;         /* add BOS unless tokenizer.ggml.add_bos_token says no */
  bool clean_spaces;    /* decoding removes spaces before punctuation */
  bool no_bos;          /* the vocabulary has no BOS token by default */
} ember_pretokenizer_traits;

/* An unknown @name is an error that names it. */
ember_status ember_pretokenizer_new (const char          *name,
                                     ember_pretokenizer **out,
                                     ember_error         *error);
void ember_pretokenizer_free (ember_pretokenizer *pre);

const char *ember_pretokenizer_get_name (const ember_pretokenizer *pre);
const ember_pretokenizer_traits *ember_pretokenizer_get_traits (const ember_pretokenizer *pre);
size_t ember_pretokenizer_get_n_patterns (const ember_pretokenizer *pre);
const char *ember_pretokenizer_get_pattern (const ember_pretokenizer *pre, size_t index);

/* The @index-th known name, NULL past the end (for tests). */
const char *ember_pretokenizer_known_name (size_t index);

/* Splits cps[0..n) into pieces; *lengths (free() it) receives *n_pieces
 * piece lengths in code points, summing to @n. */
ember_status ember_pretokenizer_split (const ember_pretokenizer *pre,
                                       const uint32_t           *cps,
                                       size_t                    n,
                                       size_t                  **lengths,
                                       size_t                   *n_pieces,
                                       ember_error              *error);
