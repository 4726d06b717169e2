/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Tokenizers, exactly as llama.cpp tokenizes: SentencePiece-style "llama"
 * vocabularies (scores, byte fallback, the leading-space convention),
 * byte-level BPE "gpt2" vocabularies (merges and the pre-tokenizer that
 * tokenizer.ggml.pre names) and WordPiece "bert" vocabularies. Part of the
 * public API (included by ember.h). A tokenizer is read-only once made and
 * may be used from several threads at once; a detokenizer belongs to one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember-common.h"
#include "ember-gguf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ember_tokenizer ember_tokenizer;
typedef struct ember_detokenizer ember_detokenizer;

#define EMBER_TOKEN_NULL (-1)

typedef enum {
  EMBER_TOKENIZER_SPM,   /* tokenizer.ggml.model "llama" */
  EMBER_TOKENIZER_BPE,   /* "gpt2" */
  EMBER_TOKENIZER_WPM,   /* "bert" */
} ember_tokenizer_kind;

/* tokenizer.ggml.token_type values. */
typedef enum {
  EMBER_TOKEN_TYPE_UNDEFINED = 0,
  EMBER_TOKEN_TYPE_NORMAL = 1,
  EMBER_TOKEN_TYPE_UNKNOWN = 2,
  EMBER_TOKEN_TYPE_CONTROL = 3,
  EMBER_TOKEN_TYPE_USER_DEFINED = 4,
  EMBER_TOKEN_TYPE_UNUSED = 5,
  EMBER_TOKEN_TYPE_BYTE = 6,
} ember_token_type;

typedef enum {
  /* Add BOS (and EOS, and BERT's SEP) where the model says to. */
  EMBER_TOKENIZE_ADD_SPECIAL = 1 << 0,
  /* Recognise control tokens ("<|im_start|>") written in the text;
   * user-defined tokens are always recognised. */
  EMBER_TOKENIZE_PARSE_SPECIAL = 1 << 1,
} ember_tokenize_flags;

typedef enum {
  /* Render control and unknown tokens as their text (else nothing). */
  EMBER_DETOKENIZE_RENDER_SPECIAL = 1 << 0,
  /* Drop the BOS and EOS that ADD_SPECIAL would have added. */
  EMBER_DETOKENIZE_REMOVE_SPECIAL = 1 << 1,
} ember_detokenize_flags;

/* Reads the vocabulary from @gguf's tokenizer.ggml.* metadata and checks it
 * all (types, lengths, ids in range, well-formed merges, a known
 * pre-tokenizer). The result does not refer to @gguf. */
ember_status ember_tokenizer_new_from_gguf (const ember_gguf  *gguf,
                                            ember_tokenizer  **out,
                                            ember_error       *error);
void ember_tokenizer_free (ember_tokenizer *tok);

ember_tokenizer_kind ember_tokenizer_get_kind (const ember_tokenizer *tok);
/* tokenizer.ggml.pre for BPE vocabularies ("default" when absent), else NULL. */
const char *ember_tokenizer_get_pre (const ember_tokenizer *tok);
uint32_t ember_tokenizer_get_n_vocab (const ember_tokenizer *tok);
/* Special token ids, EMBER_TOKEN_NULL when the vocabulary has none. */
int32_t ember_tokenizer_get_bos (const ember_tokenizer *tok);
int32_t ember_tokenizer_get_eos (const ember_tokenizer *tok);
int32_t ember_tokenizer_get_eot (const ember_tokenizer *tok);
int32_t ember_tokenizer_get_unk (const ember_tokenizer *tok);
int32_t ember_tokenizer_get_pad (const ember_tokenizer *tok);
bool ember_tokenizer_get_add_bos (const ember_tokenizer *tok);
bool ember_tokenizer_get_add_eos (const ember_tokenizer *tok);
/* Whether @id ends generation (EOS, EOT, <|im_end|> …). */
bool ember_tokenizer_is_eog (const ember_tokenizer *tok, int32_t id);
/* UNDEFINED for an id out of range. */
ember_token_type ember_tokenizer_get_token_type (const ember_tokenizer *tok, int32_t id);
/* The token's text as stored in the vocabulary (owned by @tok), NULL for an
 * id out of range; *length (may be NULL) gets its length. */
const char *ember_tokenizer_get_token_text (const ember_tokenizer *tok, int32_t id, size_t *length);
float ember_tokenizer_get_token_score (const ember_tokenizer *tok, int32_t id);

/* Tokenizes @len bytes of @text (any bytes: bad UTF-8 is handled as
 * llama.cpp does). *ids is newly allocated (free() it; NULL when *n_ids is
 * 0). */
ember_status ember_tokenizer_encode (const ember_tokenizer *tok,
                                     const char            *text,
                                     size_t                 len,
                                     ember_tokenize_flags   flags,
                                     int32_t              **ids,
                                     size_t                *n_ids,
                                     ember_error           *error);

/* The bytes that token @id stands for (a piece may be part of a UTF-8
 * sequence). Writes at most @size bytes to @buf, no NUL, and returns the
 * piece's full length, as snprintf does; 0 for an id out of range. */
size_t ember_tokenizer_token_to_piece (const ember_tokenizer *tok,
                                       int32_t                id,
                                       bool                   render_special,
                                       char                  *buf,
                                       size_t                 size);

/* Turns @ids back into text, as llama.cpp's detokenize does (the leading
 * space of SentencePiece removed, BPE's clean-up of spaces before
 * punctuation where the vocabulary asks for it). *text is newly allocated
 * and NUL-terminated (free() it); the bytes may not be valid UTF-8. */
ember_status ember_tokenizer_decode (const ember_tokenizer  *tok,
                                     const int32_t          *ids,
                                     size_t                  n_ids,
                                     ember_detokenize_flags  flags,
                                     char                  **text,
                                     size_t                 *len,
                                     ember_error            *error);

/* Streaming: feed generated ids one at a time and get back only complete,
 * valid UTF-8 (a bad sequence becomes U+FFFD); what is held back comes out
 * with a later id or at the flush. The first piece loses its leading space
 * as in ember_tokenizer_decode. @tok must outlive the detokenizer. NULL only
 * when out of memory. */
ember_detokenizer *ember_detokenizer_new (const ember_tokenizer  *tok,
                                          ember_detokenize_flags  flags);
void ember_detokenizer_free (ember_detokenizer *detok);
/* *text (owned by @detok, valid until its next call) gets *len bytes, maybe
 * none. An id out of range is an error. */
ember_status ember_detokenizer_feed (ember_detokenizer  *detok,
                                     int32_t             id,
                                     const char        **text,
                                     size_t             *len,
                                     ember_error        *error);
/* Everything still held back (an unfinished sequence becomes U+FFFD); then
 * the detokenizer starts afresh. */
void ember_detokenizer_flush (ember_detokenizer  *detok,
                              const char        **text,
                              size_t             *len);

#ifdef __cplusplus
}
#endif
