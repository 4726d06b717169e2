/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Loading a vocabulary from GGUF metadata, the lookups, and decoding. The
 * rules follow llama.cpp's llama-vocab.cpp; the tokenizers themselves are in
 * ember-tokenizer-encode.c.
 */

#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember-tokenizer-private.h"
#include "ember-unicode.h"

/* ---- hash tables ---------------------------------------------------------- */

uint64_t
ember_hash_bytes (const char *s,
                  size_t      len)
{
  uint64_t h = 0xcbf29ce484222325ull;

  for (size_t i = 0; i < len; i++)
    {
      h ^= (uint8_t) s[i];
      h *= 0x100000001b3ull;
    }
  return h ^ (h >> 29);
}

static bool
id_table_init (id_table *t,
               size_t    n)
{
  size_t size = 16;

  while (size < n * 2)
    size *= 2;
  t->slots = calloc (size, sizeof *t->slots);
  t->mask = size - 1;
  return t->slots != NULL;
}

static const char *
token_key (const ember_tokenizer *tok,
           uint32_t               id,
           size_t                *len)
{
  *len = tok->tokens[id].len;
  return tok->tokens[id].text;
}

static const char *
merge_key (const ember_tokenizer *tok,
           uint32_t               id,
           size_t                *len)
{
  *len = tok->merge_lens[id];
  return tok->merges[id];
}

typedef const char *(*key_func) (const ember_tokenizer *tok, uint32_t id, size_t *len);

/* The id whose key is @text, or -1; *slot_out (may be NULL) gets the slot
 * where it is or would go. */
static int64_t
id_table_lookup (const ember_tokenizer *tok,
                 const id_table        *t,
                 key_func               key,
                 const char            *text,
                 size_t                 len,
                 size_t                *slot_out)
{
  size_t slot = (size_t) ember_hash_bytes (text, len) & t->mask;

  for (;; slot = (slot + 1) & t->mask)
    {
      uint32_t v = t->slots[slot];
      size_t klen;
      const char *k;

      if (v == 0)
        {
          if (slot_out != NULL)
            *slot_out = slot;
          return -1;
        }
      k = key (tok, v - 1, &klen);
      if (klen == len && memcmp (k, text, len) == 0)
        {
          if (slot_out != NULL)
            *slot_out = slot;
          return v - 1;
        }
    }
}

int32_t
ember_tokenizer_find (const ember_tokenizer *tok,
                      const char            *text,
                      size_t                 len)
{
  return (int32_t) id_table_lookup (tok, &tok->token_index, token_key, text, len, NULL);
}

int32_t
ember_tokenizer_merge_rank (const ember_tokenizer *tok,
                            const char            *text,
                            size_t                 len)
{
  if (tok->merge_index.slots == NULL)
    return -1;
  return (int32_t) id_table_lookup (tok, &tok->merge_index, merge_key, text, len, NULL);
}

/* ---- loading ---------------------------------------------------------- */

void
ember_tokenizer_free (ember_tokenizer *tok)
{
  if (tok == NULL)
    return;
  ember_pretokenizer_free (tok->pre);
  free (tok->pre_name);
  free (tok->tokens);
  free (tok->arena);
  free (tok->token_index.slots);
  free (tok->merges);
  free (tok->merge_lens);
  free (tok->merge_arena);
  free (tok->merge_index.slots);
  free (tok->special);
  free (tok);
}

static ember_status
oom (ember_error *error)
{
  return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory loading the vocabulary");
}

