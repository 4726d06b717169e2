/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ember: Hearth's inference engine. A plain C11 library: no GTK, no GObject,
 * no printing, no exit(), no global mutable state. Every fallible call returns
 * an ember_status and, when it fails, fills the caller's ember_error (which may
 * be NULL) with a message a person can act on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember-common.h"

/* The public API, one header per concern. */
#include "ember-types.h"
#include "ember-gguf.h"
#include "ember-gguf-writer.h"
#include "ember-model-info.h"
#include "ember-model.h"
#include "ember-vulkan.h"
#include "ember-cpu-kernels.h"
#include "ember-context.h"
#include "ember-sampler.h"
#include "ember-generate.h"
#include "ember-quant.h"
#include "ember-tokenizer.h"
#include "ember-template.h"
#include "ember-json-grammar.h"
