/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Text to token ids: special tokens first (llama.cpp's
 * tokenizer_st_partition), then each stretch of plain text through the
 * vocabulary's tokenizer: SentencePiece-style merging by score, byte-level
 * BPE by merge rank over pre-tokenized pieces, or WordPiece's greedy
 * longest match.
 */

#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ember-tokenizer-private.h"
#include "ember-unicode.h"

typedef struct {
  int32_t *data;
  size_t len, cap;
  bool oom;
} id_vec;

static void
push_id (id_vec  *v,
         int32_t  id)
{
  if (v->oom)
    return;
  if (!ember_grow (&v->data, &v->cap, v->len + 1, sizeof *v->data, 64))
    {
      v->oom = true;
      return;
    }
  v->data[v->len++] = id;
}

typedef struct {
  char *data;
  size_t len, cap;
  bool oom;
} bytes;

static void
append_bytes (bytes      *b,
              const void *data,
              size_t      len)
{
  if (b->oom)
    return;
  if (!ember_grow (&b->data, &b->cap, b->len + len, 1, 64))
    {
      b->oom = true;
      return;
    }
  memcpy (b->data + b->len, data, len);
  b->len += len;
}

/* ---- special tokens in the text ----------------------------------------- */

typedef struct {
  int32_t id;        /* a token, or EMBER_TOKEN_NULL for text */
  size_t off, len;   /* text */
} fragment;

typedef struct {
  fragment *data;
  size_t len, cap;
  bool oom;
} fragments;

static void
push_fragment (fragments *f,
               int32_t    id,
               size_t     off,
               size_t     len)
{
  if (f->oom)
    return;
  if (!ember_grow (&f->data, &f->cap, f->len + 1, sizeof *f->data, 16))
    {
      f->oom = true;
      return;
    }
  f->data[f->len++] = (fragment) { id, off, len };
}

/* Splits the text around every special token, longest tokens first.
 * Control and unknown tokens only count with @parse_special; user-defined
 * ones always do. */
static bool
partition (const ember_tokenizer *tok,
           const char            *text,
           size_t                 len,
           bool                   parse_special,
           fragments             *out)
{
  fragments cur = { 0 };

  if (len > 0)
    push_fragment (&cur, EMBER_TOKEN_NULL, 0, len);
  for (size_t s = 0; s < tok->n_special && !cur.oom; s++)
    {
      const token_entry *t = &tok->tokens[tok->special[s]];
      fragments next = { 0 };
      bool found = false;

      if (!parse_special && (t->attr & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_UNKNOWN)))
        continue;
      for (size_t i = 0; i < cur.len; i++)
        {
          fragment f = cur.data[i];
          size_t base = f.off, end = f.off + f.len;
          const char *match;

          if (f.id != EMBER_TOKEN_NULL)
            {
              push_fragment (&next, f.id, 0, 0);
              continue;
            }
          while (base < end && (match = memmem (text + base, end - base, t->text, t->len)) != NULL)
            {
              size_t at = (size_t) (match - text), left = at - base;

              found = true;
              if (t->attr & TOKEN_ATTR_LSTRIP)
                while (left > 0 && isspace ((unsigned char) text[base + left - 1]))
                  left--;
              if (left > 0)
                push_fragment (&next, EMBER_TOKEN_NULL, base, left);
              push_fragment (&next, tok->special[s], 0, 0);
              base = at + t->len;
              if (t->attr & TOKEN_ATTR_RSTRIP)
                while (base < end && isspace ((unsigned char) text[base]))
                  base++;
            }
          if (base < end)
            push_fragment (&next, EMBER_TOKEN_NULL, base, end - base);
        }
      if (!found)
        {
          free (next.data);
          continue;
        }
      free (cur.data);
      cur = next;
    }
  *out = cur;
  return !cur.oom;
}

/* ---- SentencePiece-style ("llama") ---------------------------------------- */

typedef struct {
  int prev, next;
  const char *text;
  size_t n;
} symbol;