static ember_status
load_tokens (ember_tokenizer  *tok,
             const ember_gguf *gguf,
             ember_error      *error)
{
  const ember_gguf_value *tokens = ember_gguf_find_value (gguf, "tokenizer.ggml.tokens");
  const ember_gguf_value *scores = ember_gguf_find_value (gguf, "tokenizer.ggml.scores");
  const ember_gguf_value *types = ember_gguf_find_value (gguf, "tokenizer.ggml.token_type");
  size_t arena_size = 0, off = 0;
  uint64_t n;

  if (tokens == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "the model has no vocabulary (tokenizer.ggml.tokens is missing)");
  if (tokens->type != EMBER_GGUF_TYPE_ARRAY || tokens->array.type != EMBER_GGUF_TYPE_STRING)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "tokenizer.ggml.tokens is not an array of strings");
  n = tokens->array.count;
  if (n == 0 || n > INT32_MAX)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "tokenizer.ggml.tokens has %llu entries", (unsigned long long) n);
  if (scores != NULL)
    {
      if (scores->type != EMBER_GGUF_TYPE_ARRAY ||
          (scores->array.type != EMBER_GGUF_TYPE_FLOAT32 && scores->array.type != EMBER_GGUF_TYPE_INT32))
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "tokenizer.ggml.scores is not an array of float32");
      if (scores->array.count != n)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "tokenizer.ggml.scores has %llu entries for %llu tokens",
                                (unsigned long long) scores->array.count, (unsigned long long) n);
    }
  if (types != NULL)
    {
      if (types->type != EMBER_GGUF_TYPE_ARRAY || types->array.type != EMBER_GGUF_TYPE_INT32)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "tokenizer.ggml.token_type is not an array of int32");
      if (types->array.count != n)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "tokenizer.ggml.token_type has %llu entries for %llu tokens",
                                (unsigned long long) types->array.count, (unsigned long long) n);
    }

  tok->n_tokens = (uint32_t) n;
  for (uint64_t i = 0; i < n; i++)
    {
      uint64_t len = tokens->array.items[i].string.length;

      /* An empty token becomes "[EMPTY_<id>]", as in llama.cpp. */
      arena_size += (len > 0 ? len : 24) + 1;
    }
  tok->tokens = calloc (n, sizeof *tok->tokens);
  tok->arena = malloc (arena_size);
  if (tok->tokens == NULL || tok->arena == NULL || !id_table_init (&tok->token_index, n))
    return oom (error);

  for (uint32_t i = 0; i < n; i++)
    {
      const ember_gguf_value *s = &tokens->array.items[i];
      token_entry *t = &tok->tokens[i];
      size_t slot, len = (size_t) s->string.length;
      int32_t type = EMBER_TOKEN_TYPE_NORMAL;

      if (len > 0)
        memcpy (tok->arena + off, s->string.data, len);
      else
        len = (size_t) snprintf (tok->arena + off, 24, "[EMPTY_%u]", i);
      tok->arena[off + len] = '\0';
      t->text = tok->arena + off;
      t->len = (uint32_t) len;
      off += len + 1;
      if (len > tok->max_token_len)
        tok->max_token_len = (uint32_t) len;

      if (scores != NULL)
        t->score = scores->array.type == EMBER_GGUF_TYPE_FLOAT32
                   ? ((const float *) scores->array.data)[i]
                   : (float) ((const int32_t *) scores->array.data)[i];
      if (types != NULL)
        type = ((const int32_t *) types->array.data)[i];
      if (type < EMBER_TOKEN_TYPE_UNDEFINED || type > EMBER_TOKEN_TYPE_BYTE)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "token %u has the unknown type %d in tokenizer.ggml.token_type",
                                i, (int) type);
      t->type = (uint8_t) type;
      switch (type)
        {
        case EMBER_TOKEN_TYPE_NORMAL: t->attr = TOKEN_ATTR_NORMAL; break;
        case EMBER_TOKEN_TYPE_UNKNOWN: t->attr = TOKEN_ATTR_UNKNOWN; break;
        case EMBER_TOKEN_TYPE_CONTROL: t->attr = TOKEN_ATTR_CONTROL; break;
        case EMBER_TOKEN_TYPE_USER_DEFINED: t->attr = TOKEN_ATTR_USER_DEFINED; break;
        case EMBER_TOKEN_TYPE_UNUSED: t->attr = TOKEN_ATTR_UNUSED; break;
        case EMBER_TOKEN_TYPE_BYTE: t->attr = TOKEN_ATTR_BYTE; break;
        default: t->attr = TOKEN_ATTR_UNDEFINED; break;
        }

      if (id_table_lookup (tok, &tok->token_index, token_key, t->text, len, &slot) >= 0)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "the vocabulary has the token “%.*s” twice (ids %d and %u)",
                                (int) (len > 64 ? 64 : len), t->text,
                                ember_tokenizer_find (tok, t->text, len), i);
      tok->token_index.slots[slot] = i + 1;
    }
  return EMBER_OK;
}

