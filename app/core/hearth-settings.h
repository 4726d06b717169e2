/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthSettings: the settings a reply is written with, and where each one
 * comes from. They resolve as Ollama's do, each level over the one before:
 * Ollama's defaults < the model's own params layer (a profile is a model)
 * < the chat's settings < one reply's "write again with…". Each level is a
 * JSON object of Ollama's parameters by Ollama's names ({"temperature":
 * 0.7, "stop": ["<|end|>"], "num_ctx": 4096}), the chat's and the reply's
 * also "system" (a system prompt).
 *
 * GTK-free; the window, `hearth run` and later `hearth serve` resolve the
 * same way, and hearth_settings_apply_to () puts the result in a request.
 */

#pragma once

#include <json-glib/json-glib.h>

#include "hearth-model-layers.h"
#include "hearth-request.h"

G_BEGIN_DECLS

typedef enum
{
  HEARTH_SETTING_DEFAULT,       /* Ollama's default */
  HEARTH_SETTING_MODEL,         /* the model's (or profile's) params layer */
  HEARTH_SETTING_CHAT,          /* this chat's settings */
  HEARTH_SETTING_REPLY,         /* this one reply ("write again with…") */
  HEARTH_SETTING_REQUEST,       /* a request of an API client's (`hearth serve`) */
} HearthSettingSource;

typedef struct _HearthSettings HearthSettings;

HearthSettings *hearth_settings_new (void);
void hearth_settings_free (HearthSettings *self);

/* Lays @params (a JSON object; NULL: nothing) over what is there, as level
 * @source. Values of the wrong type or out of range are refused with a
 * message naming the parameter and the level, and nothing of @params is
 * applied. Parameters Hearth does not use (num_gpu, use_mmap …) are kept
 * out of the options, without an error, from a model's layer (a model from
 * Ollama may set them) and from an API client's request (clients written
 * for Ollama send them, and Ollama ignores what it does not know); a
 * chat's or a reply's are refused. */
gboolean hearth_settings_apply_json (HearthSettings       *self,
                                     JsonObject           *params,
                                     HearthSettingSource   source,
                                     GError              **error);

/* The same from a JSON text (a layer's blob, a chat's column). */
gboolean hearth_settings_apply_text (HearthSettings       *self,
                                     const char           *json,
                                     HearthSettingSource   source,
                                     GError              **error);

/* The model's own layers (a profile is a model), under everything laid
 * after: its params and its system prompt at HEARTH_SETTING_MODEL, its
 * example messages (put before the conversation) and its chat template,
 * Jinja or Go's (Ollama's), used instead of the GGUF's. */
gboolean hearth_settings_apply_model (HearthSettings           *self,
                                      const HearthModelLayers  *layers,
                                      GError                  **error);

/* The settings of model @model of @store: @base (NULL: Ollama's
 * defaults) under its own layers. @model NULL: a GGUF file of its own,
 * outside the store, which has no layers (the caller knows which it has:
 * hearth_cli_resolve_model (), a chat's model). The Go template Hearth writes beside an imported GGUF for Ollama
 * is not used: the file's own Jinja template is exact. NULL, with a
 * message naming the model, where its layers are damaged. */
HearthSettings *hearth_settings_new_for_model (HearthStore          *store,
                                               const char           *model,
                                               const HearthOptions  *base,
                                               GError              **error);

const HearthOptions *hearth_settings_get_options (HearthSettings *self);
/* NULL-terminated; empty when none. */
const char *const *hearth_settings_get_stop (HearthSettings *self);
/* The model's own chat template that the model reads instead of its
 * GGUF's (Jinja or Go's), or NULL: the GGUF's. */
const char *hearth_settings_get_template (HearthSettings *self);
/* The system prompt, or NULL. */
const char *hearth_settings_get_system (HearthSettings *self);

/* The model's (a profile's) rules (borrowed), or NULL where it has none. */
HearthRules *hearth_settings_get_rules (HearthSettings *self);

/* Where the value of @name ("temperature", "stop", "system" …) comes from. */
HearthSettingSource hearth_settings_get_source (HearthSettings *self,
                                                const char     *name);

/* A static, translated name of @source ("the model", "this chat" …). */
const char *hearth_setting_source_to_string (HearthSettingSource source);

/* Puts the options and stop strings in @request; the system prompt as its
 * first message unless it starts with a system message already, then the
 * model's example messages; the model's own template; the model's rules
 * (hearth_rules_set_on_request ()). */
void hearth_settings_apply_to (HearthSettings *self,
                               HearthRequest  *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HearthSettings, hearth_settings_free)

G_END_DECLS
