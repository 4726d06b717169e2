/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The Modelfile and its parser. Ollama's parser (parser/parser.go) is the
 * reference for what a Modelfile means; Hearth reads every file Ollama reads
 * the same way, except where Ollama silently loses or mangles text. There
 * Hearth refuses with a message, or keeps the text:
 *
 *  - Ollama drops every character that Go's strconv.IsPrint rejects from
 *    unquoted and quoted values alike (except space, tab and line breaks):
 *    no-break and ideographic spaces (U+00A0, U+3000), zero-width joiners
 *    (emoji sequences), U+FEFF, private-use characters, control characters.
 *    Hearth keeps them (a NUL byte is refused: it ends C strings).
 *  - Ollama stores invalid UTF-8 as U+FFFD; Hearth refuses it with the
 *    position of the first bad byte.
 *  - A quoted value ends at the first line that ends in its quote, so text
 *    after a closing quote on the same line (SYSTEM """Hi""" # note) makes
 *    Ollama read the following lines, instructions included, into the value.
 *    Hearth refuses a line of a quoted value that holds the quote but does
 *    not end the value. (The closing line itself may hold the quote: """a"""b"""
 *    is a"""b, as in Ollama.)
 *  - A second FROM, SYSTEM, TEMPLATE, DRAFT, RENDERER, PARSER, REQUIRES, or a
 *    second PARAMETER of one name other than stop: Ollama keeps the last
 *    (FROM: merges paths) and forgets the first; Hearth refuses.
 *  - Ollama counts CR and LF as a line each, so its line numbers double in a
 *    CRLF file, and it keeps the CR of CRLF inside multi-line values; Hearth
 *    counts CRLF as one line and stores it as LF (a lone CR is kept).
 *
 * Hearth is more lenient than Ollama in one way: several spaces or tabs may
 * separate an instruction, a parameter name or a role from what follows
 * (Ollama reads "PARAMETER  top_k 40" as a parameter with an empty name).
 * Single quotes are not quotes, in Hearth as in Ollama ('x' is 'x').
 */

#define G_LOG_DOMAIN "hearth-modelfile"

#include "config.h"

#include <glib/gi18n.h>
#include <pwd.h>
#include <string.h>

#include "hearth-modelfile-private.h"
#include "hearth-rules-private.h"

G_DEFINE_QUARK (hearth-modelfile-error-quark, hearth_modelfile_error)

/* ---- the Modelfile ------------------------------------------------------- */

static void
parameter_free (gpointer data)
{
  HearthModelfileParameter *p = data;

  g_free (p->name);
  g_free (p->value);
  g_free (p);
}

static void
message_free (gpointer data)
{
  HearthModelfileMessage *m = data;

  g_free (m->role);
  g_free (m->content);
  g_free (m);
}

HearthModelfile *
hearth_modelfile_new (void)
{
  HearthModelfile *mf = g_new0 (HearthModelfile, 1);

  mf->parameters = g_ptr_array_new_with_free_func (parameter_free);
  mf->messages = g_ptr_array_new_with_free_func (message_free);
  mf->licenses = g_ptr_array_new_with_free_func (g_free);
  mf->comments = g_ptr_array_new_with_free_func (g_free);
  return mf;
}

void
hearth_modelfile_free (HearthModelfile *mf)
{
  if (mf == NULL)
    return;
  g_free (mf->from);
  g_free (mf->from_path);
  g_free (mf->draft);
  g_free (mf->draft_path);
  g_ptr_array_unref (mf->parameters);
  g_free (mf->system);
  g_free (mf->template_text);
  g_ptr_array_unref (mf->messages);
  g_ptr_array_unref (mf->licenses);
  g_free (mf->renderer);
  g_free (mf->parser);
  g_free (mf->requires);
  g_ptr_array_unref (mf->comments);
  g_clear_pointer (&mf->rules, hearth_rules_unref);
  g_free (mf);
}

void
hearth_modelfile_add_parameter (HearthModelfile *mf,
                                const char      *name,
                                const char      *value)
{
  HearthModelfileParameter *p;

  g_return_if_fail (mf != NULL && name != NULL && value != NULL);

  p = g_new0 (HearthModelfileParameter, 1);
  p->name = g_strdup (name);
  p->value = g_strdup (value);
  g_ptr_array_add (mf->parameters, p);
}

void
hearth_modelfile_add_message (HearthModelfile *mf,
                              const char      *role,
                              const char      *content)
{
  HearthModelfileMessage *m;

  g_return_if_fail (mf != NULL && role != NULL && content != NULL);

  m = g_new0 (HearthModelfileMessage, 1);
  m->role = g_strdup (role);
  m->content = g_strdup (content);
  g_ptr_array_add (mf->messages, m);
}

const char *
hearth_modelfile_get_parameter (const HearthModelfile *mf,
                                const char            *name)
{
  g_return_val_if_fail (mf != NULL && name != NULL, NULL);

  for (guint i = 0; i < mf->parameters->len; i++)
    {
      const HearthModelfileParameter *p = g_ptr_array_index (mf->parameters, i);

      if (g_str_equal (p->name, name))
        return p->value;
    }
  return NULL;
}

/* ---- small helpers ------------------------------------------------------- */

/* golang.org/x/mod/semver's IsValid, after an optional "v": 1, 1.2, 1.2.3,
 * and 1.2.3-pre.1+build. */
gboolean
hearth_modelfile_is_semver_internal (const char *text)
{
  const char *p = text;
  int parts = 0;

  if (*p == 'v')
    p++;
  for (;;)
    {
      const char *start = p;

      while (g_ascii_isdigit (*p))
        p++;
      if (p == start || (*start == '0' && p - start > 1))
        return FALSE;
      parts++;
      if (*p != '.' || parts == 3)
        break;
      p++;
    }
  if (*p == '\0')
    return TRUE;
  if (parts < 3)
    return FALSE;
  if (*p == '-')
    {
      p++;
      do
        {
          const char *start = p;
          gboolean numeric = TRUE;

          for (; g_ascii_isalnum (*p) || *p == '-'; p++)
            numeric = numeric && g_ascii_isdigit (*p);
          if (p == start || (numeric && *start == '0' && p - start > 1))
            return FALSE;
        }
      while (*p == '.' && *++p != '\0');
    }
  if (*p == '+')
    {
      p++;
      do
        {
          const char *start = p;

          while (g_ascii_isalnum (*p) || *p == '-')
            p++;
          if (p == start)
            return FALSE;
        }
      while (*p == '.' && *++p != '\0');
    }
  return *p == '\0';
}

/* Whether FROM/DRAFT text reads as a path rather than a model name. Ollama
 * tries every FROM as a file first; Hearth decides by the text, so that a
 * name never depends on what happens to lie in the current folder. A bare
 * "model.gguf" reads as a file, as it would in Ollama. */
static gboolean
reads_as_path (const char *text)
{
  return g_str_has_prefix (text, "/") || g_str_has_prefix (text, "./")
         || g_str_has_prefix (text, "../") || g_str_equal (text, ".")
         || g_str_equal (text, "..") || g_str_has_prefix (text, "~")
         || g_str_has_suffix (text, ".gguf") || g_str_has_suffix (text, ".GGUF");
}

/* Ollama's expandPath: ~ and ~user, else relative to @base_dir. */
static gboolean
resolve_path (const char  *text,
              const char  *base_dir,
              char       **resolved,
              GError     **error)
{
  *resolved = NULL;
  if (!reads_as_path (text))
    return TRUE;

  if (text[0] == '~')
    {
      const char *slash = strchr (text, '/');
      g_autofree char *user = g_strndup (text + 1, slash ? (gsize) (slash - text - 1) : strlen (text + 1));
      const char *home;

      if (*user == '\0')
        home = g_get_home_dir ();
      else
        {
          struct passwd *pw = getpwnam (user);

          if (pw == NULL)
            {
              g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX,
                           _("there is no user “%s” on this computer for “%s”"), user, text);
              return FALSE;
            }
          home = pw->pw_dir;
        }
      *resolved = g_canonicalize_filename (slash ? slash + 1 : ".", home);
      return TRUE;
    }
  *resolved = g_canonicalize_filename (text, base_dir);
  return TRUE;
}