static ember_status
load_merges (ember_tokenizer  *tok,
             const ember_gguf *gguf,
             ember_error      *error)
{
  const ember_gguf_value *merges = ember_gguf_find_value (gguf, "tokenizer.ggml.merges");
  size_t arena_size = 0, off = 0;
  uint64_t n;

  if (merges == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "this BPE vocabulary has no merges (tokenizer.ggml.merges is missing)");
  if (merges->type != EMBER_GGUF_TYPE_ARRAY || merges->array.type != EMBER_GGUF_TYPE_STRING)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "tokenizer.ggml.merges is not an array of strings");
  n = merges->array.count;
  if (n > INT32_MAX)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "tokenizer.ggml.merges is too long");
  for (uint64_t i = 0; i < n; i++)
    arena_size += merges->array.items[i].string.length + 1;
  tok->n_merges = (uint32_t) n;
  tok->merges = calloc (n + 1, sizeof *tok->merges);
  tok->merge_lens = calloc (n + 1, sizeof *tok->merge_lens);
  tok->merge_arena = malloc (arena_size + 1);
  if (tok->merges == NULL || tok->merge_lens == NULL || tok->merge_arena == NULL ||
      !id_table_init (&tok->merge_index, n))
    return oom (error);

  for (uint32_t i = 0; i < n; i++)
    {
      const ember_gguf_value *s = &merges->array.items[i];
      size_t len = (size_t) s->string.length, slot;
      const char *space = len > 1 ? memchr (s->string.data + 1, ' ', len - 1) : NULL;

      /* "left right", split at the first space after the first byte, as
       * llama.cpp does; both halves non-empty. */
      if (space == NULL || space == s->string.data + len - 1)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                "merge %u in tokenizer.ggml.merges (“%.*s”) is not two "
                                "tokens separated by a space",
                                i, (int) (len > 64 ? 64 : len), s->string.data);
      memcpy (tok->merge_arena + off, s->string.data, len);
      tok->merge_arena[off + len] = '\0';
      tok->merges[i] = tok->merge_arena + off;
      tok->merge_lens[i] = (uint32_t) len;
      off += len + 1;
      /* A repeated merge keeps its first rank. */
      if (id_table_lookup (tok, &tok->merge_index, merge_key, tok->merges[i], len, &slot) < 0)
        tok->merge_index.slots[slot] = i + 1;
    }
  return EMBER_OK;
}

/* A special token id from @key into *id: absent leaves the default; "none"
 * (negative, or 0xFFFFFFFF) clears it; out of range is an error. */
static ember_status
load_special_id (ember_tokenizer  *tok,
                 const ember_gguf *gguf,
                 const char       *key,
                 int32_t          *id,
                 ember_error      *error)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);
  int64_t value;

  if (v == NULL)
    return EMBER_OK;
  switch (v->type)
    {
    case EMBER_GGUF_TYPE_UINT8:
    case EMBER_GGUF_TYPE_UINT16:
    case EMBER_GGUF_TYPE_UINT32:
    case EMBER_GGUF_TYPE_UINT64:
      if (v->u == UINT32_MAX || v->u == UINT64_MAX)
        value = -1;
      else
        value = v->u > INT32_MAX ? INT32_MAX : (int64_t) v->u;
      break;
    case EMBER_GGUF_TYPE_INT8:
    case EMBER_GGUF_TYPE_INT16:
    case EMBER_GGUF_TYPE_INT32:
    case EMBER_GGUF_TYPE_INT64:
      value = v->i;
      break;
    default:
      return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "%s is a %s, not an integer", key, ember_gguf_type_to_string (v->type));
    }
  if (value < 0)
    {
      *id = EMBER_TOKEN_NULL;
      return EMBER_OK;
    }
  if (value >= tok->n_tokens)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%s is %lld, outside the vocabulary of %u tokens",
                            key, (long long) value, tok->n_tokens);
  *id = (int32_t) value;
  return EMBER_OK;
}

static ember_status
load_bool (const ember_gguf *gguf,
           const char       *key,
           bool             *value,
           ember_error      *error)
{
  const ember_gguf_value *v = ember_gguf_find_value (gguf, key);

  if (v == NULL)
    return EMBER_OK;
  if (v->type != EMBER_GGUF_TYPE_BOOL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "%s is a %s, not a bool", key, ember_gguf_type_to_string (v->type));
  *value = v->b;
  return EMBER_OK;
}

static bool
text_is (const token_entry *t,
         const char        *s)
{
  return t->len == strlen (s) && memcmp (t->text, s, t->len) == 0;
}

static bool
text_is_any (const token_entry  *t,
             const char *const  *list)
{
  for (size_t i = 0; list[i] != NULL; i++)
    if (text_is (t, list[i]))
      return true;
  return false;
}

/* llama.cpp recognises end-of-turn and end-of-generation tokens by their
 * text, and makes them control tokens. */
