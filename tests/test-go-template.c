/* SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Hearth's renderer of Ollama's Go chat templates (app/profiles/
 * hearth-go-template.c) against Go's own text/template run the way Ollama
 * runs it (tests/go-template-oracle.go): every case is rendered by both and
 * compared byte for byte, errors included (both must fail; Hearth's parse
 * errors name the line and the column). The whole batch goes through one
 * `go run`; without Go (Debian's golang-go) the comparisons skip and say so.
 * Then robustness, on Hearth alone: deep nesting, recursion, huge output.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "hearth-go-template.h"

typedef struct
{
  char     *name;
  char     *template;
  char     *conversation; /* JSON array of messages */
  char     *tools;        /* JSON array, or NULL */
  gboolean  parse_error;  /* Hearth's message must name line and column */
  gboolean  think;
  /* the oracle's answer */
  char     *output;
  char     *error;
} Case;

static GPtrArray *cases;
static char *oracle_skip; /* why there is no oracle, or NULL */

/* ---- conversations ---- */

static const struct
{
  const char *name;
  const char *json;
} conversations[] = {
  { "one-turn", "[{\"role\":\"user\",\"content\":\"Hello\"}]" },
  { "system", "[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
              "{\"role\":\"user\",\"content\":\"Hi there\"}]" },
  { "turns", "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
             "{\"role\":\"user\",\"content\":\"What is 2+2?\"},"
             "{\"role\":\"assistant\",\"content\":\"4\"},"
             "{\"role\":\"user\",\"content\":\"And 3+3?\"}]" },
  { "turns-no-system", "[{\"role\":\"user\",\"content\":\"Name a colour.\"},"
                       "{\"role\":\"assistant\",\"content\":\"Blue.\"},"
                       "{\"role\":\"user\",\"content\":\"Another.\"},"
                       "{\"role\":\"assistant\",\"content\":\"Red.\"},"
                       "{\"role\":\"user\",\"content\":\"One more.\"}]" },
  { "consecutive-users", "[{\"role\":\"user\",\"content\":\"first\"},"
                         "{\"role\":\"user\",\"content\":\"second\\nline\"},"
                         "{\"role\":\"assistant\",\"content\":\"ok\"},"
                         "{\"role\":\"assistant\",\"content\":\"really\"},"
                         "{\"role\":\"user\",\"content\":\"third\"}]" },
  { "two-systems", "[{\"role\":\"system\",\"content\":\"Rule one.\"},"
                   "{\"role\":\"user\",\"content\":\"a\"},"
                   "{\"role\":\"assistant\",\"content\":\"b\"},"
                   "{\"role\":\"system\",\"content\":\"Rule two.\"},"
                   "{\"role\":\"user\",\"content\":\"c\"}]" },
  { "unicode", "[{\"role\":\"system\",\"content\":\"你是一个乐于助人的助手。\"},"
               "{\"role\":\"user\",\"content\":\"你好，世界！🌍 Ünïcödé\"},"
               "{\"role\":\"assistant\",\"content\":\"您好！有什么可以帮您？\"},"
               "{\"role\":\"user\",\"content\":\"再见 \\u00e9\\t\\u0001\"}]" },
  { "markup", "[{\"role\":\"user\",\"content\":\"<b>a & b</b> \\\"quoted\\\" 'single' {{ .System }}\"},"
              "{\"role\":\"assistant\",\"content\":\"1 < 2 && 3 > 2\"},"
              "{\"role\":\"user\",\"content\":\"</s><|im_end|>\"}]" },
  { "continue", "[{\"role\":\"user\",\"content\":\"Write a poem.\"},"
                "{\"role\":\"assistant\",\"content\":\"Roses are\"}]" },
  { "empty", "[]" },
  { "empty-content", "[{\"role\":\"system\",\"content\":\"\"},"
                     "{\"role\":\"user\",\"content\":\"\"}]" },
};