/* ---- the parser ------------------------------------------------------------ */

typedef struct {
  const char *p;
  const char *end;
  const char *line_start;
  guint line;
} Cursor;

static guint
column_at (const Cursor *c,
           const char   *at)
{
  return (guint) g_utf8_strlen (c->line_start, at - c->line_start) + 1;
}

static void
set_error_at (GError       **error,
              int            code,
              guint          line,
              guint          column,
              const char    *message)
{
  g_set_error (error, HEARTH_MODELFILE_ERROR, code, _("line %u, column %u: %s"),
               line, column, message);
}

/* Moves past one line break (CRLF, LF or CR) at c->p, if there is one. */
static void
skip_line_end (Cursor *c)
{
  if (c->p < c->end && *c->p == '\r')
    {
      c->p++;
      if (c->p < c->end && *c->p == '\n')
        c->p++;
    }
  else if (c->p < c->end && *c->p == '\n')
    c->p++;
  c->line++;
  c->line_start = c->p;
}

static void
skip_blanks (Cursor *c)
{
  while (c->p < c->end && is_blank (*c->p))
    c->p++;
}

static const char *
line_end (const Cursor *c)
{
  const char *q = c->p;

  while (q < c->end && !is_line_end (*q))
    q++;
  return q;
}

/* Whether the @n bytes at @s, less trailing blanks, end in @quote and are
 * at least @min long. */
