/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * "Save as Profile…": asks for a name (checked as it is typed with
 * hearth_model_name_parse (); the model it is made from refused; one that
 * exists turns the button into "Replace"), then writes a profile FROM a
 * chat's model with the chat's own settings over it — only what differs
 * from the model's own — with hearth_profile_create () on a thread. The
 * outcome is said in a toast of the window of the widget that asked.
 */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "hearth-library.h"
#include "hearth-modelfile.h"

G_BEGIN_DECLS

/* A Modelfile FROM @model (a model of the store, or a GGUF's path) with
 * @settings (a chat's own, as the chat store keeps them: "system", "stop"
 * and Ollama's parameters) as its SYSTEM and PARAMETERs. */
HearthModelfile *hearth_save_profile_modelfile (const char *model,
                                                JsonObject *settings);

/* Shows the dialog over @parent's window and, when a name is given, writes
 * the profile into @library's store; @library is refreshed when it is
 * written, so that every model drop-down has it at once. Returns the
 * dialog (owned by GTK; gone once answered). */
GtkWindow *hearth_save_profile (GtkWidget     *parent,
                                HearthLibrary *library,
                                const char    *model,
                                JsonObject    *settings);

G_END_DECLS