static void
mark_special_tokens (ember_tokenizer  *tok,
                     const ember_gguf *gguf)
{
  static const char *const eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>", NULL,
  };
  static const char *const eog_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
    "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
    "<end_of_utterance>", "<｜end▁of▁sentence｜>", NULL,
  };
  const char *name = ember_gguf_get_string (gguf, "general.name", NULL);
  char lower[256];
  size_t i;

  for (uint32_t id = 0; id < tok->n_tokens; id++)
    {
      token_entry *t = &tok->tokens[id];

      if (tok->eot == EMBER_TOKEN_NULL && text_is_any (t, eot_texts))
        {
          tok->eot = (int32_t) id;
          t->attr |= TOKEN_ATTR_CONTROL;
        }
      if (tok->eom == EMBER_TOKEN_NULL && text_is (t, "<|eom_id|>"))
        {
          tok->eom = (int32_t) id;
          t->attr |= TOKEN_ATTR_CONTROL;
        }
      if (text_is_any (t, eog_texts))
        {
          t->eog = true;
          t->attr |= TOKEN_ATTR_CONTROL;
        }
      if ((t->attr & TOKEN_ATTR_CONTROL) && memmem (t->text, t->len, "unused", 6) != NULL)
        t->attr |= TOKEN_ATTR_UNUSED;
    }
  if (tok->eos != EMBER_TOKEN_NULL)
    tok->tokens[tok->eos].eog = true;
  if (tok->eot != EMBER_TOKEN_NULL)
    tok->tokens[tok->eot].eog = true;
  if (tok->eom != EMBER_TOKEN_NULL)
    tok->tokens[tok->eom].eog = true;

  /* Phi-3's special tokens eat the whitespace after them. */
  for (i = 0; name != NULL && name[i] != '\0' && i + 1 < sizeof lower; i++)
    lower[i] = (char) tolower ((unsigned char) name[i]);
  lower[i] = '\0';
  if (strstr (lower, "phi-3") != NULL || strstr (lower, "phi3") != NULL)
    for (uint32_t id = 0; id < tok->n_tokens; id++)
      {
        token_entry *t = &tok->tokens[id];

        if ((t->attr & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_USER_DEFINED | TOKEN_ATTR_UNKNOWN)) ||
            text_is (t, "</s>"))
          t->attr |= TOKEN_ATTR_RSTRIP;
        if (text_is (t, "<unk>") || text_is (t, "<s>") || text_is (t, "<|endoftext|>"))
          t->attr &= (uint16_t) ~TOKEN_ATTR_RSTRIP;
      }
}

static ember_status
build_special_cache (ember_tokenizer *tok,
                     ember_error     *error)
{
  size_t n = 0;

  for (uint32_t id = 0; id < tok->n_tokens; id++)
    if (tok->tokens[id].attr & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_USER_DEFINED | TOKEN_ATTR_UNKNOWN))
      n++;
  tok->special = malloc ((n > 0 ? n : 1) * sizeof *tok->special);
  if (tok->special == NULL)
    return oom (error);
  for (uint32_t id = 0; id < tok->n_tokens; id++)
    if (tok->tokens[id].attr & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_USER_DEFINED | TOKEN_ATTR_UNKNOWN))
      tok->special[tok->n_special++] = (int32_t) id;
  /* Longest first, ties by id: a stable merge sort of the id-ordered list
   * (qsort would need the vocabulary in a global). */
  {
    int32_t *tmp = malloc ((n > 0 ? n : 1) * sizeof *tmp);

    if (tmp == NULL)
      return oom (error);
    for (size_t width = 1; width < n; width *= 2)
      {
        for (size_t lo = 0; lo < n; lo += 2 * width)
          {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;

            while (a < mid || b < hi)
              {
                bool take_a;

                if (a == mid)
                  take_a = false;
                else if (b == hi)
                  take_a = true;
                else
                  take_a = tok->tokens[tok->special[a]].len >= tok->tokens[tok->special[b]].len;
                tmp[o++] = take_a ? tok->special[a++] : tok->special[b++];
              }
          }
        memcpy (tok->special, tmp, n * sizeof *tmp);
      }
    free (tmp);
  }
  return EMBER_OK;
}

static void
find_byte_tokens (ember_tokenizer *tok)
{
  for (unsigned b = 0; b < 256; b++)
    {
      char buf[8];
      int32_t id = EMBER_TOKEN_NULL;

      if (tok->kind == EMBER_TOKENIZER_SPM)
        {
          snprintf (buf, sizeof buf, "<0x%02X>", b);
          id = ember_tokenizer_find (tok, buf, 6);
          if (id == EMBER_TOKEN_NULL)
            {
              buf[0] = (char) b;
              id = ember_tokenizer_find (tok, buf, 1);
            }
        }
      else
        {
          size_t len = ember_utf8_encode (ember_unicode_byte_to_codepoint ((uint8_t) b), buf);

          id = ember_tokenizer_find (tok, buf, len);
        }
      tok->byte_tokens[b] = id;
    }
}