static gboolean
closes (const char *s,
        gsize       n,
        const char *quote,
        gsize       min)
{
  gsize qlen = strlen (quote);

  while (n > 0 && is_blank (s[n - 1]))
    n--;
  return n >= min && n >= qlen && memcmp (s + n - qlen, quote, qlen) == 0;
}

/* Reads a value at c->p to its end (and past its line break): plain text to
 * the end of the line less trailing blanks, or "…" / """…""" to the first
 * line that ends in the same quote, as Ollama does. */
static char *
read_value (Cursor  *c,
            GError **error)
{
  const char *quote;
  guint open_line = c->line;
  guint open_column = column_at (c, c->p);
  g_autoptr (GString) value = NULL;
  gboolean first = TRUE;

  if (c->end - c->p >= 3 && memcmp (c->p, "\"\"\"", 3) == 0)
    quote = "\"\"\"";
  else if (c->p < c->end && *c->p == '"')
    quote = "\"";
  else
    {
      const char *e = line_end (c);
      const char *t = e;

      while (t > c->p && is_blank (t[-1]))
        t--;
      value = g_string_new_len (c->p, t - c->p);
      c->p = e;
      skip_line_end (c);
      return g_string_free (g_steal_pointer (&value), FALSE);
    }

  value = g_string_new (NULL);
  c->p += strlen (quote);
  for (;;)
    {
      const char *e = line_end (c);
      gsize n = (gsize) (e - c->p);
      /* on the opening line, the opening quote counts towards the length
       * (Ollama needs """""" or "" at least) */
      gsize min = first ? strlen (quote) : 0;

      if (closes (c->p, n, quote, min))
        {
          gsize k = n;

          while (k > 0 && is_blank (c->p[k - 1]))
            k--;
          g_string_append_len (value, c->p, k - strlen (quote));
          c->p = e;
          skip_line_end (c);
          return g_string_free (g_steal_pointer (&value), FALSE);
        }
      {
        const char *q = find_in (c->p, n, quote);

        if (q != NULL)
          {
            g_autofree char *msg = g_strdup_printf (
              _("text after the closing %s; Ollama would read the lines that follow "
                "into this value. Put the text inside the quotes or on a line of its own"),
              quote);

            const char *text = q + strlen (quote);

            while (is_blank (*text))
              text++;
            set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, c->line, column_at (c, text), msg);
            return NULL;
          }
      }
      g_string_append_len (value, c->p, n);
      if (e >= c->end)
        {
          g_autofree char *msg = g_strdup_printf (_("the %s opened here is never closed"), quote);

          set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, open_line, open_column, msg);
          return NULL;
        }
      /* CRLF and LF are stored as LF; a lone CR is kept, as Ollama keeps it */
      if (*e == '\r' && (e + 1 >= c->end || e[1] != '\n'))
        g_string_append_c (value, '\r');
      else
        g_string_append_c (value, '\n');
      c->p = e;
      skip_line_end (c);
      first = FALSE;
    }
}

