/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Modelfiles: every instruction, every parameter and each kind of wrong
 * value, quoting as Ollama's parser has it, comments, encodings (UTF-8 with
 * and without a BOM, UTF-16 LE and BE), CRLF, errors with their positions,
 * the places where Ollama would lose text and Hearth refuses, write-then-
 * parse round trips, and Modelfiles as people write them.
 */

#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "hearth-modelfile.h"

static HearthModelfile *
parse_ok (const char *text)
{
  g_autoptr (GError) error = NULL;
  HearthModelfile *mf = hearth_modelfile_parse (text, -1, &error);

  if (mf == NULL)
    g_error ("refused: %s\n---\n%s", error->message, text);
  return mf;
}

/* Parses @text, which must be refused with @code and a message holding
 * @want. */
static void
parse_bad (const char *text,
           gssize      len,
           int         code,
           const char *want)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelfile) mf = hearth_modelfile_parse (text, len, &error);

  if (mf != NULL)
    g_error ("accepted:\n%s", text);
  g_assert_error (error, HEARTH_MODELFILE_ERROR, code);
  if (strstr (error->message, want) == NULL)
    g_error ("“%s” does not say “%s”", error->message, want);
}

static void
assert_same (const HearthModelfile *a,
             const HearthModelfile *b)
{
  g_assert_cmpstr (a->from, ==, b->from);
  g_assert_cmpstr (a->from_path, ==, b->from_path);
  g_assert_cmpstr (a->draft, ==, b->draft);
  g_assert_cmpstr (a->system, ==, b->system);
  g_assert_cmpstr (a->template_text, ==, b->template_text);
  g_assert_cmpstr (a->renderer, ==, b->renderer);
  g_assert_cmpstr (a->parser, ==, b->parser);
  g_assert_cmpstr (a->requires, ==, b->requires);
  g_assert_cmpuint (a->parameters->len, ==, b->parameters->len);
  for (guint i = 0; i < a->parameters->len; i++)
    {
      const HearthModelfileParameter *p = g_ptr_array_index (a->parameters, i);
      const HearthModelfileParameter *q = g_ptr_array_index (b->parameters, i);

      g_assert_cmpstr (p->name, ==, q->name);
      g_assert_cmpstr (p->value, ==, q->value);
    }
  g_assert_cmpuint (a->messages->len, ==, b->messages->len);
  for (guint i = 0; i < a->messages->len; i++)
    {
      const HearthModelfileMessage *m = g_ptr_array_index (a->messages, i);
      const HearthModelfileMessage *n = g_ptr_array_index (b->messages, i);

      g_assert_cmpstr (m->role, ==, n->role);
      g_assert_cmpstr (m->content, ==, n->content);
    }
  g_assert_cmpuint (a->licenses->len, ==, b->licenses->len);
  for (guint i = 0; i < a->licenses->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a->licenses, i), ==, g_ptr_array_index (b->licenses, i));
  g_assert_cmpuint (a->comments->len, ==, b->comments->len);
  for (guint i = 0; i < a->comments->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a->comments, i), ==, g_ptr_array_index (b->comments, i));
}

/* write, parse, compare; and the written text is stable */
static void
assert_round_trip (const HearthModelfile *mf)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = hearth_modelfile_to_string (mf);
  g_autoptr (HearthModelfile) again = hearth_modelfile_parse (text, -1, &error);
  g_autofree char *text2 = NULL;

  if (again == NULL)
    g_error ("the writer's text was refused: %s\n---\n%s", error->message, text);
  assert_same (mf, again);
  text2 = hearth_modelfile_to_string (again);
  g_assert_cmpstr (text, ==, text2);
}

/* ---- instructions ---------------------------------------------------------- */

