/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * HearthRemoteModels: the models that the remote servers offer, for the
 * lists that show them beside the local ones (the chat's model drop-down,
 * the profile editor's base models). Asks each server of a
 * HearthRemoteServers for its models, asynchronously, and asks again when
 * the servers change; a server that does not answer has no models here
 * (and what it said is kept, for whoever wants to show it).
 *
 * Main thread only; "changed" is emitted on the main context each time
 * a server's answer arrives or the servers change.
 */
#pragma once

#include <glib-object.h>

#include "hearth-remote-servers.h"

G_BEGIN_DECLS

/* One model on one server (borrowed from the HearthRemoteModels). */
typedef struct
{
  char *server_id;
  char *model;                  /* the name the server gives it */
  char *model_string;           /* "remote://ID/MODEL", a chat's model */
  char *label;                  /* "MODEL (Server name)" */
  char *from;                   /* "URL/MODEL" for a Modelfile's FROM (Ollama
                                   servers), else NULL */
} HearthRemoteModel;

#define HEARTH_TYPE_REMOTE_MODELS (hearth_remote_models_get_type ())
G_DECLARE_FINAL_TYPE (HearthRemoteModels, hearth_remote_models, HEARTH, REMOTE_MODELS, GObject)

/* Starts asking @servers' servers at once. */
HearthRemoteModels *hearth_remote_models_new (HearthRemoteServers *servers);

/* Asks every server again (a server may have new models). */
void hearth_remote_models_refresh (HearthRemoteModels *self);

/* The models known now, servers in their list's order, each server's
 * models in its own order: HearthRemoteModel, borrowed, valid until the
 * next "changed". */
GPtrArray *hearth_remote_models_get (HearthRemoteModels *self);

G_END_DECLS