static const char *tool_conversation =
  "[{\"role\":\"system\",\"content\":\"Use tools.\"},"
  "{\"role\":\"user\",\"content\":\"Weather in Paris & Lyon?\"},"
  "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":["
  "{\"function\":{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\",\"unit\":\"c\"}}},"
  "{\"function\":{\"index\":1,\"name\":\"get_weather\",\"arguments\":{\"city\":\"Lyon<>\"}}}]},"
  "{\"role\":\"tool\",\"content\":\"18\",\"tool_name\":\"get_weather\"},"
  "{\"role\":\"tool\",\"content\":\"20\",\"tool_name\":\"get_weather\"},"
  "{\"role\":\"user\",\"content\":\"Thanks\"}]";

static const char *tools_json =
  "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
  "\"description\":\"Gets the weather <now> & later\",\"parameters\":{\"type\":\"object\","
  "\"required\":[\"city\"],\"properties\":{\"unit\":{\"type\":\"string\",\"enum\":[\"c\",\"f\"]},"
  "\"city\":{\"type\":\"string\",\"description\":\"The city\"}}}}}]";

/* ---- realistic templates in Ollama's style ---- */

static const struct
{
  const char *name;
  const char *source;
} written[] = {
  { "llama3",
    "{{- if or .System .Tools }}<|start_header_id|>system<|end_header_id|>\n"
    "{{- if .System }}\n\n{{ .System }}{{ end }}\n"
    "{{- if .Tools }}\n\nYou have these tools:\n{{ range .Tools }}{{ json . }}\n{{ end }}{{ end }}<|eot_id|>\n"
    "{{- end }}\n"
    "{{- range $i, $_ := .Messages }}\n"
    "{{- $last := eq (len (slice $.Messages $i)) 1 }}\n"
    "{{- if eq .Role \"user\" }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Content }}<|eot_id|>\n"
    "{{- else if eq .Role \"assistant\" }}<|start_header_id|>assistant<|end_header_id|>\n"
    "{{- if .ToolCalls }}\n\n{{ range .ToolCalls }}{\"name\": \"{{ .Function.Name }}\", \"parameters\": {{ .Function.Arguments }}}{{ end }}\n"
    "{{- else }}\n\n{{ .Content }}{{ end }}{{ if not $last }}<|eot_id|>{{ end }}\n"
    "{{- else if eq .Role \"tool\" }}<|start_header_id|>ipython<|end_header_id|>\n\n{{ .Content }}<|eot_id|>\n"
    "{{- end }}\n"
    "{{- if and (ne .Role \"assistant\") $last }}<|start_header_id|>assistant<|end_header_id|>\n\n{{ end }}\n"
    "{{- end }}" },
  { "chatml",
    "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
    "{{- range .Messages }}{{ if ne .Role \"system\" }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}{{ end }}"
    "<|im_start|>assistant\n" },
  { "gemma",
    "{{- range $i, $_ := .Messages }}\n"
    "{{- $last := eq (len (slice $.Messages $i)) 1 }}\n"
    "{{- if or (eq .Role \"user\") (eq .Role \"system\") }}<start_of_turn>user\n{{ .Content }}<end_of_turn>\n"
    "{{ if $last }}<start_of_turn>model\n{{ end }}\n"
    "{{- else if eq .Role \"assistant\" }}<start_of_turn>model\n{{ .Content }}{{ if not $last }}<end_of_turn>\n{{ end }}\n"
    "{{- end }}\n"
    "{{- end }}" },
  { "mistral-inst",
    "{{- range $i, $_ := .Messages }}\n"
    "{{- if eq .Role \"user\" }}\n"
    "{{- if and $.Tools (le (len (slice $.Messages $i)) 2) }}[AVAILABLE_TOOLS] {{ json $.Tools }}[/AVAILABLE_TOOLS]{{ end }}"
    "[INST] {{ if and $.System (eq (len (slice $.Messages $i)) 1) }}{{ $.System }}\n\n{{ end }}{{ .Content }}[/INST]\n"
    "{{- else if eq .Role \"assistant\" }}\n"
    "{{- if .Content }} {{ .Content }}{{ if not (eq (len (slice $.Messages $i)) 1) }}</s>{{ end }}\n"
    "{{- else if .ToolCalls }}[TOOL_CALLS] [{{ range .ToolCalls }}{\"name\": \"{{ .Function.Name }}\", \"arguments\": {{ json .Function.Arguments }}}{{ end }}]</s>\n"
    "{{- end }}\n"
    "{{- else if eq .Role \"tool\" }}[TOOL_RESULTS] {\"content\": {{ .Content }}} [/TOOL_RESULTS]\n"
    "{{- end }}\n"
    "{{- end }}" },
  { "phi3",
    "{{ if .System }}<|system|>\n{{ .System }}<|end|>\n{{ end }}"
    "{{- range .Messages }}{{ if eq .Role \"system\" }}{{ continue }}{{ end }}<|{{ .Role }}|>\n{{ .Content }}<|end|>\n{{ end }}"
    "<|assistant|>\n" },
  { "legacy",
    "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
    "{{ if .Prompt }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n{{ end }}"
    "<|im_start|>assistant\n{{ .Response }}<|im_end|>\n" },
  { "legacy-no-response",
    "[INST] {{ if .System }}{{ .System }} {{ end }}{{ .Prompt }} [/INST]" },
  { "legacy-alpaca",
    "{{ if .System }}{{ .System }}\n\n{{ end }}### Instruction:\n{{ .Prompt }}\n\n### Response:\n{{ .Response }}\n\n" },
};

/* ---- edge cases: [name, template] rendered with the "turns" conversation ---- */

static const char *edges[][2] = {
  { "trim-markers", "a  {{- \" b \" -}}  c\n{{- 1 }}\n  {{ 2 -}}\n\n x" },
  { "nested", "{{ range $i, $m := .Messages }}{{ with .Content }}{{ if gt (len .) 3 }}[{{ $i }}:{{ . }}]{{ else }}({{ . }}){{ end }}{{ end }}{{ range $j, $c := slice $.Messages $i }}{{ if eq $j 1 }}{{ break }}{{ end }}<{{ $c.Role }}>{{ end }}{{ end }}" },
  { "range-else", "{{ range .Messages }}x{{ else }}none{{ end }}|{{ range $x := .Tools }}t{{ else }}no tools{{ end }}" },
  /* {{ else with }} is Go 1.23's (Ollama's Go has it, go1.19 has not): the
   * "error/else-with" case checks that both refuse it */
  { "with-else", "{{ with .Tools }}tools{{ else }}{{ with .System }}sys={{ . }}{{ else }}nothing{{ end }}{{ end }}|{{ with .Nope }}x{{ else }}no{{ end }}" },
  { "quoted", "{{ \"quoted \\\" string\" }}|{{ \"tab\\there\\u00e9\\x41\\101\\n\" }}|{{ 'a' }}|{{ '\\n' }}|{{ `raw \\n {{ \"x\" }}` }}" },
  { "comment", "a{{/* a comment */}}b{{- /* trimmed */ -}} c {{/* multi\nline */}}d{{ .System }}" },
  /* not .Messages with %v: Go prints the addresses of its pointers there */
  { "printf", "{{ printf \"%s=%d %q %v %5.2f %x %t %%\" \"a\" 42 \"q\\\"\" .System 3.14159 255 true }}|{{ printf \"%v\" (index .Messages 0) }}|{{ print 1 2 \"a\" \"b\" 3 }}|{{ println \"x\" 1 }}" },
  { "index", "{{ (index .Messages 1).Content }}|{{ index \"abc\" 1 }}|{{ len .Messages }}|{{ slice \"hello\" 1 3 }}|{{ (index (slice .Messages 2) 0).Role }}" },
  { "and-or-not", "{{ and 1 0 2 }}|{{ or 0 \"\" .System }}|{{ not .Tools }}|{{ and .System (not .Tools) }}|{{ if or (eq .System \"x\") (ne 1 2) }}y{{ end }}|{{ or }}" },
  { "compare", "{{ eq 1 1 2 }}|{{ lt 1 2 }}|{{ le 2 2 }}|{{ gt \"b\" \"a\" }}|{{ ge 1.5 1.5 }}|{{ eq .System \"Be brief.\" }}|{{ ne (len .Messages) 4 }}" },
  { "variables", "{{ $n := 0 }}{{ range .Messages }}{{ $n = len .Content }}{{ $r := .Role }}{{ $r }}{{ $n }} {{ end }}{{ $n }}|{{ $ := 1 }}" },
  { "variable-scope", "{{ $x := \"outer\" }}{{ if true }}{{ $x := \"inner\" }}{{ $x }}{{ end }}{{ $x }}{{ with $y := .System }}{{ $y }}{{ end }}" },
  { "define-template", "{{ define \"turn\" }}<{{ .Role }}>{{ .Content }}{{ end }}{{ range .Messages }}{{ template \"turn\" . }}{{ end }}{{ block \"tail\" .System }}[{{ . }}]{{ end }}" },
  { "pipelines", "{{ .System | printf \"%q\" }}|{{ \"x\" | printf \"%s-%s\" \"y\" }}|{{ (len .Messages) | printf \"%03d\" }}|{{ html \"<a href='x'>&</a>\" }}|{{ js \"it's \\\"<x>\\\"\" }}|{{ urlquery \"a b&c\" }}" },
  { "numbers", "{{ 0x1F }}|{{ 1e3 }}|{{ -7 }}|{{ 1_000 }}|{{ 0o17 }}|{{ 0b101 }}|{{ 2.50 }}|{{ 'x' }}|{{ 1.0 }}|{{ 1_0.5 }}|{{ print nil }}" },
  /* .Messages printed (json, %v) is left out: the oracle's messages are
   * api.Message (JSON tags, role/content), Hearth's are the untagged
   * templateMessage of newer Ollama (Role/Content/Thinking…): which one
   * Ollama prints depends on its version */
  { "json-func", "{{ json .System }}|{{ json (index .Messages 0).Role }}|{{ json \"<&>\" }}|{{ json 1 }}" },
  { "missing-key", "[{{ .Nope }}][{{ .Suffix }}][{{ .Think }}][{{ .IsThinkSet }}][{{ if .Nope }}y{{ else }}n{{ end }}]" },
  { "message-fields", "{{ range .Messages }}{{ .Role }}:{{ .Thinking }}:{{ .ToolName }}:{{ .Images }}:{{ .ToolCalls }}:{{ len .ToolCalls }};{{ end }}" },
  { "whitespace-only", "   \n\t  " },
  { "no-actions", "just text, no actions" },
  { "continue-break", "{{ range $i, $m := .Messages }}{{ if eq $i 0 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}" },
  { "range-int-map", "{{ range $k, $v := .Messages }}{{ $k }}{{ end }}|{{ range .System }}{{ . }}{{ end }}" },
  { "if-else-chain", "{{ range .Messages }}{{ if eq .Role \"system\" }}S{{ else if eq .Role \"user\" }}U{{ else if eq .Role \"assistant\" }}A{{ else }}?{{ end }}{{ end }}" },
  { "dot-chain", "{{ with index .Messages 0 }}{{ .Content }}{{ end }}|{{ (index .Messages 0).Role | len }}|{{ $.System }}" },
};

/* ---- errors: both sides must fail ---- */

static const struct
{
  const char *name;
  const char *source;
  gboolean    parse;
} errors[] = {
  { "unclosed-action", "hello {{ .System ", TRUE },
  { "unknown-function", "{{ frobnicate .System }}", TRUE },
  { "unterminated-range", "{{ range .Messages }}{{ .Content }}", TRUE },
  { "unexpected-end", "{{ .System }}{{ end }}", TRUE },
  { "unclosed-string", "line one\n{{ \"abc }}", TRUE },
  { "undefined-variable", "{{ $nope }}", TRUE },
  { "bad-else", "{{ else }}", TRUE },
  { "unclosed-comment", "{{/* never closed }}", TRUE },
  { "break-outside-range", "{{ break }}", TRUE },
  { "unclosed-paren", "{{ (len .Messages }}", TRUE },
  { "else-with", "{{ with .Tools }}t{{ else with .System }}s{{ end }}", TRUE },
  { "index-out-of-range", "{{ index .Messages 99 }}", FALSE },
  { "wrong-arg-count", "{{ len 1 2 }}", FALSE },
  { "len-of-int", "{{ len 3 }}", FALSE },
  { "field-of-string", "{{ .System.Foo }}", FALSE },
  { "incompatible-eq", "{{ eq .Messages 1 }}", FALSE },
  { "undefined-template", "{{ template \"nope\" . }}", FALSE },
};

static Case *
case_add (const char *name, const char *source, const char *conversation, const char *tools,
          gboolean parse_error)
{
  Case *c = g_new0 (Case, 1);

  c->name = g_strdup (name);
  c->template = g_strdup (source);
  c->conversation = g_strdup (conversation);
  c->tools = g_strdup (tools);
  c->parse_error = parse_error;
  g_ptr_array_add (cases, c);
  return c;
}

static void
build_cases (void)
{
  const char *files[] = {
    "chatml", "deepseek-r1", "gemma", "llama3", "mistral-tekken", "mistral-v7", "mistral", "phi3",
  };

  cases = g_ptr_array_new ();
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autofree char *base = g_strconcat (files[f], ".gotmpl", NULL);
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "ollama", base, NULL);
      g_autofree char *source = NULL;
      g_autoptr (GError) error = NULL;

      if (!g_file_get_contents (path, &source, NULL, &error))
        g_error ("%s", error->message);
      for (gsize i = 0; i < G_N_ELEMENTS (conversations); i++)
        {
          g_autofree char *name = g_strdup_printf ("data/%s/%s", files[f], conversations[i].name);

          case_add (name, source, conversations[i].json, NULL, FALSE);
        }
    }
  for (gsize w = 0; w < G_N_ELEMENTS (written); w++)
    {
      g_autofree char *tools_name = g_strdup_printf ("written/%s/tools", written[w].name);

      for (gsize i = 0; i < G_N_ELEMENTS (conversations); i++)
        {
          g_autofree char *name = g_strdup_printf ("written/%s/%s", written[w].name, conversations[i].name);

          case_add (name, written[w].source, conversations[i].json, NULL, FALSE);
        }
      case_add (tools_name, written[w].source, tool_conversation, tools_json, FALSE);
    }
  for (gsize e = 0; e < G_N_ELEMENTS (edges); e++)
    {
      g_autofree char *name = g_strdup_printf ("edge/%s", edges[e][0]);

      case_add (name, edges[e][1], conversations[2].json, NULL, FALSE);
    }
  case_add ("edge/empty-messages", "{{ range .Messages }}x{{ end }}{{ .Messages }}|{{ len .Messages }}|{{ if .Messages }}y{{ else }}n{{ end }}",
            "[]", NULL, FALSE);
  /* .Tools and its properties printed with %v are left out: newer Ollama's
   * templateTools print as JSON (Hearth), api.Tools as Go structs (oracle) */
  case_add ("edge/json-tools", "{{ json .Tools }}|{{ range .Tools }}{{ .Function.Name }}:{{ .Function.Parameters.Required }}:{{ json .Function.Parameters.Properties }}{{ end }}",
            tool_conversation, tools_json, FALSE);
  case_add ("edge/tool-calls", "{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Index }} {{ .Function.Name }} {{ .Function.Arguments }} {{ json .Function.Arguments }} {{ .Function.Arguments.city }};{{ end }}{{ .ToolName }}{{ end }}",
            tool_conversation, tools_json, FALSE);
  case_add ("edge/legacy-json", "{{ json .Prompt }}{{ .Response }}{{ json .System }}", conversations[2].json, NULL, FALSE);
  case_add ("edge/legacy-after-response", "{{ .Prompt }}->{{ .Response }}<-{{ .Missing }}end", conversations[2].json, NULL, FALSE);
  case_add ("edge/legacy-response-in-if", "{{ if .Prompt }}P{{ .Prompt }}{{ .Response }}{{ else }}none{{ end }}!", conversations[2].json, NULL, FALSE);
  for (gsize e = 0; e < G_N_ELEMENTS (errors); e++)
    {
      g_autofree char *name = g_strdup_printf ("error/%s", errors[e].name);

      case_add (name, errors[e].source, conversations[2].json, NULL, errors[e].parse);
    }
}