static void
test_every_instruction (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelfile) mf = hearth_modelfile_parse (
    "# a profile\n"
    "FROM llama3.2\n"
    "draft\tqwen2.5:0.5b\n"
    "PARAMETER temperature 0.7\n"
    "parameter stop <|eot_id|>\n"
    "Parameter stop \"User:\"\n"
    "TEMPLATE \"\"\"{{ .System }} {{ .Prompt }}\"\"\"\n"
    "SYSTEM You are a helpful assistant.  \n"
    "MESSAGE user Is Toronto in Canada?\n"
    "MESSAGE   assistant    yes\n"
    "message system Be brief.\n"
    "LICENSE MIT\n"
    "LICENSE \"\"\"Apache\nLicense 2.0\"\"\"\n"
    "RENDERER qwen3-coder\n"
    "PARSER qwen3-coder\n"
    "REQUIRES v0.14.0\n"
    "   # an indented comment\n"
    "\n",
    -1, &error);
  const HearthModelfileParameter *p;
  const HearthModelfileMessage *m;

  g_assert_no_error (error);
  g_assert_cmpstr (mf->from, ==, "llama3.2");
  g_assert_null (mf->from_path);
  g_assert_cmpstr (mf->draft, ==, "qwen2.5:0.5b");
  g_assert_cmpuint (mf->parameters->len, ==, 3);
  p = g_ptr_array_index (mf->parameters, 0);
  g_assert_cmpstr (p->name, ==, "temperature");
  g_assert_cmpstr (p->value, ==, "0.7");
  g_assert_cmpuint (p->line, ==, 4);
  p = g_ptr_array_index (mf->parameters, 1);
  g_assert_cmpstr (p->value, ==, "<|eot_id|>");
  p = g_ptr_array_index (mf->parameters, 2);
  g_assert_cmpstr (p->name, ==, "stop");
  g_assert_cmpstr (p->value, ==, "User:");
  g_assert_cmpstr (hearth_modelfile_get_parameter (mf, "stop"), ==, "<|eot_id|>");
  g_assert_null (hearth_modelfile_get_parameter (mf, "top_k"));
  g_assert_cmpstr (mf->template_text, ==, "{{ .System }} {{ .Prompt }}");
  g_assert_cmpstr (mf->system, ==, "You are a helpful assistant.");
  g_assert_cmpuint (mf->messages->len, ==, 3);
  m = g_ptr_array_index (mf->messages, 0);
  g_assert_cmpstr (m->role, ==, "user");
  g_assert_cmpstr (m->content, ==, "Is Toronto in Canada?");
  m = g_ptr_array_index (mf->messages, 1);
  g_assert_cmpstr (m->role, ==, "assistant");
  g_assert_cmpstr (m->content, ==, "yes");
  m = g_ptr_array_index (mf->messages, 2);
  g_assert_cmpstr (m->role, ==, "system");
  g_assert_cmpuint (mf->licenses->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (mf->licenses, 0), ==, "MIT");
  g_assert_cmpstr (g_ptr_array_index (mf->licenses, 1), ==, "Apache\nLicense 2.0");
  g_assert_cmpstr (mf->renderer, ==, "qwen3-coder");
  g_assert_cmpstr (mf->parser, ==, "qwen3-coder");
  g_assert_cmpstr (mf->requires, ==, "0.14.0");
  g_assert_cmpuint (mf->comments->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (mf->comments, 0), ==, " a profile");
  g_assert_cmpstr (g_ptr_array_index (mf->comments, 1), ==, " an indented comment");
  assert_round_trip (mf);

  /* absent fields stay NULL; an empty SYSTEM is "" (it clears the model's) */
  {
    g_autoptr (HearthModelfile) bare = parse_ok ("FROM x\nSYSTEM \"\"\n");

    g_assert_cmpstr (bare->system, ==, "");
    g_assert_null (bare->template_text);
    g_assert_null (bare->draft);
    g_assert_null (bare->requires);
    assert_round_trip (bare);
  }
}

static void
test_adapter (void)
{
  parse_bad ("FROM llama3.2\nADAPTER ./lora.gguf\n", -1, HEARTH_MODELFILE_ERROR_UNSUPPORTED,
             "line 2, column 1: Hearth does not apply LoRA adapters yet");
}

/* ---- parameters ------------------------------------------------------------ */

