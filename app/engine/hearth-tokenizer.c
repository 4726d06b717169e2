/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "hearth-tokenizer"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ember.h"
#include "hearth-gguf-private.h"
#include "hearth-tokenizer.h"

struct _HearthTokenizer
{
  gatomicrefcount ref_count;
  ember_tokenizer *tok;   /* owned; read-only after construction */
};

G_DEFINE_QUARK (hearth-tokenizer-error-quark, hearth_tokenizer_error)

G_DEFINE_BOXED_TYPE (HearthTokenizer, hearth_tokenizer, hearth_tokenizer_ref, hearth_tokenizer_unref)

HearthTokenizer *
hearth_tokenizer_new (HearthGguf  *gguf,
                      GError     **error)
{
  HearthTokenizer *self;
  ember_tokenizer *tok = NULL;
  ember_error e = { 0 };

  g_return_val_if_fail (gguf != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (ember_tokenizer_new_from_gguf (hearth_gguf_get_reader (gguf), &tok, &e) != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_TOKENIZER_ERROR, HEARTH_TOKENIZER_ERROR_VOCABULARY,
                           e.message);
      return NULL;
    }
  self = g_new0 (HearthTokenizer, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->tok = tok;
  return self;
}

HearthTokenizer *
hearth_tokenizer_ref (HearthTokenizer *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
hearth_tokenizer_unref (HearthTokenizer *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  ember_tokenizer_free (self->tok);
  g_free (self);
}

GArray *
hearth_tokenizer_encode (HearthTokenizer      *self,
                         const char           *text,
                         gssize                len,
                         HearthTokenizeFlags   flags,
                         GError              **error)
{
  ember_tokenize_flags engine_flags = 0;
  ember_error e = { 0 };
  int32_t *ids = NULL;
  size_t n_ids = 0, first = 0;
  GArray *result;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 0)
    len = (gssize) strlen (text);
  if (flags & HEARTH_TOKENIZE_ADD_SPECIAL)
    engine_flags |= EMBER_TOKENIZE_ADD_SPECIAL;
  if (flags & HEARTH_TOKENIZE_PARSE_SPECIAL)
    engine_flags |= EMBER_TOKENIZE_PARSE_SPECIAL;
  if (ember_tokenizer_encode (self->tok, text, (size_t) len, engine_flags, &ids, &n_ids, &e)
      != EMBER_OK)
    {
      g_set_error_literal (error, HEARTH_TOKENIZER_ERROR, HEARTH_TOKENIZER_ERROR_ENCODE, e.message);
      return NULL;
    }

  /* the BOS that the model adds, left out on request */
  if ((flags & HEARTH_TOKENIZE_NO_BOS) && ember_tokenizer_get_add_bos (self->tok) && n_ids > 0
      && ids[0] == ember_tokenizer_get_bos (self->tok))
    first = 1;
  result = g_array_sized_new (FALSE, FALSE, sizeof (gint32), (guint) (n_ids - first));
  if (n_ids > first)
    g_array_append_vals (result, ids + first, (guint) (n_ids - first));
  free (ids);
  return result;
}

guint
hearth_tokenizer_get_n_vocab (HearthTokenizer *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return ember_tokenizer_get_n_vocab (self->tok);
}

gint32
hearth_tokenizer_get_bos (HearthTokenizer *self)
{
  int32_t bos;

  g_return_val_if_fail (self != NULL, -1);

  bos = ember_tokenizer_get_bos (self->tok);
  return bos == EMBER_TOKEN_NULL ? -1 : bos;
}

gboolean
hearth_tokenizer_get_add_bos (HearthTokenizer *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return ember_tokenizer_get_add_bos (self->tok);
}

const char *
hearth_tokenizer_get_token_text (HearthTokenizer *self,
                                 gint32           id,
                                 gsize           *length)
{
  size_t len = 0;
  const char *text;

  g_return_val_if_fail (self != NULL, NULL);

  text = ember_tokenizer_get_token_text (self->tok, id, &len);
  if (length != NULL)
    *length = text != NULL ? len : 0;
  return text;
}