/* ---- the oracle: one `go run` for the whole batch ---- */

static JsonNode *
parse_json (const char *text)
{
  g_autoptr (GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

static void
run_oracle (void)
{
  g_autofree char *go = g_find_program_in_path ("go");
  g_autofree char *work = NULL, *src = NULL, *main_go = NULL, *mod = NULL, *oracle_src = NULL;
  g_autofree char *input = NULL, *out = NULL, *err = NULL;
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) results = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *array;

  if (go == NULL)
    {
      oracle_skip = g_strdup ("go is not installed (Debian's golang-go): no comparison with Go's text/template");
      return;
    }
  /* a build cache kept in the build directory: the second run is fast */
  work = g_test_build_filename (G_TEST_BUILT, "go-template-oracle", NULL);
  src = g_build_filename (work, "src", NULL);
  g_assert_cmpint (g_mkdir_with_parents (src, 0755), ==, 0);
  oracle_src = g_test_build_filename (G_TEST_DIST, "go-template-oracle.go", NULL);
  g_assert_true (g_file_get_contents (oracle_src, &input, NULL, &error));
  main_go = g_build_filename (src, "main.go", NULL);
  g_assert_true (g_file_set_contents (main_go, input, -1, &error));
  g_clear_pointer (&input, g_free);
  mod = g_build_filename (src, "go.mod", NULL);
  g_assert_true (g_file_set_contents (mod, "module oracle\n\ngo 1.19\n", -1, &error));

  json_builder_begin_array (b);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = cases->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "template");
      json_builder_add_string_value (b, c->template);
      json_builder_set_member_name (b, "messages");
      json_builder_add_value (b, parse_json (c->conversation));
      if (c->tools != NULL)
        {
          json_builder_set_member_name (b, "tools");
          json_builder_add_value (b, parse_json (c->tools));
        }
      json_builder_set_member_name (b, "think");
      json_builder_add_boolean_value (b, c->think);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  input = json_to_string (root, FALSE);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, src);
  {
    g_autofree char *cache = g_build_filename (work, "cache", NULL);
    g_autofree char *gopath = g_build_filename (work, "gopath", NULL);

    g_subprocess_launcher_setenv (launcher, "GOCACHE", cache, TRUE);
    g_subprocess_launcher_setenv (launcher, "GOPATH", gopath, TRUE);
  }
  g_subprocess_launcher_setenv (launcher, "GOFLAGS", "-mod=mod", TRUE);
  g_subprocess_launcher_setenv (launcher, "GO111MODULE", "on", TRUE);
  g_subprocess_launcher_setenv (launcher, "CGO_ENABLED", "0", TRUE);
  g_subprocess_launcher_setenv (launcher, "GOTOOLCHAIN", "local", TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, go, "run", ".", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, input, NULL, &out, &err, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (proc))
    {
      oracle_skip = g_strdup_printf ("the Go oracle failed: %s", err);
      return;
    }
  results = parse_json (out);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (results));
  array = json_node_get_array (results);
  g_assert_cmpuint (json_array_get_length (array), ==, cases->len);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = cases->pdata[i];
      JsonObject *r = json_array_get_object_element (array, i);

      if (json_object_has_member (r, "error"))
        c->error = g_strdup (json_object_get_string_member (r, "error"));
      else
        c->output = g_strdup (json_object_get_string_member (r, "output"));
    }
}