static void
test_parameters (void)
{
  static const struct {
    const char *name;
    HearthParameterType type;
    const char *good;
  } table[] = {
    { "num_ctx", HEARTH_PARAMETER_INT, "4096" },
    { "num_batch", HEARTH_PARAMETER_INT, "512" },
    { "num_gpu", HEARTH_PARAMETER_INT, "-1" },
    { "main_gpu", HEARTH_PARAMETER_INT, "0" },
    { "use_mmap", HEARTH_PARAMETER_BOOL, "false" },
    { "num_thread", HEARTH_PARAMETER_INT, "8" },
    { "draft_num_predict", HEARTH_PARAMETER_INT, "4" },
    { "num_keep", HEARTH_PARAMETER_INT, "24" },
    { "seed", HEARTH_PARAMETER_INT, "42" },
    { "num_predict", HEARTH_PARAMETER_INT, "-1" },
    { "top_k", HEARTH_PARAMETER_INT, "+40" },
    { "top_p", HEARTH_PARAMETER_FLOAT, "0.9" },
    { "min_p", HEARTH_PARAMETER_FLOAT, "0.05" },
    { "typical_p", HEARTH_PARAMETER_FLOAT, "1" },
    { "repeat_last_n", HEARTH_PARAMETER_INT, "64" },
    { "temperature", HEARTH_PARAMETER_FLOAT, "1e-1" },
    { "repeat_penalty", HEARTH_PARAMETER_FLOAT, "1.1" },
    { "presence_penalty", HEARTH_PARAMETER_FLOAT, "-0.5" },
    { "frequency_penalty", HEARTH_PARAMETER_FLOAT, ".5" },
    { "stop", HEARTH_PARAMETER_STRING_LIST, "</s>" },
    /* deprecated: Ollama warns and ignores them; Hearth keeps them */
    { "penalize_newline", HEARTH_PARAMETER_BOOL, "True" },
    { "low_vram", HEARTH_PARAMETER_BOOL, "0" },
    { "f16_kv", HEARTH_PARAMETER_BOOL, "t" },
    { "logits_all", HEARTH_PARAMETER_BOOL, "F" },
    { "vocab_only", HEARTH_PARAMETER_BOOL, "FALSE" },
    { "use_mlock", HEARTH_PARAMETER_BOOL, "1" },
    { "mirostat", HEARTH_PARAMETER_INT, "2" },
    { "mirostat_tau", HEARTH_PARAMETER_FLOAT, "5.0" },
    { "mirostat_eta", HEARTH_PARAMETER_FLOAT, "0.1" },
  };
  static const struct {
    const char *line, *want;
  } bad[] = {
    { "PARAMETER num_ctx 1.5", "line 2, column 19: num_ctx needs a whole number, not “1.5”" },
    { "PARAMETER num_ctx 4k", "num_ctx needs a whole number, not “4k”" },
    { "PARAMETER seed 99999999999999999999", "seed needs a whole number" },
    { "PARAMETER top_k 0x10", "top_k needs a whole number" },
    { "PARAMETER top_k 1_000", "top_k needs a whole number" },
    { "PARAMETER temperature warm", "temperature needs a number such as 0.7, not “warm”" },
    { "PARAMETER temperature 0.7 # warm", "not “0.7 # warm”" },
    { "PARAMETER temperature NaN", "temperature needs a finite number, not “NaN”" },
    { "PARAMETER top_p inf", "top_p needs a finite number" },
    { "PARAMETER top_p -Infinity", "top_p needs a finite number" },
    { "PARAMETER top_p 1e39", "top_p needs a finite number" },
    { "PARAMETER use_mmap maybe", "use_mmap needs true or false, not “maybe”" },
    { "PARAMETER use_mmap yes", "use_mmap needs true or false" },
    { "PARAMETER mirostat 0.5", "mirostat needs a whole number" },
    { "PARAMETER tfs_z 1.0", "line 2, column 11: Ollama no longer has the parameter “tfs_z”" },
    { "PARAMETER num_gqa 8", "no longer has the parameter “num_gqa”" },
    { "PARAMETER rope_frequency_base 10000", "no longer has" },
    { "PARAMETER numa true", "no longer has" },
    { "PARAMETER warmth 1", "line 2, column 11: unknown parameter “warmth”" },
    { "PARAMETER Temperature 1", "parameter names are in lower case: temperature" },
    { "PARAMETER temperature", "line 2, column 22: PARAMETER needs a name and a value" },
    { "PARAMETER temperature   ", "PARAMETER needs a name and a value" },
    { "PARAMETER", "line 2, column 10: PARAMETER needs a name and a value" },
    { "PARAMETER top-k 40", "line 2, column 14: a parameter name has only letters, digits and _" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    {
      HearthParameterType type = -1;
      g_autofree char *text = g_strdup_printf ("FROM m\nPARAMETER %s %s\n", table[i].name,
                                               table[i].good);
      g_autoptr (HearthModelfile) mf = parse_ok (text);

      g_assert_true (hearth_modelfile_parameter_type (table[i].name, &type));
      g_assert_cmpint (type, ==, table[i].type);
      g_assert_cmpint (hearth_modelfile_parameter_is_deprecated (table[i].name), ==,
                       g_str_has_prefix (table[i].name, "mirostat") || i >= 20);
      g_assert_cmpstr (hearth_modelfile_get_parameter (mf, table[i].name), ==, table[i].good);
      assert_round_trip (mf);
    }
  g_assert_false (hearth_modelfile_parameter_type ("tfs_z", NULL));
  g_assert_false (hearth_modelfile_parameter_type ("Temperature", NULL));

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf ("FROM m\n%s\n", bad[i].line);
      int code = strstr (bad[i].want, "PARAMETER needs") != NULL
                 || strstr (bad[i].want, "only letters") != NULL
                   ? HEARTH_MODELFILE_ERROR_SYNTAX : HEARTH_MODELFILE_ERROR_PARAMETER;

      parse_bad (text, -1, code, bad[i].want);
    }

  /* stop repeats; nothing else does */
  parse_bad ("FROM m\nPARAMETER top_k 40\n\nPARAMETER top_k 20\n", -1,
             HEARTH_MODELFILE_ERROR_PARAMETER,
             "line 4, column 11: a second PARAMETER top_k (the first is on line 2)");
  {
    g_autoptr (HearthModelfile) mf = parse_ok (
      "FROM m\nPARAMETER stop a\nPARAMETER stop b\nPARAMETER stop \" c \"\n");

    g_assert_cmpuint (mf->parameters->len, ==, 3);
    g_assert_cmpstr (((HearthModelfileParameter *) mf->parameters->pdata[2])->value, ==, " c ");
    assert_round_trip (mf);
  }

  /* hearth_modelfile_check_parameter () says it without a position */
  {
    g_autoptr (GError) error = NULL;

    g_assert_true (hearth_modelfile_check_parameter ("temperature", "0.8", NULL));
    g_assert_false (hearth_modelfile_check_parameter ("num_ctx", "big", &error));
    g_assert_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER);
    g_assert_cmpstr (error->message, ==, "num_ctx needs a whole number, not “big”");
  }
}

/* ---- values and quotes ----------------------------------------------------- */