typedef enum {
  INS_FROM,
  INS_PARAMETER,
  INS_TEMPLATE,
  INS_SYSTEM,
  INS_MESSAGE,
  INS_LICENSE,
  INS_ADAPTER,
  INS_DRAFT,
  INS_RENDERER,
  INS_PARSER,
  INS_REQUIRES,
  N_INSTRUCTIONS
} Instruction;

static const char *const instruction_names[N_INSTRUCTIONS] = {
  "FROM", "PARAMETER", "TEMPLATE", "SYSTEM", "MESSAGE", "LICENSE", "ADAPTER", "DRAFT",
  "RENDERER", "PARSER", "REQUIRES",
};

/* The fields that a Modelfile has once, by instruction. */
static char **
single_field (HearthModelfile *mf,
              Instruction      ins)
{
  switch (ins)
    {
    case INS_FROM: return &mf->from;
    case INS_TEMPLATE: return &mf->template_text;
    case INS_SYSTEM: return &mf->system;
    case INS_DRAFT: return &mf->draft;
    case INS_RENDERER: return &mf->renderer;
    case INS_PARSER: return &mf->parser;
    case INS_REQUIRES: return &mf->requires;
    case INS_PARAMETER:
    case INS_MESSAGE:
    case INS_LICENSE:
    case INS_ADAPTER:
    case N_INSTRUCTIONS:
    default:
      return NULL;
    }
}

/* Turns @data (UTF-8 with or without a BOM, UTF-16 with a BOM) into UTF-8
 * that holds no NUL, or says where it is not. */
static char *
decode (const char  *data,
        gsize        len,
        gsize       *out_len,
        GError     **error)
{
  const guchar *u = (const guchar *) data;
  g_autofree char *text = NULL;
  const char *bad = NULL;

  if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
    {
      g_autoptr (GError) local = NULL;
      gsize written = 0;

      text = g_convert (data + 2, len - 2, "UTF-8", u[0] == 0xff ? "UTF-16LE" : "UTF-16BE",
                        NULL, &written, &local);
      if (text == NULL)
        {
          g_set_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_ENCODING,
                       _("the file starts as UTF-16 text but is not valid UTF-16: %s"),
                       local->message);
          return NULL;
        }
      len = written;
    }
  else
    {
      if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
        {
          data += 3;
          len -= 3;
        }
      text = g_malloc (len + 1);
      memcpy (text, data, len);
      text[len] = '\0';
    }

  bad = memchr (text, '\0', len);
  if (bad == NULL && g_utf8_validate_len (text, len, &bad))
    {
      *out_len = len;
      return g_steal_pointer (&text);
    }

  {
    Cursor c = { text, text + len, text, 1 };
    /* the position of @bad: count lines up to it */
    while (c.p < bad)
      {
        if (is_line_end (*c.p))
          {
            skip_line_end (&c);
            continue;
          }
        c.p++;
      }
    set_error_at (error, HEARTH_MODELFILE_ERROR_ENCODING, c.line,
                  (guint) g_utf8_strlen (c.line_start, bad - c.line_start) + 1,
                  *bad == '\0'
                    ? _("a NUL byte; is this UTF-16 text without a byte order mark? "
                        "Save the Modelfile as UTF-8")
                    : _("this is not UTF-8 text; save the Modelfile as UTF-8"));
    return NULL;
  }
}