/* ---- Hearth's side ---- */

static char *
render_hearth (const char *source, const char *conversation, const char *tools, gboolean think,
               GError **error)
{
  g_autoptr (HearthGoTemplate) t = hearth_go_template_new (source, error);
  g_autoptr (JsonNode) conv = parse_json (conversation);
  g_autoptr (JsonNode) tools_node = tools != NULL ? parse_json (tools) : NULL;
  g_autofree HearthGoTemplateMessage *msgs = NULL;
  HearthGoTemplateData data = { 0 };
  JsonArray *a = json_node_get_array (conv);
  guint n = json_array_get_length (a);

  if (t == NULL)
    return NULL;
  msgs = g_new0 (HearthGoTemplateMessage, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);

      msgs[i].role = json_object_get_string_member (o, "role");
      msgs[i].content = json_object_get_string_member (o, "content");
      msgs[i].thinking = json_object_get_string_member_with_default (o, "thinking", NULL);
      msgs[i].tool_name = json_object_get_string_member_with_default (o, "tool_name", NULL);
      msgs[i].tool_calls = json_object_get_member (o, "tool_calls");
    }
  data.messages = msgs;
  data.n_messages = n;
  data.tools = tools_node;
  data.think = think;
  return hearth_go_template_render (t, &data, error);
}

