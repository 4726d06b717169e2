/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sampler's steps, one small function each, for the tests.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  int32_t id;
  float logit;
  float p;
} ember_candidate;

typedef struct {
  ember_candidate *data;
  uint32_t size;
  bool sorted;  /* by logit, descending */
} ember_candidates;

/* @c in id order (candidate i is token i); @history is sorted in place. */
void ember_sample_penalties (ember_candidates *c, int32_t *history, uint32_t n_history,
                             float repeat, float frequency, float presence);
void ember_sample_top_k (ember_candidates *c, int32_t k);
void ember_sample_softmax (ember_candidates *c);
void ember_sample_typical (ember_candidates *c, float p);
void ember_sample_top_p (ember_candidates *c, float p);
void ember_sample_min_p (ember_candidates *c, float p);
void ember_sample_temperature (ember_candidates *c, float t);
int32_t ember_sample_greedy (const ember_candidates *c);
/* Draws from the softmax of @c with @u uniform in [0, 1). */
int32_t ember_sample_draw (ember_candidates *c, double u);
