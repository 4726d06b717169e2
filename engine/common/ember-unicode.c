/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdlib.h>

#include "ember-unicode.h"
#include "ember-unicode-tables.h"

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

const char *
ember_unicode_version (void)
{
  return EMBER_UNICODE_VERSION;
}

size_t
ember_utf8_sequence_length (uint8_t lead)
{
  static const uint8_t lengths[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };

  return lengths[lead >> 4];
}

static bool
is_continuation (uint8_t byte)
{
  return (byte & 0xC0) == 0x80;
}

uint32_t
ember_utf8_decode (const char *text,
                   size_t      len,
                   size_t     *used)
{
  const uint8_t *s = (const uint8_t *) text;
  uint32_t cp;
  size_t n;

  if (s[0] < 0x80)
    {
      *used = 1;
      return s[0];
    }
  if ((s[0] & 0xE0) == 0xC0)
    {
      n = 2;
      cp = s[0] & 0x1F;
    }
  else if ((s[0] & 0xF0) == 0xE0)
    {
      n = 3;
      cp = s[0] & 0x0F;
    }
  else if ((s[0] & 0xF8) == 0xF0)
    {
      n = 4;
      cp = s[0] & 0x07;
    }
  else
    {
      *used = 1;
      return EMBER_UNICODE_REPLACEMENT;
    }

  if (len < n)
    {
      *used = 1;
      return EMBER_UNICODE_REPLACEMENT;
    }
  for (size_t i = 1; i < n; i++)
    {
      if (!is_continuation (s[i]))
        {
          *used = 1;
          return EMBER_UNICODE_REPLACEMENT;
        }
      cp = (cp << 6) | (s[i] & 0x3F);
    }
  if (cp >= EMBER_UNICODE_MAX)
    {
      *used = 1;
      return EMBER_UNICODE_REPLACEMENT;
    }
  *used = n;
  return cp;
}

size_t
ember_utf8_encode (uint32_t cp,
                   char     out[4])
{
  uint8_t *o = (uint8_t *) out;

  if (cp < 0x80)
    {
      o[0] = (uint8_t) cp;
      return 1;
    }
  if (cp < 0x800)
    {
      o[0] = (uint8_t) (0xC0 | (cp >> 6));
      o[1] = (uint8_t) (0x80 | (cp & 0x3F));
      return 2;
    }
  if (cp >= EMBER_UNICODE_MAX)
    cp = EMBER_UNICODE_REPLACEMENT;
  if (cp < 0x10000)
    {
      o[0] = (uint8_t) (0xE0 | (cp >> 12));
      o[1] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
      o[2] = (uint8_t) (0x80 | (cp & 0x3F));
      return 3;
    }
  o[0] = (uint8_t) (0xF0 | (cp >> 18));
  o[1] = (uint8_t) (0x80 | ((cp >> 12) & 0x3F));
  o[2] = (uint8_t) (0x80 | ((cp >> 6) & 0x3F));
  o[3] = (uint8_t) (0x80 | (cp & 0x3F));
  return 4;
}

uint32_t *
ember_utf8_to_codepoints (const char *text,
                          size_t      len,
                          size_t     *n)
{
  uint32_t *cps = malloc ((len > 0 ? len : 1) * sizeof *cps);
  size_t count = 0;

  if (cps == NULL)
    return NULL;
  for (size_t off = 0; off < len;)
    {
      size_t used;

      cps[count++] = ember_utf8_decode (text + off, len - off, &used);
      off += used;
    }
  *n = count;
  return cps;
}

size_t
ember_utf8_valid_prefix (const char *text,
                         size_t      len,
                         bool       *incomplete)
{
  const uint8_t *s = (const uint8_t *) text;
  size_t off = 0;

  *incomplete = false;
  while (off < len)
    {
      uint8_t b = s[off];
      size_t n;
      uint8_t lo = 0x80, hi = 0xBF;

      if (b < 0x80)
        {
          off++;
          continue;
        }
      if (b >= 0xC2 && b <= 0xDF)
        n = 2;
      else if (b >= 0xE0 && b <= 0xEF)
        {
          n = 3;
          if (b == 0xE0)
            lo = 0xA0;
          else if (b == 0xED)
            hi = 0x9F;
        }
      else if (b >= 0xF0 && b <= 0xF4)
        {
          n = 4;
          if (b == 0xF0)
            lo = 0x90;
          else if (b == 0xF4)
            hi = 0x8F;
        }
      else
        return off;

      for (size_t i = 1; i < n; i++)
        {
          if (off + i >= len)
            {
              *incomplete = true;
              return off;
            }
          if (s[off + i] < (i == 1 ? lo : 0x80) || s[off + i] > (i == 1 ? hi : 0xBF))
            return off;
        }
      off += n;
    }
  return off;
}

ember_unicode_category
ember_unicode_get_category (uint32_t cp)
{
  size_t lo = 0, hi = N_ELEMENTS (ember_unicode_category_ranges);

  if (cp >= EMBER_UNICODE_MAX)
    return EMBER_UCAT_CN;
  /* The last range whose first code point is <= cp. */
  while (hi - lo > 1)
    {
      size_t mid = lo + (hi - lo) / 2;

      if (ember_unicode_category_ranges[mid].first <= cp)
        lo = mid;
      else
        hi = mid;
    }
  return (ember_unicode_category) ember_unicode_category_ranges[lo].category;
}

bool
ember_unicode_is_whitespace (uint32_t cp)
{
  if (cp > 0x3000)
    return false;
  for (size_t i = 0; i < N_ELEMENTS (ember_unicode_white_space); i++)
    if (ember_unicode_white_space[i] == cp)
      return true;
  return false;
}