static void
test_oracle_case (gconstpointer user_data)
{
  const Case *c = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *got = NULL;

  if (oracle_skip != NULL)
    {
      g_test_skip (oracle_skip);
      return;
    }
  got = render_hearth (c->template, c->conversation, c->tools, c->think, &error);
  if (c->error != NULL)
    {
      if (got != NULL)
        g_test_message ("Go fails (%s), Hearth writes %s", c->error, got);
      g_assert_null (got);
      g_assert_nonnull (error);
      g_test_message ("Go: %s; Hearth: %s", c->error, error->message);
      if (c->parse_error)
        {
          g_assert_error (error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_PARSE);
          g_assert_nonnull (strstr (error->message, "line"));
          g_assert_nonnull (strstr (error->message, "column"));
        }
      return;
    }
  if (error != NULL)
    g_test_message ("Hearth fails: %s", error->message);
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, c->output);
}

/* ---- robustness, on Hearth alone ---- */

static void
test_deep_nesting (void)
{
  const char *conv = "[{\"role\":\"user\",\"content\":\"x\"}]";
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *got = NULL;

  /* within the bounds: 150 nested ifs render */
  for (int i = 0; i < 150; i++)
    g_string_append (s, "{{ if .Messages }}<");
  g_string_append (s, "{{ .System }}");
  for (int i = 0; i < 150; i++)
    g_string_append (s, "{{ end }}");
  got = render_hearth (s->str, conv, NULL, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (got), ==, 150);
  g_clear_pointer (&got, g_free);

  /* far past them: a clear error, no crash (ifs, ranges, parentheses) */
  const char *open[] = { "{{ if .Messages }}", "{{ range .Messages }}", "{{ with .Messages }}", "{{ print (" };
  const char *close[] = { "{{ end }}", "{{ end }}", "{{ end }}", ") }}" };
  for (gsize k = 0; k < G_N_ELEMENTS (open); k++)
    {
      g_string_truncate (s, 0);
      for (int i = 0; i < 100000; i++)
        g_string_append (s, k == 3 ? "(" : open[k]);
      if (k == 3)
        {
          g_string_prepend (s, "{{ print ");
          g_string_append (s, "1");
        }
      for (int i = 0; i < 100000; i++)
        g_string_append (s, k == 3 ? ")" : close[k]);
      if (k == 3)
        g_string_append (s, " }}");
      got = render_hearth (s->str, conv, NULL, FALSE, &error);
      g_assert_null (got);
      g_assert_nonnull (error);
      g_test_message ("%s: %s", open[k], error->message);
      g_clear_error (&error);
    }
}

