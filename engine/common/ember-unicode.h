/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Unicode for the tokenizers: UTF-8 decoding and encoding with llama.cpp's
 * handling of bad bytes, general categories, White_Space, simple lowercase,
 * and the first code point of NFD (accent stripping). Internal; the tables
 * are generated at build time by gen-unicode-tables.py.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* General categories, in the generator's order. */
typedef enum {
  EMBER_UCAT_CN, EMBER_UCAT_LU, EMBER_UCAT_LL, EMBER_UCAT_LT, EMBER_UCAT_LM,
  EMBER_UCAT_LO, EMBER_UCAT_MN, EMBER_UCAT_MC, EMBER_UCAT_ME, EMBER_UCAT_ND,
  EMBER_UCAT_NL, EMBER_UCAT_NO, EMBER_UCAT_PC, EMBER_UCAT_PD, EMBER_UCAT_PS,
  EMBER_UCAT_PE, EMBER_UCAT_PI, EMBER_UCAT_PF, EMBER_UCAT_PO, EMBER_UCAT_SM,
  EMBER_UCAT_SC, EMBER_UCAT_SK, EMBER_UCAT_SO, EMBER_UCAT_ZS, EMBER_UCAT_ZL,
  EMBER_UCAT_ZP, EMBER_UCAT_CC, EMBER_UCAT_CF, EMBER_UCAT_CS, EMBER_UCAT_CO,
  EMBER_UCAT_COUNT,
} ember_unicode_category;

/* Flags as llama.cpp groups them (its unicode_cpt_flags). Every code point
 * below 0x110000 has at least one flag: unassigned ones are UNDEFINED. */
enum {
  EMBER_UNICODE_UNDEFINED   = 1 << 0,
  EMBER_UNICODE_NUMBER      = 1 << 1,  /* \p{N} */
  EMBER_UNICODE_LETTER      = 1 << 2,  /* \p{L} */
  EMBER_UNICODE_SEPARATOR   = 1 << 3,  /* \p{Z} */
  EMBER_UNICODE_MARK        = 1 << 4,  /* \p{M} */
  EMBER_UNICODE_PUNCTUATION = 1 << 5,  /* \p{P} */
  EMBER_UNICODE_SYMBOL      = 1 << 6,  /* \p{S} */
  EMBER_UNICODE_CONTROL     = 1 << 7,  /* \p{C} except Cn */
  EMBER_UNICODE_WHITESPACE  = 1 << 8,  /* \s: the White_Space property */
};

#define EMBER_UNICODE_REPLACEMENT 0xFFFDu
#define EMBER_UNICODE_MAX 0x110000u

/* The Unicode version of the tables ("14.0.0"). */
const char *ember_unicode_version (void);

/* The length of the UTF-8 sequence that @lead starts, from its top four
 * bits alone (1 for continuation bytes), as llama.cpp's unicode_len_utf8. */
size_t ember_utf8_sequence_length (uint8_t lead);

/* Decodes one code point at @text (@len > 0 bytes) and stores how many bytes
 * it used in *used. A bad sequence (a stray continuation byte, a truncated
 * sequence, a bad lead byte) yields U+FFFD for one byte, as llama.cpp does.
 * Like llama.cpp it accepts overlong forms and surrogates; a value past
 * U+10FFFF is treated as bad. */
uint32_t ember_utf8_decode (const char *text, size_t len, size_t *used);

/* Writes @cp (< 0x110000) as UTF-8 into @out and returns its length (1–4);
 * anything larger is written as U+FFFD. */
size_t ember_utf8_encode (uint32_t cp, char out[4]);

/* Decodes all of @text into a newly allocated array (free() it) of *n code
 * points; NULL only when out of memory. */
uint32_t *ember_utf8_to_codepoints (const char *text, size_t len, size_t *n);

/* How many leading bytes of @text form complete, valid UTF-8 (strict: no
 * overlong forms, no surrogates). *incomplete is set when the rest is the
 * beginning of a valid sequence that more bytes could complete. */
size_t ember_utf8_valid_prefix (const char *text, size_t len, bool *incomplete);

ember_unicode_category ember_unicode_get_category (uint32_t cp);
uint16_t ember_unicode_get_flags (uint32_t cp);
bool ember_unicode_is_whitespace (uint32_t cp);
uint32_t ember_unicode_to_lower (uint32_t cp);
/* The first code point of @cp's canonical decomposition (@cp itself when it
 * has none). */
uint32_t ember_unicode_nfd_first (uint32_t cp);
/* llama.cpp's (and Kimi's) list of Han ideograph blocks. */
bool ember_unicode_is_han (uint32_t cp);

/* GPT-2's byte-level mapping: each byte to a printable code point, and back
 * (-1 for a code point that stands for no byte). */
uint32_t ember_unicode_byte_to_codepoint (uint8_t byte);
int ember_unicode_codepoint_to_byte (uint32_t cp);