typedef struct {
  int left, right;
  float score;      /* SPM */
  int32_t rank;     /* BPE */
  size_t left_n, right_n;
} bigram;

typedef struct {
  bigram *data;
  size_t len, cap;
  bool spm;         /* order by score (highest first), else by rank */
  bool oom;
} heap;

/* Whether @a comes out before @b; ties go to the leftmost pair. */
static bool
bigram_before (const heap   *h,
               const bigram *a,
               const bigram *b)
{
  if (h->spm)
    {
      if (a->score != b->score)
        return a->score > b->score;
    }
  else if (a->rank != b->rank)
    return a->rank < b->rank;
  return a->left < b->left;
}

static void
heap_push (heap   *h,
           bigram  item)
{
  size_t i;

  if (h->oom)
    return;
  if (!ember_grow (&h->data, &h->cap, h->len + 1, sizeof *h->data, 64))
    {
      h->oom = true;
      return;
    }
  i = h->len++;
  while (i > 0 && bigram_before (h, &item, &h->data[(i - 1) / 2]))
    {
      h->data[i] = h->data[(i - 1) / 2];
      i = (i - 1) / 2;
    }
  h->data[i] = item;
}

static bigram
heap_pop (heap *h)
{
  bigram top = h->data[0], last = h->data[--h->len];
  size_t i = 0;

  for (;;)
    {
      size_t c = 2 * i + 1;

      if (c >= h->len)
        break;
      if (c + 1 < h->len && bigram_before (h, &h->data[c + 1], &h->data[c]))
        c++;
      if (!bigram_before (h, &h->data[c], &last))
        break;
      h->data[i] = h->data[c];
      i = c;
    }
  if (h->len > 0)
    h->data[i] = last;
  return top;
}

typedef struct {
  symbol *data;
  size_t len, cap;
  bool oom;
} symbols;

static void
split_symbols (symbols    *syms,
               const char *text,
               size_t      len)
{
  syms->len = 0;
  if (len > syms->cap)
    {
      symbol *d = realloc (syms->data, len * sizeof *d);

      if (d == NULL)
        {
          syms->oom = true;
          return;
        }
      syms->data = d;
      syms->cap = len;
    }
  for (size_t off = 0; off < len;)
    {
      size_t n = ember_utf8_sequence_length ((uint8_t) text[off]);
      symbol *s = &syms->data[syms->len];

      if (n > len - off)
        n = len - off;
      s->text = text + off;
      s->n = n;
      s->prev = (int) syms->len - 1;
      off += n;
      s->next = off == len ? -1 : (int) syms->len + 1;
      syms->len++;
    }
}

static void
spm_try_bigram (const ember_tokenizer *tok,
                symbols               *syms,
                heap                  *h,
                int                    left,
                int                    right)
{
  const symbol *l, *r;
  int32_t id;

  if (left < 0 || right < 0)
    return;
  l = &syms->data[left];
  r = &syms->data[right];
  id = ember_tokenizer_find (tok, l->text, l->n + r->n);
  if (id == EMBER_TOKEN_NULL)
    return;
  heap_push (h, (bigram) { left, right, tok->tokens[id].score, 0, l->n, r->n });
}

static void
push_bytes (const ember_tokenizer *tok,
            const char            *text,
            size_t                 len,
            id_vec                *out)
{
  for (size_t j = 0; j < len; j++)
    {
      int32_t id = tok->byte_tokens[(uint8_t) text[j]];

      if (id == EMBER_TOKEN_NULL)
        id = tok->unk;
      if (id != EMBER_TOKEN_NULL)
        push_id (out, id);
    }
}

