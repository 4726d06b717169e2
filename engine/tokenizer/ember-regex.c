/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ember-private.h"
#include "ember-regex.h"
#include "ember-unicode.h"

typedef enum {
  ITEM_RANGE,         /* lo..hi */
  ITEM_CATEGORIES,    /* one of the general categories in the mask */
  ITEM_SPACE,         /* White_Space */
  ITEM_HAN,
} item_kind;

typedef struct {
  item_kind kind;
  bool negate;        /* \S, \D, \P{…} */
  uint32_t lo, hi;
  uint32_t categories;
} class_item;

typedef enum {
  NODE_CLASS,
  NODE_SEQ,
  NODE_ALT,
  NODE_REPEAT,
  NODE_LOOK,
  NODE_END,
} node_kind;

#define REPEAT_INFINITE UINT32_MAX

typedef struct {
  node_kind kind;
  bool single;          /* consumes exactly one code point, judged by it alone */
  bool negate;          /* CLASS: [^…]; LOOK: (?!…) */
  class_item *items;    /* CLASS */
  size_t n_items;
  size_t *children;     /* SEQ, ALT: node indices */
  size_t n_children;
  size_t child;         /* REPEAT, LOOK */
  uint32_t min, max;    /* REPEAT */
} node;

struct ember_regex {
  node *nodes;
  size_t n_nodes;
  size_t root;
};

/* ---- parsing ------------------------------------------------------------ */

typedef struct {
  ember_regex *re;
  const char *pattern;
  uint32_t *cps;
  size_t n;
  size_t pos;
  bool oom;
  bool failed;
  ember_error *error;
} parser;

static bool
parse_fail (parser *p, const char *what)
{
  if (!p->failed)
    ember_error_set (p->error, EMBER_ERROR_INVALID_ARGUMENT,
                     "regular expression “%s”, at code point %zu: %s",
                     p->pattern, p->pos, what);
  p->failed = true;
  return false;
}

static size_t
add_node (parser *p,
          node_kind kind)
{
  node *nodes = realloc (p->re->nodes, (p->re->n_nodes + 1) * sizeof *nodes);

  if (nodes == NULL)
    {
      p->oom = true;
      return SIZE_MAX;
    }
  p->re->nodes = nodes;
  memset (&nodes[p->re->n_nodes], 0, sizeof *nodes);
  nodes[p->re->n_nodes].kind = kind;
  return p->re->n_nodes++;
}

static bool
append_index (size_t **array,
              size_t  *n,
              size_t   value)
{
  size_t *a = realloc (*array, (*n + 1) * sizeof *a);

  if (a == NULL)
    return false;
  a[(*n)++] = value;
  *array = a;
  return true;
}

static bool
append_item (parser     *p,
             size_t      index,
             class_item  item)
{
  node *nd = &p->re->nodes[index];
  class_item *items = realloc (nd->items, (nd->n_items + 1) * sizeof *items);

  if (items == NULL)
    {
      p->oom = true;
      return false;
    }
  items[nd->n_items++] = item;
  nd->items = items;
  return true;
}

static bool
at (parser  *p,
    uint32_t c)
{
  return p->pos < p->n && p->cps[p->pos] == c;
}

