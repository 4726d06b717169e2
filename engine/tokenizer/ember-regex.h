/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A small backtracking regular-expression engine over code points, for the
 * pre-tokenizer patterns that llama.cpp runs. Internal.
 *
 * Supported: literals (any UTF-8), escapes \r \n \t \f \v and escaped
 * punctuation, \s \S \d \D, \p{…} and \P{…} for general categories (L, Lu,
 * Ll, Lt, Lm, Lo, M, Mn, Mc, Me, N, Nd, Nl, No, P…, S…, Z…, C…) and Han
 * (llama.cpp's Han blocks), classes […] and [^…] with ranges, groups (…),
 * (?:…), lookahead (?=…) and (?!…), alternation, the greedy quantifiers
 * ? * + {n} {n,} {n,m}, '.', and '$' (end of the piece). Matching is
 * leftmost-first, as in Python, Rust and ECMAScript.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember-common.h"

typedef struct ember_regex ember_regex;

/* Compiles @pattern (UTF-8). On failure @error names the pattern, the
 * offset and what is not supported there. */
ember_status ember_regex_new (const char   *pattern,
                              ember_regex **out,
                              ember_error  *error);
void ember_regex_free (ember_regex *re);

/* Tries to match at @start within cps[0..n): true with *end set when it
 * matches; a match ending at or before @min_end is refused (so that
 * min_end == start asks for a non-empty match). */
bool ember_regex_match_at (const ember_regex *re,
                           const uint32_t    *cps,
                           size_t             n,
                           size_t             start,
                           size_t             min_end,
                           size_t            *end);

/* Splits cps[0..n) the way llama.cpp's unicode_regex_split does for one
 * pattern: every match and every stretch between matches becomes a piece
 * (empty matches make no piece). Appends piece lengths to *lengths (a
 * growing array of *n_lengths entries, *capacity allocated). False only when
 * out of memory. */
bool ember_regex_split (const ember_regex *re,
                        const uint32_t    *cps,
                        size_t             n,
                        size_t           **lengths,
                        size_t            *n_lengths,
                        size_t            *capacity);