static void
spm_encode (const ember_tokenizer *tok,
            const char            *text,
            size_t                 len,
            symbols               *syms,
            heap                  *h,
            id_vec                *out)
{
  split_symbols (syms, text, len);
  if (syms->oom || syms->len == 0)
    return;
  h->len = 0;
  h->spm = true;
  for (size_t i = 1; i < syms->len; i++)
    spm_try_bigram (tok, syms, h, (int) i - 1, (int) i);

  while (h->len > 0 && !h->oom)
    {
      bigram b = heap_pop (h);
      symbol *l = &syms->data[b.left], *r = &syms->data[b.right];

      if (l->n == 0 || r->n == 0 || l->n + r->n != b.left_n + b.right_n)
        continue;
      l->n += r->n;
      r->n = 0;
      l->next = r->next;
      if (r->next >= 0)
        syms->data[r->next].prev = b.left;
      spm_try_bigram (tok, syms, h, l->prev, b.left);
      spm_try_bigram (tok, syms, h, b.left, l->next);
    }

  /* Every merge made a token, so a symbol that is not one is a single
   * character the vocabulary lacks: its bytes go as byte tokens. */
  for (int i = 0; i != -1; i = syms->data[i].next)
    {
      const symbol *s = &syms->data[i];
      int32_t id = ember_tokenizer_find (tok, s->text, s->n);

      if (id != EMBER_TOKEN_NULL)
        push_id (out, id);
      else
        push_bytes (tok, s->text, s->n, out);
    }
}

/* ---- byte-level BPE ("gpt2") ------------------------------------------- */

typedef struct {
  symbols syms;
  heap heap;
  bytes word;
  bytes key;
} bpe_state;

static void
bpe_try_bigram (const ember_tokenizer *tok,
                bpe_state             *st,
                int                    left,
                int                    right)
{
  const symbol *l, *r;
  int32_t rank;

  if (left < 0 || right < 0)
    return;
  l = &st->syms.data[left];
  r = &st->syms.data[right];
  st->key.len = 0;
  append_bytes (&st->key, l->text, l->n);
  append_bytes (&st->key, " ", 1);
  append_bytes (&st->key, r->text, r->n);
  if (st->key.oom)
    return;
  rank = ember_tokenizer_merge_rank (tok, st->key.data, st->key.len);
  if (rank < 0)
    return;
  heap_push (&st->heap, (bigram) { left, right, 0.0f, rank, l->n, r->n });
}

static void
bpe_encode_word (const ember_tokenizer *tok,
                 bpe_state             *st,
                 id_vec                *out)
{
  const char *word = st->word.data;
  size_t len = st->word.len;
  symbols *syms = &st->syms;

  if (len == 0)
    return;
  if (tok->ignore_merges)
    {
      int32_t id = ember_tokenizer_find (tok, word, len);

      if (id != EMBER_TOKEN_NULL)
        {
          push_id (out, id);
          return;
        }
    }
  split_symbols (syms, word, len);
  if (syms->oom)
    return;
  st->heap.len = 0;
  st->heap.spm = false;
  for (size_t i = 1; i < syms->len; i++)
    bpe_try_bigram (tok, st, (int) i - 1, (int) i);

  while (st->heap.len > 0 && !st->heap.oom)
    {
      bigram b = heap_pop (&st->heap);
      symbol *l = &syms->data[b.left], *r = &syms->data[b.right];

      /* Stale when either side has changed since the pair was queued. */
      if (l->n == 0 || r->n == 0 || l->n != b.left_n || r->n != b.right_n)
        continue;
      l->n += r->n;
      r->n = 0;
      l->next = r->next;
      if (r->next >= 0)
        syms->data[r->next].prev = b.left;
      bpe_try_bigram (tok, st, l->prev, b.left);
      bpe_try_bigram (tok, st, b.left, l->next);
    }

  for (int i = 0; i != -1; i = syms->data[i].next)
    {
      const symbol *s = &syms->data[i];
      int32_t id = ember_tokenizer_find (tok, s->text, s->n);

      if (id != EMBER_TOKEN_NULL)
        push_id (out, id);
      else
        /* As llama.cpp: each byte of the unknown symbol, if it is a token. */
        for (size_t j = 0; j < s->n; j++)
          {
            id = ember_tokenizer_find (tok, s->text + j, 1);
            if (id != EMBER_TOKEN_NULL)
              push_id (out, id);
          }
    }
}