ember_status
ember_tokenizer_new_from_gguf (const ember_gguf  *gguf,
                               ember_tokenizer  **out,
                               ember_error       *error)
{
  static const struct { const char *key; size_t offset; } id_keys[] = {
    { "tokenizer.ggml.bos_token_id", offsetof (ember_tokenizer, bos) },
    { "tokenizer.ggml.eos_token_id", offsetof (ember_tokenizer, eos) },
    { "tokenizer.ggml.eot_token_id", offsetof (ember_tokenizer, eot) },
    { "tokenizer.ggml.eom_token_id", offsetof (ember_tokenizer, eom) },
    { "tokenizer.ggml.unknown_token_id", offsetof (ember_tokenizer, unk) },
    { "tokenizer.ggml.seperator_token_id", offsetof (ember_tokenizer, sep) },
    { "tokenizer.ggml.padding_token_id", offsetof (ember_tokenizer, pad) },
    { "tokenizer.ggml.mask_token_id", offsetof (ember_tokenizer, mask) },
  };
  ember_tokenizer *tok;
  const char *model;
  ember_status status;

  if (out != NULL)
    *out = NULL;
  if (gguf == NULL || out == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "no model given to read a vocabulary from");

  model = ember_gguf_get_string (gguf, "tokenizer.ggml.model", NULL);
  if (model == NULL)
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            ember_gguf_find_value (gguf, "tokenizer.ggml.model") != NULL
                            ? "tokenizer.ggml.model is not a string"
                            : "the model has no tokenizer (tokenizer.ggml.model is missing)");

  tok = calloc (1, sizeof *tok);
  if (tok == NULL)
    return oom (error);
  tok->bos = tok->eos = tok->eot = tok->eom = EMBER_TOKEN_NULL;
  tok->unk = tok->sep = tok->pad = tok->mask = EMBER_TOKEN_NULL;

  if (strcmp (model, "llama") == 0)
    {
      tok->kind = EMBER_TOKENIZER_SPM;
      tok->bos = 1, tok->eos = 2, tok->unk = 0;
      tok->add_bos = true;
      tok->add_space_prefix = true;
    }
  else if (strcmp (model, "gpt2") == 0)
    {
      tok->kind = EMBER_TOKENIZER_BPE;
      tok->bos = 11, tok->eos = 11;
    }
  else if (strcmp (model, "bert") == 0)
    {
      tok->kind = EMBER_TOKENIZER_WPM;
      tok->bos = 101, tok->unk = 100, tok->sep = 102, tok->pad = 0, tok->mask = 103;
      tok->add_bos = true;
      tok->add_sep = true;
      tok->clean_spaces = true;
      tok->lowercase = true;
    }
  else
    {
      ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                       "unsupported tokenizer “%s” (tokenizer.ggml.model); Hearth reads "
                       "“llama”, “gpt2” and “bert” vocabularies", model);
      ember_tokenizer_free (tok);
      return EMBER_ERROR_INVALID_ARGUMENT;
    }

  if (tok->kind == EMBER_TOKENIZER_BPE)
    {
      const ember_pretokenizer_traits *traits;
      const char *pre = ember_gguf_get_string (gguf, "tokenizer.ggml.pre", NULL);

      if (pre == NULL && ember_gguf_find_value (gguf, "tokenizer.ggml.pre") != NULL)
        {
          ember_tokenizer_free (tok);
          return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "tokenizer.ggml.pre is not a string");
        }
      /* llama.cpp falls back to "default" (with a loud warning). */
      tok->pre_name = strdup (pre != NULL ? pre : "default");
      if (tok->pre_name == NULL)
        {
          ember_tokenizer_free (tok);
          return oom (error);
        }
      status = ember_pretokenizer_new (tok->pre_name, &tok->pre, error);
      if (status != EMBER_OK)
        {
          ember_tokenizer_free (tok);
          return status;
        }
      traits = ember_pretokenizer_get_traits (tok->pre);
      tok->ignore_merges = traits->ignore_merges;
      tok->add_bos = traits->add_bos;
      tok->clean_spaces = traits->clean_spaces;
      if (traits->no_bos)
        tok->bos = EMBER_TOKEN_NULL;
    }

  status = load_tokens (tok, gguf, error);
  if (status == EMBER_OK && tok->kind == EMBER_TOKENIZER_BPE)
    status = load_merges (tok, gguf, error);
  if (status != EMBER_OK)
    {
      ember_tokenizer_free (tok);
      return status;
    }

  /* Defaults outside the vocabulary are dropped, as in llama.cpp; the
   * file's own values must be in range. */
  for (size_t i = 0; i < sizeof id_keys / sizeof id_keys[0]; i++)
    {
      int32_t *id = (int32_t *) ((char *) tok + id_keys[i].offset);

      if (*id >= (int32_t) tok->n_tokens)
        *id = EMBER_TOKEN_NULL;
      status = load_special_id (tok, gguf, id_keys[i].key, id, error);
      if (status != EMBER_OK)
        {
          ember_tokenizer_free (tok);
          return status;
        }
    }

  status = load_bool (gguf, "tokenizer.ggml.add_space_prefix", &tok->add_space_prefix, error);
  if (status == EMBER_OK)
    status = load_bool (gguf, "tokenizer.ggml.add_bos_token", &tok->add_bos, error);
  if (status == EMBER_OK)
    status = load_bool (gguf, "tokenizer.ggml.add_eos_token", &tok->add_eos, error);
  if (status == EMBER_OK)
    status = load_bool (gguf, "tokenizer.ggml.add_sep_token", &tok->add_sep, error);
  if (status == EMBER_OK)
    {
      status = load_bool (gguf, "tokenizer.ggml.normalizer.lowercase", &tok->lowercase, error);
      tok->strip_accents = tok->lowercase;
    }
  if (status == EMBER_OK)
    status = load_bool (gguf, "tokenizer.ggml.normalizer.strip_accents", &tok->strip_accents, error);
  if (status == EMBER_OK && tok->add_bos && tok->bos == EMBER_TOKEN_NULL)
    status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "tokenizer.ggml.add_bos_token is true, but the vocabulary has no BOS token");
  if (status == EMBER_OK && tok->add_eos && tok->eos == EMBER_TOKEN_NULL)
    status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "tokenizer.ggml.add_eos_token is true, but the vocabulary has no EOS token");
  if (status == EMBER_OK && tok->kind == EMBER_TOKENIZER_WPM && tok->add_sep && tok->sep == EMBER_TOKEN_NULL)
    status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "this BERT vocabulary has no separator token");
  if (status == EMBER_OK && tok->kind == EMBER_TOKENIZER_WPM && tok->unk == EMBER_TOKEN_NULL)
    status = ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                              "this BERT vocabulary has no unknown token");
  if (status != EMBER_OK)
    {
      ember_tokenizer_free (tok);
      return status;
    }

  mark_special_tokens (tok, gguf);
  status = build_special_cache (tok, error);
  if (status != EMBER_OK)
    {
      ember_tokenizer_free (tok);
      return status;
    }
  find_byte_tokens (tok);
  *out = tok;
  return EMBER_OK;
}