/* \p{Name}: the categories Name covers, or 0 (with *han set for Han). */
static uint32_t
property_categories (const char *name,
                     bool       *han)
{
#define C(x) (1u << EMBER_UCAT_##x)
  static const struct { const char *name; uint32_t mask; } properties[] = {
    { "L", C (LU) | C (LL) | C (LT) | C (LM) | C (LO) },
    { "Lu", C (LU) }, { "Ll", C (LL) }, { "Lt", C (LT) }, { "Lm", C (LM) }, { "Lo", C (LO) },
    { "M", C (MN) | C (MC) | C (ME) },
    { "Mn", C (MN) }, { "Mc", C (MC) }, { "Me", C (ME) },
    { "N", C (ND) | C (NL) | C (NO) },
    { "Nd", C (ND) }, { "Nl", C (NL) }, { "No", C (NO) },
    { "P", C (PC) | C (PD) | C (PS) | C (PE) | C (PI) | C (PF) | C (PO) },
    { "Pc", C (PC) }, { "Pd", C (PD) }, { "Ps", C (PS) }, { "Pe", C (PE) },
    { "Pi", C (PI) }, { "Pf", C (PF) }, { "Po", C (PO) },
    { "S", C (SM) | C (SC) | C (SK) | C (SO) },
    { "Sm", C (SM) }, { "Sc", C (SC) }, { "Sk", C (SK) }, { "So", C (SO) },
    { "Z", C (ZS) | C (ZL) | C (ZP) },
    { "Zs", C (ZS) }, { "Zl", C (ZL) }, { "Zp", C (ZP) },
    { "C", C (CC) | C (CF) | C (CS) | C (CO) | C (CN) },
    { "Cc", C (CC) }, { "Cf", C (CF) }, { "Cs", C (CS) }, { "Co", C (CO) }, { "Cn", C (CN) },
  };
#undef C

  *han = strcmp (name, "Han") == 0;
  for (size_t i = 0; i < sizeof properties / sizeof properties[0]; i++)
    if (strcmp (properties[i].name, name) == 0)
      return properties[i].mask;
  return 0;
}

/* After a backslash: a class item (\s, \p{L} …) or a literal code point. */
static bool
parse_escape (parser     *p,
              class_item *item,
              bool       *is_literal,
              uint32_t   *literal)
{
  uint32_t c;

  if (p->pos >= p->n)
    return parse_fail (p, "the pattern ends with a backslash");
  c = p->cps[p->pos++];
  *is_literal = false;
  memset (item, 0, sizeof *item);
  switch (c)
    {
    case 's':
    case 'S':
      item->kind = ITEM_SPACE;
      item->negate = c == 'S';
      return true;
    case 'd':
    case 'D':
      item->kind = ITEM_CATEGORIES;
      item->categories = 1u << EMBER_UCAT_ND;
      item->negate = c == 'D';
      return true;
    case 'p':
    case 'P':
      {
        char name[16];
        size_t len = 0;
        bool han;

        if (!at (p, '{'))
          return parse_fail (p, "only the \\p{Name} form of properties is supported");
        p->pos++;
        while (p->pos < p->n && p->cps[p->pos] != '}' && len + 1 < sizeof name)
          name[len++] = (char) p->cps[p->pos++];
        name[len] = '\0';
        if (!at (p, '}'))
          return parse_fail (p, "unterminated or too long \\p{…}");
        p->pos++;
        item->categories = property_categories (name, &han);
        if (han)
          item->kind = ITEM_HAN;
        else if (item->categories != 0)
          item->kind = ITEM_CATEGORIES;
        else
          return parse_fail (p, "unknown Unicode property");
        item->negate = c == 'P';
        return true;
      }
    case 'r': *literal = '\r'; break;
    case 'n': *literal = '\n'; break;
    case 't': *literal = '\t'; break;
    case 'f': *literal = '\f'; break;
    case 'v': *literal = '\v'; break;
    default:
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return parse_fail (p, "unsupported escape");
      *literal = c;
      break;
    }
  *is_literal = true;
  return true;
}

static size_t parse_alternation (parser *p);