static ember_status
bpe_encode (const ember_tokenizer *tok,
            const char            *text,
            size_t                 len,
            bpe_state             *st,
            id_vec                *out,
            ember_error           *error)
{
  size_t n_cps, n_pieces, off = 0;
  uint32_t *cps = ember_utf8_to_codepoints (text, len, &n_cps);
  size_t *pieces = NULL;
  ember_status status;

  if (cps == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory tokenizing");
  status = ember_pretokenizer_split (tok->pre, cps, n_cps, &pieces, &n_pieces, error);
  if (status != EMBER_OK)
    {
      free (cps);
      return status;
    }
  for (size_t p = 0; p < n_pieces; p++)
    {
      /* The piece's UTF-8, each byte written as GPT-2's stand-in code point. */
      st->word.len = 0;
      for (size_t i = 0; i < pieces[p]; i++)
        {
          char utf8[4], mapped[4];
          size_t n = ember_utf8_encode (cps[off + i], utf8);

          for (size_t j = 0; j < n; j++)
            append_bytes (&st->word, mapped,
                          ember_utf8_encode (ember_unicode_byte_to_codepoint ((uint8_t) utf8[j]), mapped));
        }
      off += pieces[p];
      if (st->word.oom)
        break;
      bpe_encode_word (tok, st, out);
    }
  free (pieces);
  free (cps);
  return EMBER_OK;
}

/* ---- WordPiece ("bert") ---------------------------------------------------- */

static bool
is_chinese_char (uint32_t cp)
{
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

static void
wpm_encode_word (const ember_tokenizer *tok,
                 const char            *word,
                 size_t                 word_len,
                 bytes                 *scratch,
                 id_vec                *out)
{
  size_t start = out->len, n;

  if (word_len == 0)
    return;
  /* A phantom space: the vocabulary spells word starts with "▁". */
  scratch->len = 0;
  append_bytes (scratch, "\xe2\x96\x81", 3);
  append_bytes (scratch, word, word_len);
  if (scratch->oom)
    return;
  n = scratch->len;
  for (size_t i = 0; i < n; i++)
    {
      size_t j = i + tok->max_token_len + 1 < n ? i + tok->max_token_len + 1 : n;
      bool match = false;

      for (; j > i; j--)
        {
          int32_t id = ember_tokenizer_find (tok, scratch->data + i, j - i);

          if (id != EMBER_TOKEN_NULL)
            {
              push_id (out, id);
              match = true;
              i = j - 1;
              break;
            }
        }
      if (!match)
        {
          out->len = start;
          break;
        }
    }
  if (out->len == start)
    push_id (out, tok->unk);
}

static ember_status
wpm_encode (const ember_tokenizer *tok,
            const char            *text,
            size_t                 len,
            id_vec                *out,
            ember_error           *error)
{
  size_t n_cps, word_start = 0;
  uint32_t *cps = ember_utf8_to_codepoints (text, len, &n_cps);
  bytes words = { 0 }, scratch = { 0 };

  if (cps == NULL)
    return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory tokenizing");

  for (size_t i = 0; i < n_cps; i++)
    {
      uint32_t cp = tok->strip_accents ? ember_unicode_nfd_first (cps[i]) : cps[i];
      uint16_t flags = ember_unicode_get_flags (cp);
      char utf8[4];
      size_t n;

      if (flags & EMBER_UNICODE_WHITESPACE)
        {
          wpm_encode_word (tok, words.data + word_start, words.len - word_start, &scratch, out);
          word_start = words.len;
          continue;
        }
      if (cp == 0 || cp == EMBER_UNICODE_REPLACEMENT || (flags & EMBER_UNICODE_CONTROL))
        continue;
      if (tok->strip_accents && (flags & EMBER_UNICODE_MARK))
        continue;
      n = ember_utf8_encode (tok->lowercase ? ember_unicode_to_lower (cp) : cp, utf8);
      if ((flags & EMBER_UNICODE_PUNCTUATION) || (cp < 0x7F && (flags & EMBER_UNICODE_SYMBOL)) ||
          is_chinese_char (cp))
        {
          /* A word of its own. */
          wpm_encode_word (tok, words.data + word_start, words.len - word_start, &scratch, out);
          wpm_encode_word (tok, utf8, n, &scratch, out);
          word_start = words.len;
          continue;
        }
      append_bytes (&words, utf8, n);
    }
  wpm_encode_word (tok, words.data + word_start, words.len - word_start, &scratch, out);
  free (words.data);
  free (scratch.data);
  free (cps);
  return words.oom || scratch.oom
         ? ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory tokenizing")
         : EMBER_OK;
}

/* ---- entry point ----------------------------------------------------------- */

ember_status
ember_tokenizer_encode (const ember_tokenizer *tok,
                        const char            *text,
                        size_t                 len,
                        ember_tokenize_flags   flags,
                        int32_t              **ids,
                        size_t                *n_ids,
                        ember_error           *error)
{
  bool add_special = (flags & EMBER_TOKENIZE_ADD_SPECIAL) != 0;
  fragments frags = { 0 };
  id_vec out = { 0 };
  bytes spm_text = { 0 };
  symbols syms = { 0 };
  heap h = { 0 };
  bpe_state bpe = { 0 };
  bool prev_special = true;
  ember_status status = EMBER_OK;

  if (ids != NULL)
    *ids = NULL;
  if (n_ids != NULL)
    *n_ids = 0;
  if (tok == NULL || ids == NULL || n_ids == NULL || (text == NULL && len > 0))
    return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "nothing to tokenize");

  if (!partition (tok, text, len, (flags & EMBER_TOKENIZE_PARSE_SPECIAL) != 0, &frags))
    {
      free (frags.data);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory tokenizing");
    }

  if (add_special && (tok->kind == EMBER_TOKENIZER_WPM || tok->add_bos))
    push_id (&out, tok->bos);

  for (size_t i = 0; i < frags.len && status == EMBER_OK; i++)
    {
      const fragment *f = &frags.data[i];

      if (f->id != EMBER_TOKEN_NULL)
        {
          push_id (&out, f->id);
          prev_special = true;
          continue;
        }
      switch (tok->kind)
        {
        case EMBER_TOKENIZER_SPM:
          /* A leading space at the start and after each special token; then
           * every space is written "▁". */
          spm_text.len = 0;
          if (tok->add_space_prefix && prev_special)
            append_bytes (&spm_text, "\xe2\x96\x81", 3);
          for (size_t j = 0; j < f->len; j++)
            {
              if (text[f->off + j] == ' ')
                append_bytes (&spm_text, "\xe2\x96\x81", 3);
              else
                append_bytes (&spm_text, &text[f->off + j], 1);
            }
          if (!spm_text.oom)
            spm_encode (tok, spm_text.data, spm_text.len, &syms, &h, &out);
          break;
        case EMBER_TOKENIZER_BPE:
          status = bpe_encode (tok, text + f->off, f->len, &bpe, &out, error);
          break;
        case EMBER_TOKENIZER_WPM:
        default:
          status = wpm_encode (tok, text + f->off, f->len, &out, error);
          break;
        }
      prev_special = false;
    }

  if (add_special && tok->kind == EMBER_TOKENIZER_WPM)
    push_id (&out, tok->sep);
  else if (add_special && tok->add_eos)
    push_id (&out, tok->eos);

  if (status == EMBER_OK && (out.oom || spm_text.oom || syms.oom || h.oom || bpe.syms.oom ||
                             bpe.heap.oom || bpe.word.oom || bpe.key.oom))
    status = ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory tokenizing");
  free (frags.data);
  free (spm_text.data);
  free (syms.data);
  free (h.data);
  free (bpe.syms.data);
  free (bpe.heap.data);
  free (bpe.word.data);
  free (bpe.key.data);
  if (status != EMBER_OK)
    {
      free (out.data);
      return status;
    }
  *ids = out.data;
  *n_ids = out.len;
  if (out.len == 0)
    {
      free (out.data);
      *ids = NULL;
    }
  return EMBER_OK;
}