/* ---- getters --------------------------------------------------------------- */

ember_tokenizer_kind
ember_tokenizer_get_kind (const ember_tokenizer *tok)
{
  return tok->kind;
}

const char *
ember_tokenizer_get_pre (const ember_tokenizer *tok)
{
  return tok->pre_name;
}

uint32_t
ember_tokenizer_get_n_vocab (const ember_tokenizer *tok)
{
  return tok->n_tokens;
}

int32_t ember_tokenizer_get_bos (const ember_tokenizer *tok) { return tok->bos; }
int32_t ember_tokenizer_get_eos (const ember_tokenizer *tok) { return tok->eos; }
int32_t ember_tokenizer_get_eot (const ember_tokenizer *tok) { return tok->eot; }
int32_t ember_tokenizer_get_unk (const ember_tokenizer *tok) { return tok->unk; }
int32_t ember_tokenizer_get_pad (const ember_tokenizer *tok) { return tok->pad; }
bool ember_tokenizer_get_add_bos (const ember_tokenizer *tok) { return tok->add_bos; }
bool ember_tokenizer_get_add_eos (const ember_tokenizer *tok) { return tok->add_eos; }

static bool
valid_id (const ember_tokenizer *tok,
          int32_t                id)
{
  return id >= 0 && (uint32_t) id < tok->n_tokens;
}

bool
ember_tokenizer_is_eog (const ember_tokenizer *tok,
                        int32_t                id)
{
  return valid_id (tok, id) && tok->tokens[id].eog;
}

ember_token_type
ember_tokenizer_get_token_type (const ember_tokenizer *tok,
                                int32_t                id)
{
  return valid_id (tok, id) ? (ember_token_type) tok->tokens[id].type : EMBER_TOKEN_TYPE_UNDEFINED;
}

const char *
ember_tokenizer_get_token_text (const ember_tokenizer *tok,
                                int32_t                id,
                                size_t                *length)
{
  if (!valid_id (tok, id))
    return NULL;
  if (length != NULL)
    *length = tok->tokens[id].len;
  return tok->tokens[id].text;
}

float
ember_tokenizer_get_token_score (const ember_tokenizer *tok,
                                 int32_t                id)
{
  return valid_id (tok, id) ? tok->tokens[id].score : 0.0f;
}