static size_t
parse_class (parser *p)
{
  size_t index = add_node (p, NODE_CLASS);

  if (index == SIZE_MAX)
    return SIZE_MAX;
  p->re->nodes[index].single = true;
  if (at (p, '^'))
    {
      p->re->nodes[index].negate = true;
      p->pos++;
    }
  for (;;)
    {
      class_item item = { 0 };
      bool is_literal = true;
      uint32_t lo = 0;

      if (p->pos >= p->n)
        return parse_fail (p, "unterminated character class"), SIZE_MAX;
      if (at (p, ']'))
        {
          p->pos++;
          return index;
        }
      if (at (p, '\\'))
        {
          p->pos++;
          if (!parse_escape (p, &item, &is_literal, &lo))
            return SIZE_MAX;
        }
      else
        lo = p->cps[p->pos++];

      if (is_literal)
        {
          uint32_t hi = lo;

          if (at (p, '-') && p->pos + 1 < p->n && p->cps[p->pos + 1] != ']')
            {
              class_item other;
              bool other_literal = true;

              p->pos++;
              if (at (p, '\\'))
                {
                  p->pos++;
                  if (!parse_escape (p, &other, &other_literal, &hi))
                    return SIZE_MAX;
                  if (!other_literal)
                    return parse_fail (p, "a range must end with a single character"), SIZE_MAX;
                }
              else
                hi = p->cps[p->pos++];
              if (hi < lo)
                return parse_fail (p, "a range runs backwards"), SIZE_MAX;
            }
          item.kind = ITEM_RANGE;
          item.lo = lo;
          item.hi = hi;
        }
      if (!append_item (p, index, item))
        return SIZE_MAX;
    }
}

static size_t
single_item_node (parser     *p,
                  class_item  item)
{
  size_t index = add_node (p, NODE_CLASS);

  if (index == SIZE_MAX)
    return SIZE_MAX;
  p->re->nodes[index].single = true;
  if (!append_item (p, index, item))
    return SIZE_MAX;
  return index;
}

static size_t
parse_atom (parser *p)
{
  uint32_t c = p->cps[p->pos];

  if (c == '(')
    {
      size_t inner, index;
      int look = 0; /* 1: (?=, -1: (?! */

      p->pos++;
      if (at (p, '?'))
        {
          p->pos++;
          if (at (p, ':'))
            ;
          else if (at (p, '='))
            look = 1;
          else if (at (p, '!'))
            look = -1;
          else
            return parse_fail (p, "only (?:…), (?=…) and (?!…) groups are supported"), SIZE_MAX;
          p->pos++;
        }
      inner = parse_alternation (p);
      if (inner == SIZE_MAX)
        return SIZE_MAX;
      if (!at (p, ')'))
        return parse_fail (p, "missing )"), SIZE_MAX;
      p->pos++;
      if (look == 0)
        return inner;
      index = add_node (p, NODE_LOOK);
      if (index == SIZE_MAX)
        return SIZE_MAX;
      p->re->nodes[index].child = inner;
      p->re->nodes[index].negate = look < 0;
      return index;
    }
  if (c == '[')
    {
      p->pos++;
      return parse_class (p);
    }
  if (c == '$')
    {
      p->pos++;
      return add_node (p, NODE_END);
    }
  if (c == '.')
    {
      class_item item = { ITEM_RANGE, true, '\n', '\n', 0 };

      p->pos++;
      return single_item_node (p, item);
    }
  if (c == ')' || c == '|' || c == '*' || c == '+' || c == '?' || c == '^')
    return parse_fail (p, "unexpected metacharacter"), SIZE_MAX;
  if (c == '\\')
    {
      class_item item;
      bool is_literal;
      uint32_t literal = 0;

      p->pos++;
      if (!parse_escape (p, &item, &is_literal, &literal))
        return SIZE_MAX;
      if (!is_literal)
        return single_item_node (p, item);
      c = literal;
    }
  else
    p->pos++;
  {
    class_item item = { ITEM_RANGE, false, c, c, 0 };

    return single_item_node (p, item);
  }
}

static bool
parse_number (parser   *p,
              uint32_t *value)
{
  uint32_t v = 0;
  size_t start = p->pos;

  while (p->pos < p->n && p->cps[p->pos] >= '0' && p->cps[p->pos] <= '9' && v < 100000)
    v = v * 10 + (p->cps[p->pos++] - '0');
  *value = v;
  return p->pos > start;
}

