/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What Ollama needs beside a GGUF file to chat with it: a Go template, stop
 * strings and the default system prompt. Hearth renders a model's own Jinja
 * chat template itself; these are written into the store's manifests (the
 * template, params and system layers) so that Ollama, reading the same
 * store, formats conversations the way the model was trained to.
 *
 * The family is recognised from the markers of the Jinja template (ChatML,
 * Llama 3, Gemma, Phi-3, Mistral's three formats, DeepSeek-R1); the Go templates are
 * Hearth's own, in data/ollama/. The default system prompt is found by
 * rendering the Jinja template with and without a system message; one that
 * changes with the date (Llama 3.1's "Today Date") is not a default.
 */
#pragma once

#include <glib.h>

#include "hearth-gguf.h"

G_BEGIN_DECLS

typedef struct
{
  const char *family;   /* "chatml", "llama3", "gemma", "phi3", "mistral",
                           "mistral-tekken", "mistral-v7", "deepseek-r1"
                           (static) */
  char       *template; /* Go template, as Ollama's template layer holds it */
  char      **stop;     /* stop strings, NULL-terminated */
  char       *system;   /* the default system prompt, or NULL */
} HearthOllamaTemplate;

/* The Ollama template for the Jinja chat template @jinja (@len bytes, or -1);
 * @bos and @eos are the model's special tokens as text (may be NULL). NULL
 * when the format is not one Hearth knows (Ollama then uses its plain
 * "{{ .Prompt }}"). */
HearthOllamaTemplate *hearth_ollama_template_new (const char *jinja,
                                                  gssize      len,
                                                  const char *bos,
                                                  const char *eos);

/* The same for a GGUF's tokenizer.chat_template; NULL when it has none. */
HearthOllamaTemplate *hearth_ollama_template_new_for_gguf (HearthGguf *gguf);

/* The params layer: {"stop": [...]} as JSON text. */
char *hearth_ollama_template_params (const HearthOllamaTemplate *self);

void hearth_ollama_template_free (HearthOllamaTemplate *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthOllamaTemplate, hearth_ollama_template_free)

G_END_DECLS
