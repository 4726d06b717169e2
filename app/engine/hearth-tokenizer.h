/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A model's tokenizer, read from its GGUF file: text to token ids, and the
 * texts of tokens. A reference-counted boxed type; it does not refer to the
 * HearthGguf it was made from. Read-only once made: usable from several
 * threads at once.
 */
#pragma once

#include <glib-object.h>

#include "hearth-gguf.h"

G_BEGIN_DECLS

#define HEARTH_TOKENIZER_ERROR (hearth_tokenizer_error_quark ())

typedef enum
{
  HEARTH_TOKENIZER_ERROR_VOCABULARY, /* the file's vocabulary is missing or unusable */
  HEARTH_TOKENIZER_ERROR_ENCODE,     /* the text cannot be tokenized */
} HearthTokenizerError;

GQuark hearth_tokenizer_error_quark (void);

typedef enum
{
  HEARTH_TOKENIZE_NONE = 0,
  /* add the BOS (and EOS) where the model says to */
  HEARTH_TOKENIZE_ADD_SPECIAL = 1 << 0,
  /* recognise control tokens ("<|im_start|>") written in the text */
  HEARTH_TOKENIZE_PARSE_SPECIAL = 1 << 1,
  /* with ADD_SPECIAL: leave out the BOS it adds, where it adds one */
  HEARTH_TOKENIZE_NO_BOS = 1 << 2,
} HearthTokenizeFlags;

#define HEARTH_TYPE_TOKENIZER (hearth_tokenizer_get_type ())

typedef struct _HearthTokenizer HearthTokenizer;

GType hearth_tokenizer_get_type (void) G_GNUC_CONST;

/* Reads and checks the vocabulary of @gguf. The error
 * (HEARTH_TOKENIZER_ERROR_VOCABULARY) says what is wrong, without naming
 * the file. */
HearthTokenizer *hearth_tokenizer_new (HearthGguf  *gguf,
                                       GError     **error);

HearthTokenizer *hearth_tokenizer_ref (HearthTokenizer *self);
void hearth_tokenizer_unref (HearthTokenizer *self);

/* The token ids (gint32) of @len bytes of @text (-1: NUL-terminated), in a
 * new array (possibly empty); NULL with HEARTH_TOKENIZER_ERROR_ENCODE. */
GArray *hearth_tokenizer_encode (HearthTokenizer      *self,
                                 const char           *text,
                                 gssize                len,
                                 HearthTokenizeFlags   flags,
                                 GError              **error);

guint hearth_tokenizer_get_n_vocab (HearthTokenizer *self);
/* The BOS token's id, or -1 where the vocabulary has none. */
gint32 hearth_tokenizer_get_bos (HearthTokenizer *self);
/* Whether the model wants a BOS at the start of a prompt. */
gboolean hearth_tokenizer_get_add_bos (HearthTokenizer *self);
/* The text of token @id as the vocabulary stores it (borrowed), or NULL for
 * an id out of range; *length (may be NULL) gets its length. */
const char *hearth_tokenizer_get_token_text (HearthTokenizer *self,
                                             gint32           id,
                                             gsize           *length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthTokenizer, hearth_tokenizer_unref)

G_END_DECLS
