/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For the other wrappers of app/engine/ only: the engine's reader behind a
 * HearthGguf.
 */
#pragma once

#include "ember.h"
#include "hearth-gguf.h"

G_BEGIN_DECLS

/* Borrowed from @self. */
const ember_gguf *hearth_gguf_get_reader (HearthGguf *self);

G_END_DECLS
