/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libFuzzer harness for the GGUF reader (-Dfuzz=true, clang): every input
 * must load, and then every byte the reader vouches for is read, or fail
 * with a message. Run:
 *   build-fuzz/tests/fuzz-gguf -max_total_time=600 CORPUS_DIR ../shared/models
 */

#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "ember.h"
#include "gguf-touch.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  ember_gguf *gguf = NULL;
  ember_error error = { 0 };

  if (ember_gguf_open_memory (data, size, &gguf, &error) == EMBER_OK)
    {
      gguf_touch (gguf);
      ember_gguf_close (gguf);
    }
  else if (error.message[0] == '\0')
    __builtin_trap (); /* a failure must say why */
  return 0;
}
