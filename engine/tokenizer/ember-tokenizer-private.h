/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What ember-tokenizer.c (loading, decoding) and ember-tokenizer-encode.c
 * (the three tokenizers) share. Internal.
 */
#pragma once

#include "ember-private.h"
#include "ember-pretokenize.h"
#include "ember-tokenizer.h"

/* Token attributes, as llama.cpp keeps them (a type plus strip flags). */
enum {
  TOKEN_ATTR_UNDEFINED    = 0,
  TOKEN_ATTR_UNKNOWN      = 1 << 1,
  TOKEN_ATTR_UNUSED       = 1 << 2,
  TOKEN_ATTR_NORMAL       = 1 << 3,
  TOKEN_ATTR_CONTROL      = 1 << 4,
  TOKEN_ATTR_USER_DEFINED = 1 << 5,
  TOKEN_ATTR_BYTE         = 1 << 6,
  TOKEN_ATTR_LSTRIP       = 1 << 8,
  TOKEN_ATTR_RSTRIP       = 1 << 9,
};

typedef struct {
  const char *text;     /* in the arena, NUL-terminated */
  uint32_t len;
  float score;
  uint8_t type;         /* ember_token_type */
  uint16_t attr;
  bool eog;
} token_entry;

/* Open addressing over ids (slot = id + 1, 0 empty), keyed by byte strings
 * that a callback finds. */
typedef struct {
  uint32_t *slots;
  size_t mask;
} id_table;

struct ember_tokenizer {
  ember_tokenizer_kind kind;
  char *pre_name;
  ember_pretokenizer *pre;

  uint32_t n_tokens;
  token_entry *tokens;
  char *arena;
  id_table token_index;
  uint32_t max_token_len;

  uint32_t n_merges;
  const char **merges;  /* "left right", in the merge arena */
  uint32_t *merge_lens;
  char *merge_arena;
  id_table merge_index; /* merge rank by text */

  int32_t bos, eos, eot, eom, unk, sep, pad, mask;
  bool add_bos, add_eos, add_sep;
  bool add_space_prefix;
  bool ignore_merges;
  bool clean_spaces;
  bool lowercase, strip_accents;

  int32_t *special;     /* control, user-defined and unknown, longest first */
  size_t n_special;
  int32_t byte_tokens[256];
};

uint64_t ember_hash_bytes (const char *s, size_t len);
/* The token with this exact text, or EMBER_TOKEN_NULL. */
int32_t ember_tokenizer_find (const ember_tokenizer *tok, const char *text, size_t len);
/* The merge rank of "left right" given as @text (already joined), or -1. */
int32_t ember_tokenizer_merge_rank (const ember_tokenizer *tok, const char *text, size_t len);