/* The rules among the comments (@text: the comment lines where they were;
 * @lines: each comment's line), which leave the comments. */
static gboolean
read_rules (HearthModelfile *mf,
            const char      *text,
            GArray          *lines,
            GError         **error)
{
  g_autoptr (GArray) spans = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GError) local = NULL;
  guint kept = 0;

  mf->rules = hearth_rules_parse_modelfile_internal (text, spans, &local);
  if (mf->rules == NULL)
    {
      /* the same "line L, column C: …" as the Modelfile's own errors */
      g_set_error_literal (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX,
                           local->message);
      return FALSE;
    }
  for (guint i = 0; i < mf->comments->len; i++)
    {
      guint line = g_array_index (lines, guint, i);
      gboolean in_rule = FALSE;

      for (guint r = 0; r + 1 < spans->len && !in_rule; r += 2)
        in_rule = line >= g_array_index (spans, guint, r)
                  && line <= g_array_index (spans, guint, r + 1);
      if (in_rule)
        g_free (g_steal_pointer (&mf->comments->pdata[i]));
      else
        mf->comments->pdata[kept++] = g_steal_pointer (&mf->comments->pdata[i]);
    }
  g_ptr_array_set_size (mf->comments, kept);
  if (hearth_rules_get_n_rules (mf->rules) == 0)
    g_clear_pointer (&mf->rules, hearth_rules_unref);
  return TRUE;
}