/* Quantifiers after an atom; returns the (maybe wrapped) node. */
static size_t
parse_quantifier (parser *p,
                  size_t  atom)
{
  for (;;)
    {
      uint32_t min, max;
      size_t index;

      if (at (p, '?'))
        min = 0, max = 1;
      else if (at (p, '*'))
        min = 0, max = REPEAT_INFINITE;
      else if (at (p, '+'))
        min = 1, max = REPEAT_INFINITE;
      else if (at (p, '{'))
        {
          size_t save = p->pos;

          p->pos++;
          if (!parse_number (p, &min))
            {
              p->pos = save;
              return atom;
            }
          max = min;
          if (at (p, ','))
            {
              p->pos++;
              if (!parse_number (p, &max))
                max = REPEAT_INFINITE;
            }
          if (!at (p, '}') || max < min)
            return parse_fail (p, "bad {n,m} quantifier"), SIZE_MAX;
          p->pos--; /* the common p->pos++ below steps over '}' */
          p->pos++;
        }
      else
        return atom;
      p->pos++;
      if (at (p, '?') || at (p, '+'))
        return parse_fail (p, "lazy and possessive quantifiers are not supported"), SIZE_MAX;

      index = add_node (p, NODE_REPEAT);
      if (index == SIZE_MAX)
        return SIZE_MAX;
      p->re->nodes[index].child = atom;
      p->re->nodes[index].min = min;
      p->re->nodes[index].max = max;
      p->re->nodes[index].single = min == 1 && max == 1 && p->re->nodes[atom].single;
      atom = index;
    }
}

static size_t
parse_sequence (parser *p)
{
  size_t index = add_node (p, NODE_SEQ);
  node *nd;

  if (index == SIZE_MAX)
    return SIZE_MAX;
  while (p->pos < p->n && !at (p, '|') && !at (p, ')'))
    {
      size_t atom = parse_atom (p);

      if (atom == SIZE_MAX)
        return SIZE_MAX;
      atom = parse_quantifier (p, atom);
      if (atom == SIZE_MAX)
        return SIZE_MAX;
      if (!append_index (&p->re->nodes[index].children, &p->re->nodes[index].n_children, atom))
        {
          p->oom = true;
          return SIZE_MAX;
        }
    }

  /* Single when lookaheads on one code point precede one single node: they
   * all look at the code point that the last one consumes. */
  nd = &p->re->nodes[index];
  if (nd->n_children > 0 && p->re->nodes[nd->children[nd->n_children - 1]].single)
    {
      nd->single = true;
      for (size_t i = 0; i + 1 < nd->n_children; i++)
        {
          const node *c = &p->re->nodes[nd->children[i]];

          if (c->kind != NODE_LOOK || !p->re->nodes[c->child].single)
            nd->single = false;
        }
    }
  return index;
}

static size_t
parse_alternation (parser *p)
{
  size_t index = add_node (p, NODE_ALT);
  bool single = true;

  if (index == SIZE_MAX)
    return SIZE_MAX;
  for (;;)
    {
      size_t seq = parse_sequence (p);

      if (seq == SIZE_MAX)
        return SIZE_MAX;
      single = single && p->re->nodes[seq].single;
      if (!append_index (&p->re->nodes[index].children, &p->re->nodes[index].n_children, seq))
        {
          p->oom = true;
          return SIZE_MAX;
        }
      if (!at (p, '|'))
        break;
      p->pos++;
    }
  p->re->nodes[index].single = single;
  return index;
}

void
ember_regex_free (ember_regex *re)
{
  if (re == NULL)
    return;
  for (size_t i = 0; i < re->n_nodes; i++)
    {
      free (re->nodes[i].items);
      free (re->nodes[i].children);
    }
  free (re->nodes);
  free (re);
}

ember_status
ember_regex_new (const char   *pattern,
                 ember_regex **out,
                 ember_error  *error)
{
  parser p = { 0 };

  *out = NULL;
  p.pattern = pattern;
  p.error = error;
  p.re = calloc (1, sizeof *p.re);
  p.cps = p.re != NULL ? ember_utf8_to_codepoints (pattern, strlen (pattern), &p.n) : NULL;
  if (p.cps == NULL)
    {
      ember_regex_free (p.re);
      return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory compiling a regular expression");
    }
  p.re->root = parse_alternation (&p);
  if (p.re->root != SIZE_MAX && p.pos < p.n)
    parse_fail (&p, "unbalanced )");
  free (p.cps);
  if (p.oom || p.failed || p.re->root == SIZE_MAX)
    {
      ember_regex_free (p.re);
      if (p.oom)
        return ember_error_set (error, EMBER_ERROR_OUT_OF_MEMORY, "out of memory compiling a regular expression");
      if (!p.failed)
        return ember_error_set (error, EMBER_ERROR_INVALID_ARGUMENT, "bad regular expression “%s”", pattern);
      return error != NULL ? error->status : EMBER_ERROR_INVALID_ARGUMENT;
    }
  *out = p.re;
  return EMBER_OK;
}