static void
test_recursion (void)
{
  const char *conv = "[{\"role\":\"user\",\"content\":\"x\"}]";
  g_autoptr (GError) error = NULL;
  g_autofree char *got = render_hearth ("{{ define \"a\" }}a{{ template \"a\" . }}{{ end }}{{ template \"a\" . }}",
                                        conv, NULL, FALSE, &error);

  /* Go runs it until its exec depth limit and fails; Hearth refuses it
   * earlier (the template does not see itself while it is defined) */
  g_assert_null (got);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
}

static void
test_huge_output (void)
{
  g_autoptr (GString) conv = g_string_new ("[");
  g_autoptr (GError) error = NULL;
  g_autofree char *got = NULL;
  g_autofree char *big = g_strnfill (64 * 1024, 'x');

  /* 64 messages of 64 KiB, each written 64×64 times: 16 GiB if unbounded */
  for (int i = 0; i < 64; i++)
    g_string_append_printf (conv, "%s{\"role\":\"%s\",\"content\":\"%s\"}", i > 0 ? "," : "",
                            i % 2 ? "assistant" : "user", big);
  g_string_append (conv, "]");
  got = render_hearth ("{{ range .Messages }}{{ range $.Messages }}{{ range $.Messages }}{{ .Content }}{{ end }}{{ end }}{{ end }}",
                       conv->str, NULL, FALSE, &error);
  g_assert_null (got);
  g_assert_error (error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "MiB"));
  g_clear_error (&error);

  /* work without output is bounded too */
  got = render_hearth ("{{ range .Messages }}{{ range $.Messages }}{{ range $.Messages }}{{ range $.Messages }}{{ range $.Messages }}{{ end }}{{ end }}{{ end }}{{ end }}{{ end }}",
                       conv->str, NULL, FALSE, &error);
  g_assert_null (got);
  g_assert_error (error, HEARTH_GO_TEMPLATE_ERROR, HEARTH_GO_TEMPLATE_ERROR_LIMIT);
}