static HearthModelfile *
parse_text (const char  *text,
            gsize        len,
            const char  *base_dir,
            GError     **error)
{
  g_autoptr (HearthModelfile) mf = hearth_modelfile_new ();
  Cursor c = { text, text + len, text, 1 };
  guint seen[N_INSTRUCTIONS] = { 0 };
  g_autoptr (GHashTable) param_lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* the comment lines where they were, the other lines empty: what the
   * rules are read from, so that their errors point into the file */
  g_autoptr (GString) comment_text = g_string_new (NULL);
  g_autoptr (GArray) comment_lines = g_array_new (FALSE, FALSE, sizeof (guint));
  guint comment_text_lines = 1;

  while (c.p < c.end)
    {
      const char *word, *after;
      g_autofree char *name = NULL;
      g_autofree char *extra = NULL; /* a parameter name or a message role */
      g_autofree char *value = NULL;
      guint line, column, extra_column = 0;
      int ins = -1;

      skip_blanks (&c);
      if (c.p >= c.end)
        break;
      if (is_line_end (*c.p))
        {
          skip_line_end (&c);
          continue;
        }
      if (*c.p == '#')
        {
          const char *e = line_end (&c);

          for (; comment_text_lines < c.line; comment_text_lines++)
            g_string_append_c (comment_text, '\n');
          g_string_append_len (comment_text, c.line_start, e - c.line_start);
          g_array_append_val (comment_lines, c.line);
          g_ptr_array_add (mf->comments, g_strndup (c.p + 1, e - c.p - 1));
          c.p = e;
          skip_line_end (&c);
          continue;
        }

      /* the instruction: letters, then a blank */
      word = c.p;
      line = c.line;
      column = column_at (&c, word);
      while (c.p < c.end && g_ascii_isalpha (*c.p))
        c.p++;
      after = c.p;
      name = g_ascii_strup (word, after - word);
      for (int i = 0; i < N_INSTRUCTIONS; i++)
        if (g_str_equal (name, instruction_names[i]))
          ins = i;
      if (ins < 0 || (after < c.end && !is_blank (*after) && !is_line_end (*after)))
        {
          const char *t = after;
          g_autofree char *shown = NULL;
          g_autofree char *msg = NULL;

          while (t < c.end && !is_blank (*t) && !is_line_end (*t))
            t = g_utf8_next_char (t);
          shown = g_strndup (word, t - word);
          msg = g_strdup_printf (_("“%s” is not an instruction; expected FROM, PARAMETER, "
                                   "TEMPLATE, SYSTEM, MESSAGE, LICENSE, DRAFT, RENDERER, "
                                   "PARSER or REQUIRES"), shown);
          set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, line, column, msg);
          return NULL;
        }
      skip_blanks (&c);

      if (ins == INS_PARAMETER || ins == INS_MESSAGE)
        {
          const char *start = c.p;

          extra_column = column_at (&c, start);
          while (c.p < c.end && (g_ascii_isalpha (*c.p)
                                 || (ins == INS_PARAMETER && (g_ascii_isdigit (*c.p) || *c.p == '_'))))
            c.p++;
          if (c.p >= c.end || is_line_end (*c.p) || (c.p == start && is_blank (*c.p)))
            {
              set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, c.line, column_at (&c, c.p),
                            ins == INS_PARAMETER
                              ? _("PARAMETER needs a name and a value")
                              : _("MESSAGE needs a role (system, user or assistant) and a text"));
              return NULL;
            }
          if (!is_blank (*c.p))
            {
              set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, c.line, column_at (&c, c.p),
                            ins == INS_PARAMETER
                              ? _("a parameter name has only letters, digits and _")
                              : _("a message role is system, user or assistant"));
              return NULL;
            }
          extra = g_strndup (start, c.p - start);
          skip_blanks (&c);
          if (c.p >= c.end || is_line_end (*c.p))
            {
              set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, c.line, column_at (&c, c.p),
                            ins == INS_PARAMETER
                              ? _("PARAMETER needs a name and a value")
                              : _("MESSAGE needs a role (system, user or assistant) and a text"));
              return NULL;
            }
        }
      else if (c.p >= c.end || is_line_end (*c.p))
        {
          g_autofree char *msg = g_strdup_printf (_("%s needs a value"), name);

          set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, c.line, column_at (&c, c.p), msg);
          return NULL;
        }

      {
        guint value_line = c.line;
        guint value_column = column_at (&c, c.p);

        value = read_value (&c, error);
        if (value == NULL)
          return NULL;

        switch ((Instruction) ins)
          {
          case INS_ADAPTER:
            set_error_at (error, HEARTH_MODELFILE_ERROR_UNSUPPORTED, line, column,
                          _("Hearth does not apply LoRA adapters yet"));
            return NULL;

          case INS_LICENSE:
            g_ptr_array_add (mf->licenses, g_steal_pointer (&value));
            break;

          case INS_MESSAGE:
            if (!is_message_role (extra))
              {
                g_autofree char *msg = g_strdup_printf (
                  _("“%s” is not a message role; expected system, user or assistant, "
                    "in lower case"), extra);

                set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, line, extra_column, msg);
                return NULL;
              }
            hearth_modelfile_add_message (mf, extra, value);
            break;

          case INS_PARAMETER:
            {
              g_autoptr (GError) local = NULL;
              HearthParameterType type = HEARTH_PARAMETER_STRING;
              guint first_line = GPOINTER_TO_UINT (g_hash_table_lookup (param_lines, extra));
              HearthModelfileParameter *p;

              if (!hearth_modelfile_check_parameter (extra, value, &local))
                {
                  gboolean name_wrong = !hearth_modelfile_parameter_type (extra, NULL);

                  set_error_at (error, HEARTH_MODELFILE_ERROR_PARAMETER, line,
                                name_wrong ? extra_column : value_column, local->message);
                  return NULL;
                }
              hearth_modelfile_parameter_type (extra, &type);
              if (first_line != 0 && type != HEARTH_PARAMETER_STRING_LIST)
                {
                  g_autofree char *msg = g_strdup_printf (
                    _("a second PARAMETER %s (the first is on line %u); only stop may be repeated"),
                    extra, first_line);

                  set_error_at (error, HEARTH_MODELFILE_ERROR_PARAMETER, line, extra_column, msg);
                  return NULL;
                }
              if (first_line == 0)
                g_hash_table_insert (param_lines, g_strdup (extra), GUINT_TO_POINTER (line));
              hearth_modelfile_add_parameter (mf, extra, value);
              p = g_ptr_array_index (mf->parameters, mf->parameters->len - 1);
              p->line = line;
            }
            break;

          case INS_FROM:
          case INS_DRAFT:
          case INS_TEMPLATE:
          case INS_SYSTEM:
          case INS_RENDERER:
          case INS_PARSER:
          case INS_REQUIRES:
            if (seen[ins] != 0)
              {
                g_autofree char *msg = g_strdup_printf (
                  _("a second %s (the first is on line %u); a Modelfile has one"),
                  name, seen[ins]);

                set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, line, column, msg);
                return NULL;
              }
            seen[ins] = line;
            if ((ins == INS_FROM || ins == INS_DRAFT || ins == INS_REQUIRES) && *value == '\0')
              {
                g_autofree char *msg = g_strdup_printf (_("%s needs a value"), name);

                set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, value_line, value_column, msg);
                return NULL;
              }
            if (ins == INS_REQUIRES)
              {
                if (!hearth_modelfile_is_semver_internal (value))
                  {
                    g_autofree char *msg = g_strdup_printf (
                      _("REQUIRES needs an Ollama version such as 0.14.0, not “%s”"), value);

                    set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, value_line, value_column,
                                  msg);
                    return NULL;
                  }
                if (value[0] == 'v')
                  memmove (value, value + 1, strlen (value));
              }
            if (ins == INS_FROM || ins == INS_DRAFT)
              {
                g_autoptr (GError) local = NULL;
                char **path = ins == INS_FROM ? &mf->from_path : &mf->draft_path;

                if (!resolve_path (value, base_dir, path, &local))
                  {
                    set_error_at (error, HEARTH_MODELFILE_ERROR_SYNTAX, value_line, value_column,
                                  local->message);
                    return NULL;
                  }
              }
            *single_field (mf, ins) = g_steal_pointer (&value);
            break;

          case N_INSTRUCTIONS:
          default:
            g_assert_not_reached ();
          }
      }
    }

  if (strstr (comment_text->str, "hearth:") != NULL
      && !read_rules (mf, comment_text->str, comment_lines, error))
    return NULL;
  if (mf->from == NULL)
    {
      g_set_error_literal (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX,
                           _("the Modelfile has no FROM line; it needs one, such as "
                             "FROM llama3.2 or FROM ./model.gguf"));
      return NULL;
    }
  return g_steal_pointer (&mf);
}

static HearthModelfile *
parse_in (const char  *data,
          gsize        len,
          const char  *base_dir,
          GError     **error)
{
  g_autofree char *text = NULL;
  gsize text_len = 0;

  text = decode (data, len, &text_len, error);
  if (text == NULL)
    return NULL;
  return parse_text (text, text_len, base_dir, error);
}

HearthModelfile *
hearth_modelfile_parse (const char  *data,
                        gssize       len,
                        GError     **error)
{
  g_autofree char *cwd = g_get_current_dir ();

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (len < 0)
    len = (gssize) strlen (data);
  return parse_in (data, (gsize) len, cwd, error);
}

HearthModelfile *
hearth_modelfile_parse_file (const char  *path,
                             GError     **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *data = NULL;
  g_autofree char *absolute = NULL;
  g_autofree char *dir = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &data, &len, &local))
    {
      g_set_error_literal (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_IO,
                           local->message);
      return NULL;
    }
  absolute = g_canonicalize_filename (path, NULL);
  dir = g_path_get_dirname (absolute);
  return parse_in (data, len, dir, error);
}
