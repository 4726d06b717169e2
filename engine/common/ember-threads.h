/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small pool of worker threads for data-parallel loops: the caller and
 * n - 1 workers take pieces of [0, n_items) in turn. Internal.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct ember_pool ember_pool;

/* Called for items [begin, end) on some thread. */
typedef void (*ember_pool_func) (void *data, uint64_t begin, uint64_t end);

/* NULL when threads cannot be made; n_threads <= 1 makes a pool that runs
 * everything on the caller's thread. */
ember_pool *ember_pool_new (uint32_t n_threads);
void ember_pool_free (ember_pool *pool);
uint32_t ember_pool_get_n_threads (const ember_pool *pool);

/* Runs @func over [0, n_items) split in contiguous pieces, which the
 * caller and the workers take in turn as each finishes the one before, and
 * returns when every piece is done. */
void ember_pool_run (ember_pool     *pool,
                     ember_pool_func func,
                     void           *data,
                     uint64_t        n_items);
