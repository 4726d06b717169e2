/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ember's Jinja interpreter and JSON values, feature by feature, with the
 * output jinja2 (under Hugging Face's settings) gives for each case, and the
 * failures: syntax errors, raise_exception, undefined values, limits.
 * tests/check-templates.py compares real chat templates with jinja2 itself.
 */

#include "config.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "ember.h"

typedef struct
{
  const char *source;
  const char *context;   /* JSON object, or NULL */
  const char *expected;
} Case;

/* Renders @source with @context; returns the output (g_free) or NULL with
 * @error filled. */
static char *
render_full (const char                   *source,
             const char                   *context,
             const ember_template_options *options,
             ember_error                  *error)
{
  ember_template *t = NULL;
  ember_value *ctx = NULL;
  char *out = NULL, *copy;
  size_t len = 0;

  memset (error, 0, sizeof *error);
  if (context != NULL)
    g_assert_cmpint (ember_value_from_json (context, strlen (context), &ctx, error), ==, EMBER_OK);
  if (ember_template_new (source, strlen (source), &t, error) != EMBER_OK)
    {
      ember_value_unref (ctx);
      return NULL;
    }
  if (ember_template_render (t, ctx, options, &out, &len, error) != EMBER_OK)
    {
      g_assert_null (out);
      ember_template_free (t);
      ember_value_unref (ctx);
      return NULL;
    }
  g_assert_cmpuint (strlen (out), ==, len);
  copy = g_strdup (out);
  free (out);
  ember_template_free (t);
  ember_value_unref (ctx);
  return copy;
}

static char *
render (const char  *source,
        const char  *context,
        ember_error *error)
{
  return render_full (source, context, NULL, error);
}

static void
check_cases (const Case *cases,
             gsize       n)
{
  for (gsize i = 0; i < n; i++)
    {
      ember_error error;
      g_autofree char *out = render (cases[i].source, cases[i].context, &error);

      if (out == NULL)
        g_error ("template %s failed: %s", cases[i].source, error.message);
      if (g_strcmp0 (out, cases[i].expected) != 0)
        g_error ("template %s\n  gave     «%s»\n  expected «%s»", cases[i].source, out,
                 cases[i].expected);
    }
}

/* Asserts that @source fails with a message containing @fragment. */
static void
check_fails (const char *source,
             const char *context,
             const char *fragment)
{
  ember_error error;
  g_autofree char *out = render (source, context, &error);

  if (out != NULL)
    g_error ("template %s should fail but gave «%s»", source, out);
  g_assert_cmpint (error.status, !=, EMBER_OK);
  if (strstr (error.message, fragment) == NULL)
    g_error ("template %s failed with «%s», expected «%s» in it", source, error.message, fragment);
}

static void
test_expressions (void)
{
  static const Case cases[] = {
    { "{{ 1 + 2 * 3 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 7 / 2 }}", NULL,
      "7|3|-4|2|1024|3.5" },
    { "{{ 1.0 }}|{{ 1e20 }}|{{ 0.00001 }}|{{ 0.1 + 0.2 }}|{{ 3 * 1.5 }}|{{ 2 ** -1 }}", NULL,
      "1.0|1e+20|1e-05|0.30000000000000004|4.5|0.5" },
    { "{{ 'ab' * 3 }}|{{ [1] + [2, 3] }}|{{ 'a' ~ 1 ~ none }}|{{ true + 1 }}", NULL,
      "ababab|[1, 2, 3]|a1None|2" },
    { "{{ none }}|{{ True }}|{{ false }}|{{ [1, 'x', None, true] }}|{{ ('a',) }}|{{ {'k': [1.5]} }}",
      NULL, "None|True|False|[1, 'x', None, True]|('a',)|{'k': [1.5]}" },
    { "{{ \"it's\" }}|{{ ['it\\'s', 'say \"hi\"', 'a\\nb'] }}", NULL,
      "it's|[\"it's\", 'say \"hi\"', 'a\\nb']" },
    { "{{ 'a\\tb\\u4e2d\\x41' }}", NULL, "a\tb中A" },
    { "{{ 'yes' if x else 'no' }}|{{ 'yes' if y }}|{{ x and 'A' or 'B' }}|{{ not x }}",
      "{\"x\": 0}", "no||B|True" },
    { "{{ 1 < 2 < 3 }}|{{ 3 > 2 > 2 }}|{{ 'b' in 'abc' }}|{{ 2 not in [1, 3] }}|{{ 'k' in {'k': 1} }}",
      NULL, "True|False|True|True|True" },
    { "{{ [1, 2, 3, 4][::-1] }}|{{ 'hello'[1:3] }}|{{ 'hello'[-3:] }}|{{ [1, 2, 3][::2] }}|{{ '你好吗'[::-1] }}",
      NULL, "[4, 3, 2, 1]|el|llo|[1, 3]|吗好你" },
    { "{{ m.role }}|{{ m['content'] }}|{{ m.missing }}|{{ l[-1] }}|{{ l[10] }}|{{ l.0 }}",
      "{\"m\": {\"role\": \"user\", \"content\": \"hi\"}, \"l\": [1, 2]}", "user|hi||2||1" },
    { "{{ x is defined }}|{{ y is undefined }}|{{ n is none }}|{{ 's' is string }}|{{ 1 is number }}"
      "|{{ 1 is integer }}|{{ 1.0 is float }}|{{ {} is mapping }}|{{ [] is iterable }}"
      "|{{ true is boolean }}|{{ 3 is odd }}|{{ 4 is even }}|{{ 9 is divisibleby 3 }}"
      "|{{ 'a' is equalto 'a' }}|{{ 'ab' is lower }}|{{ x is not none }}|{{ none is sameas none }}",
      "{\"x\": 1, \"n\": null}",
      "True|True|True|True|True|True|True|True|True|True|True|True|True|True|True|True|True" },
    { "{{ d.items() | list }}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d.get('b', 7) }}"
      "|{{ d.get('z') }}",
      "{\"d\": {\"a\": 1, \"b\": 2}}", "[('a', 1), ('b', 2)]|['a', 'b']|[1, 2]|2|None" },
    { "{{ ' x '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}"
      "|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'aaa'.replace('a', 'b', 2) }}|{{ 'abc'.startswith('ab') }}"
      "|{{ 'abc'.endswith(('x', 'c')) }}|{{ 'hello world'.title() }}|{{ 'aBC'.capitalize() }}"
      "|{{ 'abcabc'.find('c') }}|{{ 'abcabc'.count('bc') }}|{{ '-'.join(['a', 'b']) }}"
      "|{{ 'a\\nb\\r\\nc'.splitlines() }}|{{ '{} and {x}'.format(1, x=2) }}|{{ 'AB'.lower() }}",
      NULL,
      "x|a|['a', 'b', '', 'c']|['a', 'b']|['a b', 'c']|bba|True|True|Hello World|Abc|2|2|a-b"
      "|['a', 'b', 'c']|1 and 2|ab" },
    { "{{ [1, 2].append }}|{{ {'a': 1}.update is defined }}", NULL, "|False" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_statements (void)
{
  static const Case cases[] = {
    { "{% if x %}a{% elif y %}b{% else %}c{% endif %}", "{\"x\": false, \"y\": true}", "b" },
    { "{% for i in l %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
      "{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
      "{\"l\": [\"a\", \"b\"]}", "1021TrueFalse2;2110FalseTrue2;" },
    { "{% for i in [1, 2, 3] %}{{ loop.previtem }}-{{ loop.nextitem }}-{{ loop.cycle('x', 'y') }} {% endfor %}",
      NULL, "-2-x 1-3-y 2--x " },
    { "{% for i in [] %}x{% else %}empty{% endfor %}", NULL, "empty" },
    { "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}",
      "{\"d\": {\"a\": 1, \"b\": 2}}", "a=1;b=2;ab" },
    { "{% for i in range(10) if i is odd %}{{ i }}{{ loop.length }} {% endfor %}", NULL,
      "15 35 55 75 95 " },
    { "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}",
      NULL, "013" },
    { "{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", NULL, "1" },
    { "{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}",
      NULL, "4" },
    { "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = [3, 4] %}{% set d, e = c %}{{ d + e }}", NULL,
      "127" },
    { "{% set block %}  x {{ 1 }}{% endset %}[{{ block }}]{% set t | trim %}  y  {% endset %}[{{ t }}]",
      NULL, "[  x 1][y]" },
    { "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}"
      "{{ greet('Ann') }} {{ greet('Bo', greeting='Hi') }}", NULL, "Hello, Ann! Hi, Bo!" },
    { "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
      "{% call wrap('b') %}bold{% endcall %}", NULL, "<b>bold</b>" },
    { "{% filter upper %}abc{% endfilter %}", NULL, "ABC" },
    { "{% generation %}kept{% endgeneration %}", NULL, "kept" },
    { "a{# a comment #}b{% raw %}{{ not parsed }}{% endraw %}", NULL, "ab{{ not parsed }}" },
    { "{% with a = 1 %}{{ a }}{% endwith %}{{ a }}", NULL, "1" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_whitespace (void)
{
  static const Case cases[] = {
    /* trim_blocks eats the newline after a block tag; lstrip_blocks the
     * indentation before it. */
    { "{% if true %}\n  yes\n{% endif %}\n", NULL, "  yes\n" },
    { "<\n    {% if true %}\n    x\n    {% endif %}\n>", NULL, "<\n    x\n>" },
    { "a  {%- if true -%}  b  {%- endif -%}  c", NULL, "abc" },
    { "a  {{- 'b' -}}  c\n", NULL, "abc" },
    { "  {%+ if true %}x{% endif %}", NULL, "  x" },
    { "a\n  {#- note #}\nb", NULL, "ab" },
    { "{{ 'x' }}\n", NULL, "x" },
    { "{{ 'x' }}\n\n", NULL, "x\n" },
    { "line\r\nnext", NULL, "line\nnext" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_filters (void)
{
  static const Case cases[] = {
    { "{{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ d | tojson(sort_keys=true) }}",
      "{\"d\": {\"b\": [1, \"中\"], \"a\": null}}",
      "{\"b\": [1, \"中\"], \"a\": null}|{\n  \"b\": [\n    1,\n    \"中\"\n  ],\n  \"a\": null\n}"
      "|{\"a\": null, \"b\": [1, \"中\"]}" },
    { "{{ 'a\"\\n<' | tojson }}|{{ 'é' | tojson(ensure_ascii=true) }}|{{ 1.5 | tojson }}", NULL,
      "\"a\\\"\\n<\"|\"\\u00e9\"|1.5" },
    { "{{ l | join(', ') }}|{{ m | join('-', attribute='n') }}|{{ l | length }}|{{ l | first }}|{{ l | last }}",
      "{\"l\": [\"a\", \"b\"], \"m\": [{\"n\": 1}, {\"n\": 2}]}", "a, b|1-2|2|a|b" },
    { "{{ m | selectattr('role', 'equalto', 'user') | map(attribute='c') | list }}"
      "|{{ m | rejectattr('role', 'equalto', 'user') | list | length }}"
      "|{{ m | selectattr('x', 'defined') | list | length }}",
      "{\"m\": [{\"role\": \"user\", \"c\": 1}, {\"role\": \"bot\", \"c\": 2}, {\"role\": \"user\", \"c\": 3}]}",
      "[1, 3]|1|0" },
    { "{{ [3, 1, 2] | sort }}|{{ [3, 1, 2] | sort(reverse=true) }}|{{ ['b', 'A', 'c'] | sort }}"
      "|{{ m | sort(attribute='n') | map(attribute='n') | join }}",
      "{\"m\": [{\"n\": 2}, {\"n\": 1}]}", "[1, 2, 3]|[3, 2, 1]|['A', 'b', 'c']|12" },
    { "{{ {'b': 1, 'a': 2} | dictsort }}|{{ {'a': 1} | items | list }}|{{ [1, 2, 1, 3] | unique | list }}",
      NULL, "[('a', 2), ('b', 1)]|[('a', 1)]|[1, 2, 3]" },
    { "{{ x | default('d') }}|{{ '' | default('e', true) }}|{{ 0 | d(5) }}|{{ none | string }}", NULL,
      "d|e|0|None" },
    { "{{ '  a  ' | trim }}|{{ 'aXa' | replace('X', 'y') }}|{{ 'ab' | upper }}|{{ 'AB' | lower }}"
      "|{{ 'hello big-world' | title }}|{{ 'hELLO' | capitalize }}", NULL,
      "a|aya|AB|ab|Hello Big-World|Hello" },
    { "{{ '12' | int + 1 }}|{{ '1.5' | float }}|{{ 'x' | int }}|{{ 2.5 | round }}|{{ 3.14159 | round(2) }}"
      "|{{ -3 | abs }}|{{ [1, 2, 3] | sum }}|{{ [4, 2, 8] | min }}|{{ [4, 2, 8] | max }}",
      NULL, "13|1.5|0|2.0|3.14|3|6|2|8" },
    { "{{ 'a\\nb\\n' | indent(2) }}|{{ 'a\\nb' | indent(2, first=true) }}", NULL, "a\n  b\n|  a\n  b" },
    { "{{ 'hello world foo' | truncate(9, leeway=0) }}|{{ 'a b c' | wordcount }}|{{ 'abc' | reverse }}"
      "|{{ [1, 2, 3] | batch(2) | list }}|{{ '<a&b>' | e }}|{{ 'x' | center(5) }}",
      NULL, "hello...|3|cba|[[1, 2], [3]]|&lt;a&amp;b&gt;|  x  " },
    { "{{ [' a', 'b '] | map('trim') | list }}|{{ [0, 1, 2] | select('odd') | list }}|{{ [0, 1, 2] | reject | list }}",
      NULL, "['a', 'b']|[1]|[0]" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_globals (void)
{
  static const Case cases[] = {
    { "{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ range(3, 0, -1) | list }}", NULL,
      "[0, 1, 2]|[1, 3, 5]|[3, 2, 1]" },
    { "{{ dict(a=1) }}|{{ strftime_now is defined }}", NULL, "{'a': 1}|True" },
  };
  ember_template_options options;
  ember_error error;
  g_autofree char *out = NULL;

  check_cases (cases, G_N_ELEMENTS (cases));

  /* A pinned clock: 2024-11-24 00:00:00 UTC, read in local time. */
  g_setenv ("TZ", "UTC", TRUE);
  tzset ();
  ember_template_options_init (&options);
  options.now = 1732406400;
  out = render_full ("{{ strftime_now('%Y-%m-%d %d %b %Y, %B %A %H:%M') }}", NULL, &options, &error);
  g_assert_cmpstr (out, ==, "2024-11-24 24 Nov 2024, November Sunday 00:00");
}

static void
test_messages (void)
{
  static const Case cases[] = {
    { "{% for m in messages %}{% if m.content is string %}{{ m.content }}"
      "{% else %}{% for p in m.content %}{{ p.text }}{% endfor %}{% endif %}"
      "{% for c in m.tool_calls %}[{{ c.function.name }}({{ c.function.arguments | tojson }})]{% endfor %}"
      "{{ m.reasoning_content | default('') }};{% endfor %}",
      "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"},"
      " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, {\"type\": \"text\", \"text\": \"b\"}]},"
      " {\"role\": \"assistant\", \"content\": \"\", \"reasoning_content\": \"think\","
      "  \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": {\"x\": 1}}}]}]}",
      "hi;ab;[f({\"x\": 1})]think;" },
  };

  check_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_default_template (void)
{
  ember_error error;
  g_autofree char *out = render (ember_template_default (),
                                 "{\"messages\": [{\"role\": \"system\", \"content\": \"Be kind.\"},"
                                 " {\"role\": \"user\", \"content\": \"Hi\"}],"
                                 " \"add_generation_prompt\": true}", &error);
  g_autofree char *out2 = render (ember_template_default (),
                                  "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}", &error);

  g_assert_cmpstr (out, ==,
                   "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                   "<|im_start|>assistant\n");
  g_assert_cmpstr (out2, ==, "<|im_start|>user\nHi<|im_end|>\n");
}

/* The context the app renders chat templates with: the messages, the
 * generation prompt asked for, BOS and EOS (NULL ones empty). */
static void
test_chat_context (void)
{
  ember_template *t = NULL;
  ember_value *messages = ember_value_new_list ();
  ember_value *m = ember_value_new_dict ();
  ember_value *context;
  ember_error error = { 0 };
  char *out = NULL;
  size_t len = 0;

  ember_value_dict_set (m, "role", ember_value_new_string ("user", (size_t) -1), NULL);
  ember_value_dict_set (m, "content", ember_value_new_string ("Hi", (size_t) -1), NULL);
  ember_value_list_append (messages, m, NULL);
  context = ember_template_chat_context (messages, "<s>", NULL);
  g_assert_nonnull (context);
  const char *source = "{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|"
                       "{{ messages[0].role }}:{{ messages[0].content }}";

  g_assert_cmpint (ember_template_new (source, strlen (source), &t, &error), ==, EMBER_OK);
  g_assert_cmpint (ember_template_render (t, context, NULL, &out, &len, &error), ==, EMBER_OK);
  g_assert_cmpstr (out, ==, "<s>||True|user:Hi");
  free (out);
  ember_template_free (t);
  ember_value_unref (context);
  /* no messages (out of memory upstream): no context, nothing leaked */
  g_assert_null (ember_template_chat_context (NULL, NULL, NULL));
}

static void
test_errors (void)
{
  /* raise_exception: the message and the line. */
  check_fails ("line 1\n{% if true %}\n{{ raise_exception('roles must alternate') }}\n{% endif %}", NULL,
               "line 3: roles must alternate");
  /* Syntax errors name their line. */
  check_fails ("ok\n{% if x %}\nno end", NULL, "line 3: unexpected end of template; expected “elif” or “else” or “endif”");
  check_fails ("{{ 1 + }}", NULL, "line 1: expected an expression");
  check_fails ("\n\n{% frobnicate %}", NULL, "line 3: unknown tag “frobnicate”");
  check_fails ("{{ x | nosuchfilter }}", NULL, "no filter named “nosuchfilter”");
  check_fails ("{% break %}", NULL, "outside of a loop");
  check_fails ("{{ 'abc }}", NULL, "unterminated string");
  check_fails ("{# never closed", NULL, "missing end of comment tag");
  /* Undefined values: falsy and empty, but attributes of them raise. */
  check_fails ("{{ missing.attr }}", NULL, "'missing' is undefined");
  check_fails ("{{ m.a.b }}", "{\"m\": {}}", "has no attribute 'a'");
  check_fails ("{{ missing + 1 }}", NULL, "'missing' is undefined");
  check_fails ("{{ l.append(1) }}", "{\"l\": []}", "unsafe");
  /* Python's type errors. */
  check_fails ("{{ 'a' + 1 }}", NULL, "can only concatenate str");
  check_fails ("{{ 1 / 0 }}", NULL, "division by zero");
  check_fails ("{{ 'a' < 1 }}", NULL, "not supported between");
  check_fails ("{% for x in 5 %}{% endfor %}", NULL, "not iterable");
  check_fails ("{% set a, b = [1] %}", NULL, "not enough values to unpack");
  check_fails ("{{ none | tojson }}{{ x | tojson }}", NULL, "not JSON serializable");
  check_fails ("{{ range(1000000) | length }}", NULL, "Range too big");
}

static void
test_limits (void)
{
  ember_template_options options;
  ember_error error;
  char *out;

  /* Recursion: a macro that calls itself forever. */
  out = render ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", NULL, &error);
  g_assert_null (out);
  g_assert_nonnull (strstr (error.message, "nested more than"));

  /* Loops: bounded by max_steps. */
  ember_template_options_init (&options);
  options.max_steps = 1000;
  out = render_full ("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", NULL,
                     &options, &error);
  g_assert_null (out);
  g_assert_nonnull (strstr (error.message, "loop iterations"));

  /* Output: bounded by max_output, also for strings that double. */
  ember_template_options_init (&options);
  options.max_output = 1000;
  out = render_full ("{% for i in range(2000) %}x{% endfor %}", NULL, &options, &error);
  g_assert_null (out);
  g_assert_nonnull (strstr (error.message, "limit"));
  out = render_full ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                     NULL, &options, &error);
  g_assert_null (out);
  g_assert_nonnull (strstr (error.message, "limit"));

  /* Deeply nested expressions are a syntax error, not a stack overflow. */
  {
    GString *deep = g_string_new ("{{ ");

    for (int i = 0; i < 5000; i++)
      g_string_append_c (deep, '(');
    g_string_append (deep, "1");
    for (int i = 0; i < 5000; i++)
      g_string_append_c (deep, ')');
    g_string_append (deep, " }}");
    out = render (deep->str, NULL, &error);
    g_assert_null (out);
    g_assert_nonnull (strstr (error.message, "nested too deeply"));
    g_string_free (deep, TRUE);
  }
}

static void
test_json (void)
{
  static const struct
  {
    const char *json;
    const char *fragment;   /* in the error, or NULL for success */
  } cases[] = {
    { "{\"a\": [1, -2.5e3, true, false, null, \"\\u00e9\\ud83d\\ude00\\n\"]}", NULL },
    { "  [ ]  ", NULL },
    { "{\"a\": 1,}", "line 1, column 9" },
    { "{\"a\":\n  tru}", "line 2, column 3" },
    { "[1, 2", "line 1, column 6: expected “,” or “]”" },
    { "01", "extra data" },
    { "\"\\x\"", "unknown escape" },
    { "\"a\nb\"", "control character" },
    { "\"\xff\"", "invalid UTF-8" },
    { "[1] [2]", "extra data" },
    { "", "unexpected end of input" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ember_value *v = NULL;
      ember_error error = { 0 };
      ember_status status = ember_value_from_json (cases[i].json, strlen (cases[i].json), &v, &error);

      if (cases[i].fragment == NULL)
        {
          g_assert_cmpint (status, ==, EMBER_OK);
          g_assert_nonnull (v);
        }
      else
        {
          g_assert_cmpint (status, !=, EMBER_OK);
          g_assert_null (v);
          if (strstr (error.message, cases[i].fragment) == NULL)
            g_error ("JSON %s failed with «%s», expected «%s»", cases[i].json, error.message,
                     cases[i].fragment);
        }
      ember_value_unref (v);
    }

  /* Round trip, surrogate pairs included; nesting is limited. */
  {
    const char *json = "{\"a\": [1, -2500.0, true, null, \"é😀\\n\"], \"b\": {}}";
    ember_value *v = NULL;
    ember_error error;
    char *text = NULL;
    size_t len;
    GString *deep = g_string_new (NULL);

    const char *input = "{\"a\": [1, -2.5e3, true, null, \"\\u00e9\\ud83d\\ude00\\n\"], \"b\": {}}";

    g_assert_cmpint (ember_value_from_json (input, strlen (input), &v, &error), ==, EMBER_OK);
    g_assert_cmpint (ember_value_to_json (v, &text, &len, &error), ==, EMBER_OK);
    g_assert_cmpstr (text, ==, json);
    free (text);
    ember_value_unref (v);

    for (int i = 0; i < 10000; i++)
      g_string_append_c (deep, '[');
    g_assert_cmpint (ember_value_from_json (deep->str, deep->len, &v, &error), !=, EMBER_OK);
    g_assert_nonnull (strstr (error.message, "nested too deeply"));
    g_string_free (deep, TRUE);
  }
}

static void
test_builders (void)
{
  ember_value *ctx = ember_value_new_dict ();
  ember_value *messages = ember_value_new_list ();
  ember_value *message = ember_value_new_dict ();
  ember_template *t = NULL;
  ember_error error;
  char *out = NULL;
  size_t len = 0;

  g_assert_cmpint (ember_value_dict_set (message, "role", ember_value_new_string ("user", (size_t) -1), &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_dict_set (message, "content", ember_value_new_string ("hé", 3), &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_list_append (messages, message, &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_dict_set (ctx, "messages", messages, &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_dict_set (ctx, "n", ember_value_new_int (41), &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_dict_set (ctx, "n", ember_value_new_int (42), &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_dict_set (ctx, "f", ember_value_new_float (0.5), &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_dict_set (ctx, "b", ember_value_new_bool (true), &error), ==, EMBER_OK);
  g_assert_cmpint (ember_value_dict_set (ctx, "z", ember_value_new_null (), &error), ==, EMBER_OK);

  g_assert_cmpuint (ember_value_get_length (ctx), ==, 5);
  g_assert_cmpint (ember_value_get_int (ember_value_dict_get (ctx, "n")), ==, 42);
  g_assert_cmpint (ember_value_get_type (ember_value_list_get (messages, 0)), ==, EMBER_VALUE_DICT);

  const char *source = "{{ messages[0].content }} {{ n }} {{ f }} {{ b }} {{ z }}";

  g_assert_cmpint (ember_template_new (source, strlen (source), &t, &error), ==, EMBER_OK);
  g_assert_cmpint (ember_template_render (t, ctx, NULL, &out, &len, &error), ==, EMBER_OK);
  g_assert_cmpstr (out, ==, "hé 42 0.5 True None");
  free (out);

  /* A context that is not a dict is refused. */
  g_assert_cmpint (ember_template_render (t, messages, NULL, &out, &len, &error), ==,
                   EMBER_ERROR_INVALID_ARGUMENT);
  ember_template_free (t);
  ember_value_unref (ctx);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/template/expressions", test_expressions);
  g_test_add_func ("/template/chat-context", test_chat_context);
  g_test_add_func ("/template/statements", test_statements);
  g_test_add_func ("/template/whitespace", test_whitespace);
  g_test_add_func ("/template/filters", test_filters);
  g_test_add_func ("/template/globals", test_globals);
  g_test_add_func ("/template/messages", test_messages);
  g_test_add_func ("/template/default", test_default_template);
  g_test_add_func ("/template/errors", test_errors);
  g_test_add_func ("/template/limits", test_limits);
  g_test_add_func ("/template/json", test_json);
  g_test_add_func ("/template/builders", test_builders);

  return g_test_run ();
}
