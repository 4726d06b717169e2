/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Stop strings across token boundaries: generated text is held back while
 * it could still be the beginning of a stop string, so that a stop string
 * split over several tokens is never shown.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ember-private.h"
#include "ember-sampler.h"

struct ember_stop {
  char **stops;
  size_t n_stops;
  char *pending;        /* text not yet returned */
  size_t pending_len;
  size_t pending_cap;
  char *out;            /* what the last call returned */
  size_t out_cap;
  bool stopped;
};

ember_stop *
ember_stop_new (const char *const *stops)
{
  ember_stop *s = calloc (1, sizeof *s);
  size_t n = 0;

  if (s == NULL)
    return NULL;
  while (stops != NULL && stops[n] != NULL)
    n++;
  s->stops = calloc (n > 0 ? n : 1, sizeof *s->stops);
  if (s->stops == NULL)
    {
      free (s);
      return NULL;
    }
  for (size_t i = 0; i < n; i++)
    {
      if (stops[i][0] == '\0')
        continue;
      s->stops[s->n_stops] = strdup (stops[i]);
      if (s->stops[s->n_stops] == NULL)
        {
          ember_stop_free (s);
          return NULL;
        }
      s->n_stops++;
    }
  return s;
}

void
ember_stop_free (ember_stop *s)
{
  if (s == NULL)
    return;
  for (size_t i = 0; i < s->n_stops; i++)
    free (s->stops[i]);
  free (s->stops);
  free (s->pending);
  free (s->out);
  free (s);
}

/* Moves the first @n pending bytes to the output buffer. */
static size_t
take (ember_stop  *s,
      size_t       n,
      const char **emit)
{
  if (!ember_grow (&s->out, &s->out_cap, n + 1, 1, 64))
    n = 0; /* no memory: hold everything back rather than lose it */
  memcpy (s->out, s->pending, n);
  memmove (s->pending, s->pending + n, s->pending_len - n);
  s->pending_len -= n;
  *emit = s->out;
  return n;
}

size_t
ember_stop_feed (ember_stop  *s,
                 const char  *piece,
                 size_t       length,
                 const char **emit,
                 bool        *stopped)
{
  size_t earliest = SIZE_MAX;
  size_t hold = 0;

  *stopped = s->stopped;
  *emit = "";
  if (s->stopped)
    return 0;
  if (!ember_grow (&s->pending, &s->pending_cap, s->pending_len + length + 1, 1, 64))
    return 0;
  memcpy (s->pending + s->pending_len, piece, length);
  s->pending_len += length;

  /* A complete stop string: everything before the earliest one. */
  for (size_t i = 0; i < s->n_stops; i++)
    {
      size_t n = strlen (s->stops[i]);

      for (size_t at = 0; at + n <= s->pending_len && at < earliest; at++)
        if (memcmp (s->pending + at, s->stops[i], n) == 0)
          {
            earliest = at;
            break;
          }
    }
  if (earliest != SIZE_MAX)
    {
      size_t n = take (s, earliest, emit);

      s->stopped = true;
      s->pending_len = 0;
      *stopped = true;
      return n;
    }

  /* Hold back the longest tail that begins some stop string. */
  for (size_t i = 0; i < s->n_stops; i++)
    {
      size_t n = strlen (s->stops[i]);

      for (size_t k = n - 1; k > hold; k--)
        if (k <= s->pending_len
            && memcmp (s->pending + s->pending_len - k, s->stops[i], k) == 0)
          {
            hold = k;
            break;
          }
    }
  return take (s, s->pending_len - hold, emit);
}

size_t
ember_stop_flush (ember_stop  *s,
                  const char **emit)
{
  *emit = "";
  if (s->stopped)
    return 0;
  return take (s, s->pending_len, emit);
}
