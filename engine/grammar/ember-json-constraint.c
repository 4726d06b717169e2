/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tokens through the matcher: each token's bytes as the detokenizer writes
 * them (SentencePiece's "▁" a space, byte tokens <0x7B> their byte, BPE's
 * code points their bytes), read once from the vocabulary. Which first
 * bytes may come next is worked out once a step (256 one-byte tries), so
 * that most tokens are refused without a try of their own.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ember-json-grammar.h"

enum {
  TOKEN_TEXT,
  TOKEN_EOG,     /* ends generation: only where the document is complete */
  TOKEN_NEVER,   /* control, unknown, or no text at all */
};

struct ember_json_constraint {
  const ember_tokenizer *tok;
  ember_json_matcher *matcher;
  uint32_t n_vocab;
  char *bytes;              /* every token's piece, one after the other */
  uint32_t *offsets;        /* token i is bytes[offsets[i] .. offsets[i + 1]) */
  uint8_t *kinds;

  /* for the current state, worked out when first needed */
  bool known;
  bool first_ok[256];
  uint32_t distance;
};

void
ember_json_constraint_free (ember_json_constraint *c)
{
  if (c == NULL)
    return;
  ember_json_matcher_free (c->matcher);
  free (c->bytes);
  free (c->offsets);
  free (c->kinds);
  free (c);
}

ember_json_constraint *
ember_json_constraint_new (const ember_json_grammar *grammar,
                           const ember_tokenizer    *tok)
{
  ember_json_constraint *c = calloc (1, sizeof *c);
  size_t cap = 0, used = 0;

  if (c == NULL)
    return NULL;
  c->tok = tok;
  c->n_vocab = ember_tokenizer_get_n_vocab (tok);
  c->matcher = ember_json_matcher_new (grammar);
  c->offsets = malloc (((size_t) c->n_vocab + 1) * sizeof *c->offsets);
  c->kinds = malloc (c->n_vocab);
  if (c->matcher == NULL || c->offsets == NULL || c->kinds == NULL)
    goto oom;

  for (uint32_t id = 0; id < c->n_vocab; id++)
    {
      ember_token_type type = ember_tokenizer_get_token_type (tok, (int32_t) id);
      char small[64];
      size_t len;

      c->offsets[id] = (uint32_t) used;
      if (ember_tokenizer_is_eog (tok, (int32_t) id))
        {
          c->kinds[id] = TOKEN_EOG;
          continue;
        }
      if (type == EMBER_TOKEN_TYPE_CONTROL || type == EMBER_TOKEN_TYPE_UNKNOWN
          || type == EMBER_TOKEN_TYPE_UNUSED)
        {
          c->kinds[id] = TOKEN_NEVER;
          continue;
        }
      len = ember_tokenizer_token_to_piece (tok, (int32_t) id, false, small, sizeof small);
      c->kinds[id] = len > 0 ? TOKEN_TEXT : TOKEN_NEVER;
      if (used + len > cap)
        {
          size_t new_cap = cap < 4096 ? 4096 : cap;
          char *bytes;

          while (new_cap < used + len)
            new_cap *= 2;
          if (new_cap > UINT32_MAX)
            goto oom;
          bytes = realloc (c->bytes, new_cap);
          if (bytes == NULL)
            goto oom;
          c->bytes = bytes;
          cap = new_cap;
        }
      if (len <= sizeof small)
        memcpy (c->bytes + used, small, len);
      else
        ember_tokenizer_token_to_piece (tok, (int32_t) id, false, c->bytes + used, len);
      used += len;
    }
  c->offsets[c->n_vocab] = (uint32_t) used;
  return c;

oom:
  ember_json_constraint_free (c);
  return NULL;
}

static void
work_out_state (ember_json_constraint *c)
{
  if (c->known)
    return;
  for (int b = 0; b < 256; b++)
    {
      char byte = (char) b;

      c->first_ok[b] = ember_json_matcher_try (c->matcher, &byte, 1, NULL);
    }
  c->distance = ember_json_matcher_get_distance (c->matcher);
  c->known = true;
}

bool
ember_json_constraint_allows (ember_json_constraint *c,
                              int32_t                token,
                              uint32_t               budget)
{
  uint32_t start, length, after;

  if (token < 0 || (uint32_t) token >= c->n_vocab)
    return false;
  if (c->kinds[token] == TOKEN_NEVER)
    return false;
  if (c->kinds[token] == TOKEN_EOG)
    return ember_json_matcher_is_complete (c->matcher);
  work_out_state (c);
  start = c->offsets[token];
  length = c->offsets[token + 1] - start;
  if (!c->first_ok[(uint8_t) c->bytes[start]])
    return false;
  if (length == 1 && budget == EMBER_JSON_NO_BUDGET)
    return true;
  if (!ember_json_matcher_try (c->matcher, c->bytes + start, length, &after))
    return false;
  if (budget == EMBER_JSON_NO_BUDGET)
    return true;
  /* the document can still end in time (a byte a token at worst): it must
   * stay so; else each token must at least bring the end nearer */
  if (c->distance <= budget)
    return after <= budget - 1;
  return after < c->distance;
}

bool
ember_json_constraint_accept (ember_json_constraint *c,
                              int32_t                token)
{
  uint32_t start;

  if (token < 0 || (uint32_t) token >= c->n_vocab || c->kinds[token] == TOKEN_NEVER)
    return false;
  if (c->kinds[token] == TOKEN_EOG)
    return ember_json_matcher_is_complete (c->matcher);
  start = c->offsets[token];
  if (!ember_json_matcher_feed (c->matcher, c->bytes + start, c->offsets[token + 1] - start))
    return false;
  c->known = false;
  return true;
}

const ember_json_matcher *
ember_json_constraint_get_matcher (const ember_json_constraint *c)
{
  return c->matcher;
}