uint16_t
ember_unicode_get_flags (uint32_t cp)
{
  static const uint16_t category_flags[EMBER_UCAT_COUNT] = {
    [EMBER_UCAT_CN] = EMBER_UNICODE_UNDEFINED,
    [EMBER_UCAT_LU] = EMBER_UNICODE_LETTER,
    [EMBER_UCAT_LL] = EMBER_UNICODE_LETTER,
    [EMBER_UCAT_LT] = EMBER_UNICODE_LETTER,
    [EMBER_UCAT_LM] = EMBER_UNICODE_LETTER,
    [EMBER_UCAT_LO] = EMBER_UNICODE_LETTER,
    [EMBER_UCAT_MN] = EMBER_UNICODE_MARK,
    [EMBER_UCAT_MC] = EMBER_UNICODE_MARK,
    [EMBER_UCAT_ME] = EMBER_UNICODE_MARK,
    [EMBER_UCAT_ND] = EMBER_UNICODE_NUMBER,
    [EMBER_UCAT_NL] = EMBER_UNICODE_NUMBER,
    [EMBER_UCAT_NO] = EMBER_UNICODE_NUMBER,
    [EMBER_UCAT_PC] = EMBER_UNICODE_PUNCTUATION,
    [EMBER_UCAT_PD] = EMBER_UNICODE_PUNCTUATION,
    [EMBER_UCAT_PS] = EMBER_UNICODE_PUNCTUATION,
    [EMBER_UCAT_PE] = EMBER_UNICODE_PUNCTUATION,
    [EMBER_UCAT_PI] = EMBER_UNICODE_PUNCTUATION,
    [EMBER_UCAT_PF] = EMBER_UNICODE_PUNCTUATION,
    [EMBER_UCAT_PO] = EMBER_UNICODE_PUNCTUATION,
    [EMBER_UCAT_SM] = EMBER_UNICODE_SYMBOL,
    [EMBER_UCAT_SC] = EMBER_UNICODE_SYMBOL,
    [EMBER_UCAT_SK] = EMBER_UNICODE_SYMBOL,
    [EMBER_UCAT_SO] = EMBER_UNICODE_SYMBOL,
    [EMBER_UCAT_ZS] = EMBER_UNICODE_SEPARATOR,
    [EMBER_UCAT_ZL] = EMBER_UNICODE_SEPARATOR,
    [EMBER_UCAT_ZP] = EMBER_UNICODE_SEPARATOR,
    [EMBER_UCAT_CC] = EMBER_UNICODE_CONTROL,
    [EMBER_UCAT_CF] = EMBER_UNICODE_CONTROL,
    [EMBER_UCAT_CS] = EMBER_UNICODE_CONTROL,
    [EMBER_UCAT_CO] = EMBER_UNICODE_CONTROL,
  };
  uint16_t flags = category_flags[ember_unicode_get_category (cp)];

  if (ember_unicode_is_whitespace (cp))
    flags |= EMBER_UNICODE_WHITESPACE;
  return flags;
}

uint32_t
ember_unicode_to_lower (uint32_t cp)
{
  size_t lo = 0, hi = N_ELEMENTS (ember_unicode_lowercase_runs);

  if (cp < 'A' || cp < ember_unicode_lowercase_runs[0].start)
    return cp;
  if (cp < 0x80)
    return cp <= 'Z' ? cp + 32 : cp;
  while (hi - lo > 1)
    {
      size_t mid = lo + (hi - lo) / 2;

      if (ember_unicode_lowercase_runs[mid].start <= cp)
        lo = mid;
      else
        hi = mid;
    }
  {
    uint32_t off = cp - ember_unicode_lowercase_runs[lo].start;
    uint32_t stride = ember_unicode_lowercase_runs[lo].stride;

    if (off % stride == 0 && off / stride < ember_unicode_lowercase_runs[lo].count)
      return (uint32_t) ((int32_t) cp + ember_unicode_lowercase_runs[lo].delta);
  }
  return cp;
}

uint32_t
ember_unicode_nfd_first (uint32_t cp)
{
  size_t lo = 0, hi = N_ELEMENTS (ember_unicode_nfd_ranges);

  if (cp < ember_unicode_nfd_ranges[0].first)
    return cp;
  while (hi - lo > 1)
    {
      size_t mid = lo + (hi - lo) / 2;

      if (ember_unicode_nfd_ranges[mid].first <= cp)
        lo = mid;
      else
        hi = mid;
    }
  if (cp <= ember_unicode_nfd_ranges[lo].last)
    return ember_unicode_nfd_ranges[lo].nfd;
  return cp;
}

bool
ember_unicode_is_han (uint32_t cp)
{
  return (cp >= 0x4E00 && cp <= 0x9FFF) ||
         (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) ||
         (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0x2CEB0 && cp <= 0x2EBEF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0x2F800 && cp <= 0x2FA1F);
}

/* Bytes that GPT-2 keeps as themselves: '!'..'~', '¡'..'¬', '®'..'ÿ'. The
 * other 68 take the code points 256, 257, … in byte order. */
static bool
byte_is_printable (unsigned b)
{
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

uint32_t
ember_unicode_byte_to_codepoint (uint8_t byte)
{
  uint32_t n = 0;

  if (byte_is_printable (byte))
    return byte;
  for (unsigned b = 0; b < byte; b++)
    if (!byte_is_printable (b))
      n++;
  return 256 + n;
}

int
ember_unicode_codepoint_to_byte (uint32_t cp)
{
  uint32_t n;

  if (cp < 256)
    return byte_is_printable (cp) ? (int) cp : -1;
  if (cp >= 256 + 68)
    return -1;
  n = cp - 256;
  for (unsigned b = 0; b < 256; b++)
    if (!byte_is_printable (b) && n-- == 0)
      return (int) b;
  return -1;
}