/* ---- matching ----------------------------------------------------------- */

static bool
item_accepts (const class_item *item,
              uint32_t          cp)
{
  bool yes;

  switch (item->kind)
    {
    case ITEM_RANGE:
      yes = cp >= item->lo && cp <= item->hi;
      break;
    case ITEM_CATEGORIES:
      yes = (item->categories >> ember_unicode_get_category (cp)) & 1;
      break;
    case ITEM_SPACE:
      yes = ember_unicode_is_whitespace (cp);
      break;
    case ITEM_HAN:
      yes = ember_unicode_is_han (cp);
      break;
    default:
      yes = false;
      break;
    }
  return yes != item->negate;
}

static bool
node_accepts (const ember_regex *re,
              const node        *nd,
              uint32_t           cp)
{
  switch (nd->kind)
    {
    case NODE_CLASS:
      for (size_t i = 0; i < nd->n_items; i++)
        if (item_accepts (&nd->items[i], cp))
          return !nd->negate;
      return nd->negate;
    case NODE_ALT:
      for (size_t i = 0; i < nd->n_children; i++)
        if (node_accepts (re, &re->nodes[nd->children[i]], cp))
          return true;
      return false;
    case NODE_SEQ:
      for (size_t i = 0; i + 1 < nd->n_children; i++)
        {
          const node *look = &re->nodes[nd->children[i]];

          if (node_accepts (re, &re->nodes[look->child], cp) == look->negate)
            return false;
        }
      return node_accepts (re, &re->nodes[nd->children[nd->n_children - 1]], cp);
    case NODE_REPEAT:
      return node_accepts (re, &re->nodes[nd->child], cp);
    case NODE_LOOK:
    case NODE_END:
    default:
      return false;
    }
}

typedef struct {
  const uint32_t *cps;
  size_t n;
  size_t start;
  size_t min_end;
  size_t end;
} input;

typedef struct cont cont;
struct cont {
  const node *nd;
  size_t i;           /* SEQ: next child; REPEAT: iterations done */
  size_t start;       /* REPEAT: where this iteration began */
  const cont *next;
};

static bool match_node (const ember_regex *re, const node *nd, size_t pos, const cont *k, input *in);

static bool
match_repeat (const ember_regex *re,
              const node        *nd,
              size_t             count,
              size_t             pos,
              const cont        *k,
              input             *in);

static bool
resume (const ember_regex *re,
        const cont        *k,
        size_t             pos,
        input             *in)
{
  const node *nd;

  if (k == NULL)
    {
      if (pos <= in->min_end && in->min_end != SIZE_MAX)
        return false;
      in->end = pos;
      return true;
    }
  nd = k->nd;
  switch (nd->kind)
    {
    case NODE_SEQ:
      if (k->i == nd->n_children)
        return resume (re, k->next, pos, in);
      {
        cont c = { nd, k->i + 1, 0, k->next };

        return match_node (re, &re->nodes[nd->children[k->i]], pos, &c, in);
      }
    case NODE_REPEAT:
      if (pos == k->start)
        return false; /* an empty iteration makes no progress */
      return match_repeat (re, nd, k->i, pos, k->next, in);
    case NODE_LOOK:
      return true;    /* the lookahead's body matched */
    case NODE_CLASS:
    case NODE_ALT:
    case NODE_END:
    default:
      return false;
    }
}