static void
test_quotes (void)
{
  static const struct {
    const char *value_text, *want;
  } good[] = {
    { "plain text", "plain text" },
    { "  spaced  \t", "spaced" },
    { "\"quoted\"", "quoted" },
    { "\" kept spaces \"", " kept spaces " },
    { "\"He said \"hi\"\"", "He said \"hi\"" },
    { "\"\"\"triple\"\"\"", "triple" },
    { "\"\"\"say \"hi\"\"\"\"", "say \"hi\"" },
    { "\"\"\"\"hi\" she said\"\"\"", "\"hi\" she said" },
    { "\"\"\"a\"\"\"b\"\"\"", "a\"\"\"b" },
    { "\"\"\"\"\"\"", "" },
    { "\"\"", "" },
    { "\"\"\"\nline one\nline two\n\"\"\"", "\nline one\nline two\n" },
    { "\"\"\"line one\n\n  line three\"\"\"   ", "line one\n\n  line three" },
    { "\"two\nlines\"", "two\nlines" },
    { "'single'", "'single'" },
    { "You are \"Mario\"", "You are \"Mario\"" },
    { "# not a comment", "# not a comment" },
    { "\"\"\"# not a comment\n# either\"\"\"", "# not a comment\n# either" },
    { "tab\tinside", "tab\tinside" },
    /* what Ollama drops (strconv.IsPrint), Hearth keeps */
    { "一\u3000二\u00a0三", "一\u3000二\u00a0三" },
    { "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧" },
    { "bell\a", "bell\a" },
  };
  static const struct {
    const char *text, *want;
  } bad[] = {
    { "FROM m\nSYSTEM \"\"\"Mario\"\"\" # the persona\nTEMPLATE \"\"\"{{ .Prompt }}\"\"\"\n",
      "line 2, column 20: text after the closing \"\"\"; Ollama would read the lines" },
    { "FROM m\nSYSTEM \"Mario\" is fun\n", "line 2, column 16: text after the closing \"" },
    { "FROM m\nSYSTEM \"\"\"\nYou are Mario.\n\"\"\" here\n",
      "line 4, column 5: text after the closing \"\"\"" },
    { "FROM m\nSYSTEM \"\"\"never closed\nFROM x\n",
      "line 2, column 8: the \"\"\" opened here is never closed" },
    { "FROM m\nSYSTEM \"\"\"\n", "line 2, column 8: the \"\"\" opened here is never closed" },
    { "FROM m\nSYSTEM \"open\n", "line 2, column 8: the \" opened here is never closed" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *text = g_strdup_printf ("FROM m\nSYSTEM %s\nPARAMETER top_k 1\n",
                                               good[i].value_text);
      g_autoptr (HearthModelfile) mf = parse_ok (text);

      g_assert_cmpstr (mf->system, ==, good[i].want);
      g_assert_cmpstr (hearth_modelfile_get_parameter (mf, "top_k"), ==, "1");
      assert_round_trip (mf);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    parse_bad (bad[i].text, -1, HEARTH_MODELFILE_ERROR_SYNTAX, bad[i].want);
}

static void
test_syntax_errors (void)
{
  static const struct {
    const char *text, *want;
  } bad[] = {
    { "", "no FROM line" },
    { "# only a comment\n", "no FROM line" },
    { "SYSTEM hi\n", "the Modelfile has no FROM line" },
    { "FROM m\nFORM x\n", "line 2, column 1: “FORM” is not an instruction; expected FROM" },
    { "FROM m\n  SYSTEM: hi\n", "line 2, column 3: “SYSTEM:” is not an instruction" },
    { "FROM m\n名字 x\n", "line 2, column 1: “名字” is not an instruction" },
    { "FROM\n", "line 1, column 5: FROM needs a value" },
    { "FROM m\nSYSTEM", "line 2, column 7: SYSTEM needs a value" },
    { "FROM  \n", "line 1, column 7: FROM needs a value" },
    { "FROM m\nFROM n\n", "line 2, column 1: a second FROM (the first is on line 1)" },
    { "FROM m\nSYSTEM a\nsystem b\n", "line 3, column 1: a second SYSTEM (the first is on line 2)" },
    { "FROM m\nTEMPLATE a\nTEMPLATE b\n", "a second TEMPLATE" },
    { "FROM m\nMESSAGE User hi\n", "line 2, column 9: “User” is not a message role" },
    { "FROM m\nMESSAGE tool hi\n", "“tool” is not a message role" },
    { "FROM m\nMESSAGE user\n", "line 2, column 13: MESSAGE needs a role" },
    { "FROM m\nMESSAGE user:hi\n", "line 2, column 13: a message role is system, user or assistant" },
    { "FROM m\nREQUIRES soon\n", "line 2, column 10: REQUIRES needs an Ollama version such as 0.14.0" },
    { "FROM m\nREQUIRES 0.14-rc\n", "REQUIRES needs" },
    { "FROM m\nREQUIRES 01.2.3\n", "REQUIRES needs" },
    { "FROM m\nREQUIRES 1.2.3-\n", "REQUIRES needs" },
    { "FROM m\nREQUIRES 1.2.3-01\n", "REQUIRES needs" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    parse_bad (bad[i].text, -1, HEARTH_MODELFILE_ERROR_SYNTAX, bad[i].want);

  {
    g_autoptr (HearthModelfile) mf = parse_ok ("FROM m\nREQUIRES 0.14\nSYSTEM x\n");

    g_assert_cmpstr (mf->requires, ==, "0.14");
  }
  {
    g_autoptr (HearthModelfile) mf = parse_ok ("FROM m\nREQUIRES 1.2.3-rc.1+build.5\n");

    g_assert_cmpstr (mf->requires, ==, "1.2.3-rc.1+build.5");
    g_assert_true (hearth_modelfile_check (mf, NULL));
  }
}

/* ---- line endings and encodings -------------------------------------------- */

static const char crlf[] =
  "# made on Windows\r\n"
  "FROM llama3.2\r\n"
  "\r\n"
  "PARAMETER temperature 0.7\r\n"
  "SYSTEM \"\"\"line one\r\nline two\"\"\"\r\n"
  "PARAMETER wrong 1\r\n";

static void
test_line_endings (void)
{
  g_autoptr (HearthModelfile) mf = NULL;
  g_autofree char *text = g_strndup (crlf, strstr (crlf, "PARAMETER wrong") - crlf);

  mf = parse_ok (text);
  g_assert_cmpstr (mf->from, ==, "llama3.2");
  g_assert_cmpstr (mf->system, ==, "line one\nline two");
  g_assert_cmpstr (hearth_modelfile_get_parameter (mf, "temperature"), ==, "0.7");
  g_assert_cmpstr (g_ptr_array_index (mf->comments, 0), ==, " made on Windows");
  /* CRLF is one line: the error is on line 7, not 13 */
  parse_bad (crlf, -1, HEARTH_MODELFILE_ERROR_PARAMETER, "line 7, column 11: unknown parameter");

  /* old Mac line ends; a lone CR inside a quoted value is kept */
  {
    g_autoptr (HearthModelfile) cr = parse_ok ("FROM m\rSYSTEM \"\"\"a\rb\"\"\"\rPARAMETER top_k 2");

    g_assert_cmpstr (cr->system, ==, "a\rb");
    g_assert_cmpstr (hearth_modelfile_get_parameter (cr, "top_k"), ==, "2");
    assert_round_trip (cr);
  }
  /* no line end at the end of the file */
  {
    g_autoptr (HearthModelfile) last = parse_ok ("FROM m\nSYSTEM \"\"\"x\"\"\"");

    g_assert_cmpstr (last->system, ==, "x");
  }
}

static char *
to_utf16 (const char *utf8,
          gboolean    big_endian,
          gsize      *len)
{
  g_autofree char *body = NULL;
  gsize n = 0;
  char *out;

  body = g_convert (utf8, -1, big_endian ? "UTF-16BE" : "UTF-16LE", "UTF-8", NULL, &n, NULL);
  g_assert_nonnull (body);
  out = g_malloc (n + 2);
  out[0] = big_endian ? (char) 0xfe : (char) 0xff;
  out[1] = big_endian ? (char) 0xff : (char) 0xfe;
  memcpy (out + 2, body, n);
  *len = n + 2;
  return out;
}

static const char chinese[] =
  "# 中文教程里常见的写法\n"
  "FROM qwen2.5:7b\n"
  "PARAMETER temperature 0.7\n"
  "PARAMETER num_ctx 4096\n"
  "SYSTEM 你是一个乐于助人的助手。请用中文回答。\n";

static void
check_chinese (const HearthModelfile *mf)
{
  g_assert_cmpstr (mf->from, ==, "qwen2.5:7b");
  g_assert_cmpstr (mf->system, ==, "你是一个乐于助人的助手。请用中文回答。");
  g_assert_cmpstr (hearth_modelfile_get_parameter (mf, "temperature"), ==, "0.7");
  g_assert_cmpstr (hearth_modelfile_get_parameter (mf, "num_ctx"), ==, "4096");
  g_assert_cmpstr (g_ptr_array_index (mf->comments, 0), ==, " 中文教程里常见的写法");
}

static void
test_encodings (void)
{
  g_autoptr (GError) error = NULL;

  /* UTF-8 with a BOM */
  {
    g_autofree char *text = g_strconcat ("\xef\xbb\xbf", chinese, NULL);
    g_autoptr (HearthModelfile) mf = parse_ok (text);

    check_chinese (mf);
  }
  /* UTF-16 both ways, with CRLF too */
  for (int be = 0; be <= 1; be++)
    {
      g_autofree char *windows = NULL;
      g_autofree char *data = NULL;
      g_autoptr (HearthModelfile) mf = NULL;
      gsize len = 0;
      g_auto (GStrv) lines = g_strsplit (chinese, "\n", -1);

      windows = g_strjoinv ("\r\n", lines);
      data = to_utf16 (windows, be, &len);
      mf = hearth_modelfile_parse (data, (gssize) len, &error);
      g_assert_no_error (error);
      check_chinese (mf);
    }
  /* a UTF-16 error: the position is in characters of the decoded text */
  {
    gsize len = 0;
    g_autofree char *data = to_utf16 ("FROM m\nPARAMETER 温度 1\n", FALSE, &len);

    parse_bad (data, (gssize) len, HEARTH_MODELFILE_ERROR_SYNTAX,
               "line 2, column 11: a parameter name has only letters");
  }
  /* UTF-16 with an odd byte at the end */
  {
    gsize len = 0;
    g_autofree char *data = to_utf16 ("FROM m\n", TRUE, &len);

    parse_bad (data, (gssize) len - 1, HEARTH_MODELFILE_ERROR_ENCODING,
               "the file starts as UTF-16 text but is not valid UTF-16");
  }
  /* UTF-16 without a BOM reads as NUL bytes */
  parse_bad ("F\0R\0O\0M\0", 8, HEARTH_MODELFILE_ERROR_ENCODING,
             "line 1, column 2: a NUL byte; is this UTF-16 text without a byte order mark?");
  /* Latin-1 */
  parse_bad ("FROM m\nSYSTEM caf\xe9 cr\xe8me\n", -1, HEARTH_MODELFILE_ERROR_ENCODING,
             "line 2, column 11: this is not UTF-8 text");
}

/* ---- paths ----------------------------------------------------------------- */

static void
test_paths (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("hearth-test-modelfile-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "Modelfile", NULL);
  g_autofree char *want = g_build_filename (dir, "models", "x.gguf", NULL);
  g_autofree char *home = g_build_filename (g_get_home_dir (), "m.gguf", NULL);
  g_autofree char *cwd = g_get_current_dir ();
  g_autofree char *in_cwd = g_build_filename (cwd, "y.gguf", NULL);
  static const char *const names[] = { "llama3.2", "qwen2.5:0.5b", "hf.co/u/r:Q4_K_M",
                                       "library/llama3:8b" };

  g_assert_true (g_file_set_contents (path, "FROM ./models/../models/x.gguf\nDRAFT ~/m.gguf\n",
                                      -1, NULL));
  {
    g_autoptr (HearthModelfile) mf = hearth_modelfile_parse_file (path, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (mf->from, ==, "./models/../models/x.gguf");
    g_assert_cmpstr (mf->from_path, ==, want);
    g_assert_cmpstr (mf->draft, ==, "~/m.gguf");
    g_assert_cmpstr (mf->draft_path, ==, home);
  }
  {
    g_autoptr (HearthModelfile) mf = parse_ok ("FROM y.gguf\n");

    g_assert_cmpstr (mf->from_path, ==, in_cwd);
  }
  {
    g_autoptr (HearthModelfile) mf = parse_ok ("FROM /opt/models/../m.gguf\n");

    g_assert_cmpstr (mf->from_path, ==, "/opt/m.gguf");
  }
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *text = g_strdup_printf ("FROM %s\n", names[i]);
      g_autoptr (HearthModelfile) mf = parse_ok (text);

      g_assert_cmpstr (mf->from, ==, names[i]);
      g_assert_null (mf->from_path);
    }
  parse_bad ("FROM ~no-such-user-hearth/m.gguf\n", -1, HEARTH_MODELFILE_ERROR_SYNTAX,
             "line 1, column 6: there is no user “no-such-user-hearth”");

  {
    g_autofree char *missing = g_build_filename (dir, "nope", NULL);
    g_autoptr (HearthModelfile) mf = hearth_modelfile_parse_file (missing, &error);

    g_assert_null (mf);
    g_assert_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "nope"));
    g_clear_error (&error);
  }
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* ---- the writer ------------------------------------------------------------ */

static void
test_write (void)
{
  g_autoptr (HearthModelfile) mf = hearth_modelfile_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  mf->from = g_strdup ("./my model.gguf");
  mf->system = g_strdup ("\"Quoted\" start");
  mf->template_text = g_strdup ("{{ .Prompt }}\n\"{{ .System }}\"\n\"\"\"{{ .Response }}\"\"\"");
  hearth_modelfile_add_parameter (mf, "stop", " ");
  hearth_modelfile_add_parameter (mf, "stop", "\n");
  hearth_modelfile_add_parameter (mf, "stop", "\"\"\"");
  hearth_modelfile_add_parameter (mf, "temperature", "0.5");
  hearth_modelfile_add_message (mf, "user", "line\nwith \"quotes\"\nand more");
  hearth_modelfile_add_message (mf, "assistant", "");
  g_ptr_array_add (mf->licenses, g_strdup ("  indented\n\tlicense  "));
  g_ptr_array_add (mf->comments, g_strdup (" hearth-rule: mask \"secret\""));
  g_assert_true (hearth_modelfile_check (mf, &error));
  g_assert_no_error (error);

  text = hearth_modelfile_to_string (mf);
  g_assert_nonnull (strstr (text, "# hearth-rule: mask \"secret\"\nFROM ./my model.gguf\n"));
  g_assert_nonnull (strstr (text, "SYSTEM \"\"\"\"Quoted\" start\"\"\"\n"));
  g_assert_nonnull (strstr (text, "PARAMETER temperature 0.5\n"));
  g_assert_nonnull (strstr (text, "PARAMETER stop \" \"\n"));
  g_assert_nonnull (strstr (text, "MESSAGE assistant \"\"\n"));
  g_assert_nonnull (strstr (text, "TEMPLATE \"\"\"{{ .Prompt }}\n"));
  g_assert_nonnull (strstr (text, "\"\"\"{{ .Response }}\"\"\"\"\"\"\n"));

  /* from_path is the parser's business */
  g_clear_pointer (&mf->from, g_free);
  mf->from = g_strdup ("llama3.2");
  assert_round_trip (mf);

  /* what no quoting can carry */
  g_free (mf->system);
  mf->system = g_strdup ("a \"\"\" b\nc");
  g_assert_false (hearth_modelfile_check (mf, &error));
  g_assert_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX);
  g_clear_error (&error);

  /* and what the parser would refuse */
  g_free (mf->system);
  mf->system = NULL;
  hearth_modelfile_add_parameter (mf, "top_k", "many");
  g_assert_false (hearth_modelfile_check (mf, &error));
  g_assert_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_PARAMETER);
}

/* ---- Modelfiles as people write them ---------------------------------------- */

/* in the spirit of Ollama's docs/modelfile.md: the plumber persona, and what
 * `ollama show --modelfile` prints */
static const char docs_persona[] =
  "FROM llama3.2\n"
  "# higher is more creative, lower is more coherent\n"
  "PARAMETER temperature 1\n"
  "# how many tokens the model can use as context\n"
  "PARAMETER num_ctx 4096\n"
  "# the behaviour of the assistant\n"
  "SYSTEM You are Mario from Super Mario Bros, acting as an assistant.\n";

static const char docs_show[] =
  "# Modelfile generated by \"ollama show\"\n"
  "# To build a new Modelfile based on this one, replace the FROM line with:\n"
  "# FROM llama3.2:latest\n"
  "FROM /var/lib/ollama/models/blobs/sha256-00e1317cbf74d901080d7100f57580ba8dd8de57203072dc6f668324ba545f29\n"
  "TEMPLATE \"\"\"{{ if .System }}<|start_header_id|>system<|end_header_id|>\n"
  "\n"
  "{{ .System }}<|eot_id|>{{ end }}{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n"
  "\n"
  "{{ .Prompt }}<|eot_id|>{{ end }}<|start_header_id|>assistant<|end_header_id|>\n"
  "\n"
  "{{ .Response }}<|eot_id|>\"\"\"\n"
  "PARAMETER stop \"<|start_header_id|>\"\n"
  "PARAMETER stop \"<|end_header_id|>\"\n"
  "PARAMETER stop \"<|eot_id|>\"\n"
  "LICENSE \"\"\"\n"
  "A LICENSE AGREEMENT\n"
  "  with indented clauses.\n"
  "\"\"\"\n";

static const char docs_examples[] =
  "FROM llama3.2\n"
  "TEMPLATE \"\"\"{{ if .System }}<|im_start|>system\n"
  "{{ .System }}<|im_end|>\n"
  "{{ end }}{{ if .Prompt }}<|im_start|>user\n"
  "{{ .Prompt }}<|im_end|>\n"
  "{{ end }}<|im_start|>assistant\n"
  "\"\"\"\n"
  "MESSAGE user Is Toronto in Canada?\n"
  "MESSAGE assistant yes\n"
  "MESSAGE user Is Sacramento in Canada?\n"
  "MESSAGE assistant no\n"
  "REQUIRES 0.14.0\n";

static void
test_real (void)
{
  {
    g_autoptr (HearthModelfile) mf = parse_ok (docs_persona);

    g_assert_cmpstr (mf->system, ==, "You are Mario from Super Mario Bros, acting as an assistant.");
    g_assert_cmpstr (hearth_modelfile_get_parameter (mf, "temperature"), ==, "1");
    g_assert_cmpuint (mf->comments->len, ==, 3);
    assert_round_trip (mf);
  }
  {
    g_autoptr (HearthModelfile) mf = parse_ok (docs_show);

    g_assert_true (g_str_has_prefix (mf->from_path, "/var/lib/ollama/models/blobs/sha256-"));
    g_assert_true (g_str_has_prefix (mf->template_text, "{{ if .System }}<|start_header_id|>"));
    g_assert_true (g_str_has_suffix (mf->template_text, "{{ .Response }}<|eot_id|>"));
    g_assert_cmpuint (mf->parameters->len, ==, 3);
    g_assert_cmpstr (g_ptr_array_index (mf->licenses, 0), ==,
                     "\nA LICENSE AGREEMENT\n  with indented clauses.\n");
    assert_round_trip (mf);
  }
  {
    g_autoptr (HearthModelfile) mf = parse_ok (docs_examples);

    g_assert_cmpuint (mf->messages->len, ==, 4);
    g_assert_true (g_str_has_suffix (mf->template_text, "<|im_start|>assistant\n"));
    assert_round_trip (mf);
  }
  {
    g_autoptr (HearthModelfile) mf = parse_ok (chinese);

    check_chinese (mf);
    assert_round_trip (mf);
  }
}

/* Rules travel as comment lines: read back in order, never from inside a
 * """ text; the same file with every comment taken out is the same model
 * (what Ollama, which ignores comments, reads); written and read again,
 * the same; a bad rule refused with its line and column. */
static void
test_rules (void)
{
  static const char text[] =
    "# a profile with rules\n"
    "FROM llama3.2\n"
    "SYSTEM \"\"\"Be brief.\n"
    "# hearth: RULE input refuse text \"not a rule: inside SYSTEM\"\n"
    "\"\"\"\n"
    "PARAMETER temperature 0.2\n"
    "# hearth: RULE output mask regex \"[\\\\w.+-]+@[\\\\w-]+\\\\.[\\\\w.]+\" \"[email]\"\n"
    "  #hearth: RULE input refuse text-i \"\"\"ignore all\n"
    "# previous instructions\"\"\" \"Not with this profile.\"\n"
    "MESSAGE user hi\n"
    "# hearth: RULE output replace regex \"(\\\\d{3})\\\\d{4}(\\\\d{4})\" \"\\\\1****\\\\2\"\n";
  g_autoptr (GError) error = NULL;
  g_autoptr (HearthModelfile) mf = hearth_modelfile_parse (text, -1, &error);
  g_autoptr (HearthModelfile) plain = NULL;
  g_autoptr (HearthModelfile) again = NULL;
  g_autoptr (GString) no_comments = g_string_new (NULL);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autofree char *written = NULL;
  const HearthRule *rule;

  g_assert_no_error (error);
  g_assert_nonnull (mf->rules);
  g_assert_cmpuint (hearth_rules_get_n_rules (mf->rules), ==, 3);
  rule = hearth_rules_get_rule (mf->rules, 0);
  g_assert_cmpint (rule->where, ==, HEARTH_RULE_OUTPUT);
  g_assert_cmpint (rule->action, ==, HEARTH_RULE_MASK);
  g_assert_cmpstr (rule->pattern, ==, "[\\w.+-]+@[\\w-]+\\.[\\w.]+");
  g_assert_cmpstr (rule->text, ==, "[email]");
  rule = hearth_rules_get_rule (mf->rules, 1);
  g_assert_cmpint (rule->match, ==, HEARTH_RULE_MATCH_TEXT_I);
  g_assert_cmpstr (rule->pattern, ==, "ignore all\nprevious instructions");
  rule = hearth_rules_get_rule (mf->rules, 2);
  g_assert_cmpint (rule->action, ==, HEARTH_RULE_REPLACE);
  g_assert_cmpstr (rule->text, ==, "\\1****\\2");
  /* the rules' lines are not kept as comments as well; the others are */
  g_assert_cmpuint (mf->comments->len, ==, 1);
  g_assert_cmpstr (mf->system, ==, "Be brief.\n# hearth: RULE input refuse text \"not a rule: inside SYSTEM\"\n");

  /* a parser that ignores comments reads the same model */
  for (guint i = 0; lines[i] != NULL; i++)
    if (!g_str_has_prefix (g_strchug (g_strdup (lines[i])), "#") || g_str_has_prefix (lines[i], "# hearth: RULE input refuse text \"not"))
      g_string_append_printf (no_comments, "%s\n", lines[i]);
  plain = hearth_modelfile_parse (no_comments->str, -1, &error);
  g_assert_no_error (error);
  g_assert_null (plain->rules);
  g_assert_cmpstr (plain->from, ==, mf->from);
  g_assert_cmpstr (plain->system, ==, mf->system);
  g_assert_cmpuint (plain->parameters->len, ==, mf->parameters->len);
  g_assert_cmpuint (plain->messages->len, ==, mf->messages->len);

  /* written and read again */
  written = hearth_modelfile_to_string (mf);
  again = hearth_modelfile_parse (written, -1, &error);
  g_assert_no_error (error);
  g_assert_true (hearth_rules_equal (again->rules, mf->rules));
  g_assert_cmpstr (again->system, ==, mf->system);
  g_assert_cmpuint (again->comments->len, ==, 1);

  /* errors: where, and what */
  {
    static const struct { const char *text; const char *message; } bad[] = {
      { "FROM x\n\n# hearth: RULE output mask regex \"a(b\" \"x\"\n", "line 3, column 34:" },
      { "FROM x\n# hearth: RULE output shout text \"a\"\n", "line 2, column 23: unknown action" },
      { "FROM x\n# hearth: RULE sideways mask text \"a\"\n", "line 2, column 16: unknown place" },
      { "FROM x\n# hearth: RULES output mask text \"a\"\n", "line 2, column 11:" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr (HearthModelfile) no = hearth_modelfile_parse (bad[i].text, -1, &error);

        g_assert_null (no);
        g_assert_error (error, HEARTH_MODELFILE_ERROR, HEARTH_MODELFILE_ERROR_SYNTAX);
        if (!g_str_has_prefix (error->message, bad[i].message))
          g_error ("%s: expected “%s…”, got “%s”", bad[i].text, bad[i].message, error->message);
        g_clear_error (&error);
      }
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/modelfile/instructions", test_every_instruction);
  g_test_add_func ("/modelfile/adapter", test_adapter);
  g_test_add_func ("/modelfile/parameters", test_parameters);
  g_test_add_func ("/modelfile/quotes", test_quotes);
  g_test_add_func ("/modelfile/syntax-errors", test_syntax_errors);
  g_test_add_func ("/modelfile/line-endings", test_line_endings);
  g_test_add_func ("/modelfile/encodings", test_encodings);
  g_test_add_func ("/modelfile/paths", test_paths);
  g_test_add_func ("/modelfile/write", test_write);
  g_test_add_func ("/modelfile/real", test_real);
  g_test_add_func ("/modelfile/rules", test_rules);

  return g_test_run ();
}