/* ---- pieces and decoding ------------------------------------------------- */

typedef struct {
  char *data;
  size_t len, cap;
  bool oom;
} buffer;

static void
buffer_append (buffer     *b,
               const void *data,
               size_t      len)
{
  if (b->oom)
    return;
  if (!ember_grow (&b->data, &b->cap, b->len + len + 1, 1, 64))
    {
      b->oom = true;
      return;
    }
  memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
}

/* The piece of @id appended to @b; @lstrip drops one leading space. */
static void
append_piece (const ember_tokenizer *tok,
              int32_t                id,
              bool                   render_special,
              bool                   lstrip,
              buffer                *b)
{
  const token_entry *t = &tok->tokens[id];
  size_t start = b->len;

  if (!render_special && (t->attr & (TOKEN_ATTR_UNKNOWN | TOKEN_ATTR_CONTROL)))
    return;
  if (t->attr & (TOKEN_ATTR_UNKNOWN | TOKEN_ATTR_CONTROL | TOKEN_ATTR_USER_DEFINED))
    buffer_append (b, t->text, t->len);
  else if (t->attr & TOKEN_ATTR_NORMAL)
    {
      if (tok->kind == EMBER_TOKENIZER_BPE)
        {
          /* Each code point stands for one byte. */
          for (size_t off = 0; off < t->len;)
            {
              size_t used;
              uint32_t cp = ember_utf8_decode (t->text + off, t->len - off, &used);
              int byte = ember_unicode_codepoint_to_byte (cp);

              if (byte >= 0)
                {
                  char c = (char) byte;

                  buffer_append (b, &c, 1);
                }
              else
                {
                  char unk[32];
                  int n = snprintf (unk, sizeof unk, "[UNK_BYTE_0x%02x]", (uint8_t) t->text[off]);

                  buffer_append (b, unk, (size_t) n);
                }
              off += used;
            }
        }
      else
        {
          /* U+2581 "▁" stands for a space. */
          for (size_t off = 0; off < t->len;)
            {
              if (off + 3 <= t->len && memcmp (t->text + off, "\xe2\x96\x81", 3) == 0)
                {
                  buffer_append (b, " ", 1);
                  off += 3;
                }
              else
                buffer_append (b, t->text + off++, 1);
            }
        }
    }
  else if (t->attr & TOKEN_ATTR_BYTE)
    {
      unsigned value = 0;
      char c;

      if (t->len == 6 && sscanf (t->text, "<0x%2x>", &value) == 1)
        {
          c = (char) value;
          buffer_append (b, &c, 1);
        }
    }
  if (lstrip && !b->oom && b->len > start && b->data[start] == ' ')
    {
      memmove (b->data + start, b->data + start + 1, b->len - start - 1);
      b->data[--b->len] = '\0';
    }
}

size_t
ember_tokenizer_token_to_piece (const ember_tokenizer *tok,
                                int32_t                id,
                                bool                   render_special,
                                char                  *buf,
                                size_t                 size)
{
  buffer b = { 0 };
  size_t len;

  if (tok == NULL || !valid_id (tok, id))
    return 0;
  append_piece (tok, id, render_special, false, &b);
  len = b.len;
  if (buf != NULL && size > 0 && len > 0)
    memcpy (buf, b.data, len < size ? len : size);
  free (b.data);
  return len;
}

/* llama.cpp's clean_up_tokenization_spaces, in place. */
static size_t
clean_spaces (char   *text,
              size_t  total)
{
  size_t n, t1 = total, t2, t3;

  n = total ? 1 : 0;
  for (size_t i = 1; i < t1; i++)
    {
      char x = text[i];

      if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ','))
        n--;
      text[n++] = x;
    }
  t2 = n;
  n = t2 ? 1 : 0;
  for (size_t i = 1; i < t2; i++)
    {
      char x = text[i];

      if (x == '\'' && i + 1 < t2 && text[i - 1] == ' ' && text[i + 1] == ' ')
        {
          n--;
          text[++i] = '\0';
        }
      text[n++] = x;
    }
  t3 = n;
  n = t3 ? 1 : 0;
  for (size_t i = 1; i < t3; i++)
    {
      char x = text[i];

      if (text[i - 1] == ' ' && x == '\'' && i + 1 < t3)
        {
          char x1 = text[i + 1];

          if (x1 == 's' || x1 == 'm')
            n--;
          else if (i + 2 < t3 && ((x1 == 'r' && text[i + 2] == 'e') || (x1 == 'v' && text[i + 2] == 'e')))
            n--;
        }
      text[n++] = x;
    }
  return n;
}