static bool
match_repeat (const ember_regex *re,
              const node        *nd,
              size_t             count,
              size_t             pos,
              const cont        *k,
              input             *in)
{
  if (count < nd->max)
    {
      cont c = { nd, count + 1, pos, k };

      if (match_node (re, &re->nodes[nd->child], pos, &c, in))
        return true;
    }
  if (count >= nd->min)
    return resume (re, k, pos, in);
  return false;
}

static bool
match_node (const ember_regex *re,
            const node        *nd,
            size_t             pos,
            const cont        *k,
            input             *in)
{
  if (nd->single)
    {
      if (pos < in->n && node_accepts (re, nd, in->cps[pos]))
        return resume (re, k, pos + 1, in);
      return false;
    }

  switch (nd->kind)
    {
    case NODE_END:
      return pos == in->n && resume (re, k, pos, in);
    case NODE_ALT:
      for (size_t i = 0; i < nd->n_children; i++)
        if (match_node (re, &re->nodes[nd->children[i]], pos, k, in))
          return true;
      return false;
    case NODE_SEQ:
      if (nd->n_children == 0)
        return resume (re, k, pos, in);
      {
        cont c = { nd, 1, 0, k };

        return match_node (re, &re->nodes[nd->children[0]], pos, &c, in);
      }
    case NODE_LOOK:
      {
        cont c = { nd, 0, 0, NULL };
        input sub = *in;
        bool found = match_node (re, &re->nodes[nd->child], pos, &c, &sub);

        if (found == nd->negate)
          return false;
        return resume (re, k, pos, in);
      }
    case NODE_REPEAT:
      {
        const node *child = &re->nodes[nd->child];

        if (child->single)
          {
            size_t count = 0;

            while (count < nd->max && pos + count < in->n &&
                   node_accepts (re, child, in->cps[pos + count]))
              count++;
            if (count < nd->min)
              return false;
            for (size_t c = count + 1; c-- > nd->min;)
              if (resume (re, k, pos + c, in))
                return true;
            return false;
          }
        return match_repeat (re, nd, 0, pos, k, in);
      }
    case NODE_CLASS:
    default:
      return false;
    }
}

bool
ember_regex_match_at (const ember_regex *re,
                      const uint32_t    *cps,
                      size_t             n,
                      size_t             start,
                      size_t             min_end,
                      size_t            *end)
{
  input in = { cps, n, start, min_end, 0 };

  if (!match_node (re, &re->nodes[re->root], start, NULL, &in))
    return false;
  *end = in.end;
  return true;
}

static bool
push_length (size_t **lengths,
             size_t  *n_lengths,
             size_t  *capacity,
             size_t   length)
{
  if (length == 0)
    return true;
  if (*n_lengths == *capacity)
    {
      size_t cap = *capacity ? *capacity * 2 : 64;
      size_t *l = realloc (*lengths, cap * sizeof *l);

      if (l == NULL)
        return false;
      *lengths = l;
      *capacity = cap;
    }
  (*lengths)[(*n_lengths)++] = length;
  return true;
}

bool
ember_regex_split (const ember_regex *re,
                   const uint32_t    *cps,
                   size_t             n,
                   size_t           **lengths,
                   size_t            *n_lengths,
                   size_t            *capacity)
{
  size_t piece_start = 0;   /* end of the last match */
  size_t pos = 0;           /* where the next search begins */
  bool after_empty = false;

  while (pos <= n)
    {
      size_t start, end = 0;
      bool found = false;

      for (start = pos; start <= n; start++)
        {
          /* Right after an empty match, the same place must give a
           * non-empty one. */
          size_t min_end = (after_empty && start == pos) ? start : SIZE_MAX;

          if (ember_regex_match_at (re, cps, n, start, min_end, &end))
            {
              found = true;
              break;
            }
        }
      if (!found)
        break;
      if (!push_length (lengths, n_lengths, capacity, start - piece_start) ||
          !push_length (lengths, n_lengths, capacity, end - start))
        return false;
      piece_start = end;
      after_empty = end == start;
      pos = end;
    }
  return push_length (lengths, n_lengths, capacity, n - piece_start);
}