static void
test_syntax_guess (void)
{
  g_assert_true (hearth_go_template_is_go_syntax ("{{ .Prompt }}"));
  g_assert_true (hearth_go_template_is_go_syntax ("{{- range .Messages }}{{ end }}"));
  g_assert_false (hearth_go_template_is_go_syntax ("{% for m in messages %}{{ m.content }}{% endfor %}"));
  g_assert_false (hearth_go_template_is_go_syntax ("{{ messages }}"));
  g_assert_false (hearth_go_template_is_go_syntax ("plain text"));
}

static void
test_uses_messages (void)
{
  g_autoptr (HearthGoTemplate) a = hearth_go_template_new ("{{ range .Messages }}{{ end }}", NULL);
  g_autoptr (HearthGoTemplate) b = hearth_go_template_new ("{{ .Prompt }}", NULL);

  g_assert_true (hearth_go_template_uses_messages (a));
  g_assert_false (hearth_go_template_uses_messages (b));
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* every case reports; one difference does not hide the next */
  g_test_set_nonfatal_assertions ();
  build_cases ();
  run_oracle ();
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = cases->pdata[i];
      g_autofree char *path = g_strconcat ("/go-template/oracle/", c->name, NULL);

      g_test_add_data_func (path, c, test_oracle_case);
    }
  g_test_add_func ("/go-template/robust/deep-nesting", test_deep_nesting);
  g_test_add_func ("/go-template/robust/recursion", test_recursion);
  g_test_add_func ("/go-template/robust/huge-output", test_huge_output);
  g_test_add_func ("/go-template/syntax-guess", test_syntax_guess);
  g_test_add_func ("/go-template/uses-messages", test_uses_messages);
  ret = g_test_run ();
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = cases->pdata[i];

      g_free (c->name);
      g_free (c->template);
      g_free (c->conversation);
      g_free (c->tools);
      g_free (c->output);
      g_free (c->error);
      g_free (c);
    }
  g_ptr_array_unref (cases);
  g_free (oracle_skip);
  return ret;
}