ember_status
ember_tokenizer_decode (const ember_tokenizer  *tok,
                        const int32_t          *ids,
                        size_t                  n_ids,
                        ember_detokenize_flags  flags,
                        char                  **text,
                        size_t                 *len,
                        ember_error            *error)
{
  buffer b = { 0 };
  bool remove_space;

  if (text != NULL)
    *text = NULL;
  if (tok == NULL || text == NULL || (ids == NULL && n_ids > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "nothing to decode");

  remove_space = tok->add_space_prefix;
  if ((flags & EMBER_DETOKENIZE_REMOVE_SPECIAL) && tok->add_bos && n_ids > 0 && ids[0] == tok->bos)
    {
      remove_space = false;
      ids++;
      n_ids--;
    }
  if ((flags & EMBER_DETOKENIZE_REMOVE_SPECIAL) && tok->add_eos && n_ids > 0 && ids[n_ids - 1] == tok->eos)
    n_ids--;

  buffer_append (&b, "", 0);
  for (size_t i = 0; i < n_ids; i++)
    {
      if (!valid_id (tok, ids[i]))
        {
          free (b.data);
          return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                                  "token id %d is outside the vocabulary of %u tokens",
                                  ids[i], tok->n_tokens);
        }
      append_piece (tok, ids[i], flags & EMBER_DETOKENIZE_RENDER_SPECIAL, remove_space, &b);
      remove_space = false;
    }
  if (b.oom)
    {
      free (b.data);
      return oom (error);
    }
  if (tok->clean_spaces)
    {
      b.len = clean_spaces (b.data, b.len);
      b.data[b.len] = '\0';
    }
  *text = b.data;
  if (len != NULL)
    *len = b.len;
  return EMBER_OK;
}

/* ---- streaming ---------------------------------------------------------- */

struct ember_detokenizer {
  const ember_tokenizer *tok;
  ember_detokenize_flags flags;
  bool started;
  buffer pending;   /* bytes not yet handed out */
  buffer out;
};

ember_detokenizer *
ember_detokenizer_new (const ember_tokenizer  *tok,
                       ember_detokenize_flags  flags)
{
  ember_detokenizer *d = calloc (1, sizeof *d);

  if (d == NULL)
    return NULL;
  d->tok = tok;
  d->flags = flags;
  return d;
}

void
ember_detokenizer_free (ember_detokenizer *detok)
{
  if (detok == NULL)
    return;
  free (detok->pending.data);
  free (detok->out.data);
  free (detok);
}

/* Moves the valid UTF-8 at the front of pending to out; bad bytes become
 * U+FFFD; with @final, an unfinished sequence does too. */
static void
drain (ember_detokenizer *d,
       bool               final)
{
  size_t off = 0;

  d->out.len = 0;
  buffer_append (&d->out, "", 0);
  while (off < d->pending.len)
    {
      bool incomplete;
      size_t valid = ember_utf8_valid_prefix (d->pending.data + off, d->pending.len - off, &incomplete);

      buffer_append (&d->out, d->pending.data + off, valid);
      off += valid;
      if (off == d->pending.len)
        break;
      if (incomplete && !final)
        break;
      buffer_append (&d->out, "\xef\xbf\xbd", 3);
      if (incomplete)
        off = d->pending.len;
      else
        off++;
    }
  memmove (d->pending.data, d->pending.data + off, d->pending.len - off);
  d->pending.len -= off;
}

ember_status
ember_detokenizer_feed (ember_detokenizer  *detok,
                        int32_t             id,
                        const char        **text,
                        size_t             *len,
                        ember_error        *error)
{
  const ember_tokenizer *tok = detok->tok;
  bool first = !detok->started;

  *text = "";
  *len = 0;
  if (!valid_id (tok, id))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT,
                            "token id %d is outside the vocabulary of %u tokens", id, tok->n_tokens);
  detok->started = true;
  if ((detok->flags & EMBER_DETOKENIZE_REMOVE_SPECIAL) && first && tok->add_bos && id == tok->bos)
    return EMBER_OK;   /* the BOS goes, and the next piece keeps its space */
  append_piece (tok, id, detok->flags & EMBER_DETOKENIZE_RENDER_SPECIAL,
                first && tok->add_space_prefix, &detok->pending);
  drain (detok, false);
  if (detok->pending.oom || detok->out.oom)
    return oom (error);
  *text = detok->out.data;
  *len = detok->out.len;
  return EMBER_OK;
}

void
ember_detokenizer_flush (ember_detokenizer  *detok,
                         const char        **text,
                         size_t             *len)
{
  drain (detok, true);
  detok->started = false;
  *text = detok->out.data != NULL ? detok->out.data : "";
  *len = detok->out.len;
}
