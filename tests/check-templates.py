#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The oracle test for ember's Jinja interpreter: renders every chat template
# in $HEARTH_SHARED_DIR/templates/*.jinja with jinja2, exactly as Hugging
# Face's transformers does (ImmutableSandboxedEnvironment, trim_blocks,
# lstrip_blocks, loop controls, raise_exception, strftime_now, transformers'
# tojson), for several conversations each, and compares the bytes with
# `hearth template FILE --context CTX.json --now T`. Where jinja2 raises,
# hearth must fail too (exit status 3). Speaks TAP.
#
# Run it with Debian's /usr/bin/python3, which has python3-jinja2; it skips
# visibly where jinja2, the templates or the binary are missing.

import datetime
import difflib
import json
import os
import subprocess
import sys
import tempfile
import time

NOW = 1732406400  # 2024-11-24 00:00:00 UTC

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city, e.g. 北京"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"],
                         "description": "The unit of temperature."},
                "days": {"type": "integer", "description": "How many days to forecast."},
            },
            "required": ["city"],
        },
    },
}

SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search",
        "description": "Search the web.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "What to look for."},
                "limit": {"type": "number", "description": "At most this many results."},
                "tags": {"type": "array", "items": {"type": "string"},
                         "description": "Tags to filter by."},
            },
            "required": ["query"],
        },
    },
}

CONVERSATIONS = {
    "system-multi-turn": dict(
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Hello! What can you do?"},
            {"role": "assistant", "content": "I can answer questions and help you write."},
            {"role": "user", "content": "Write a haiku about \"autumn\" & rain.\n"},
        ],
        add_generation_prompt=True,
    ),
    "chinese-no-system": dict(
        messages=[
            {"role": "user", "content": "你好，请介绍一下你自己。"},
            {"role": "assistant", "content": "你好！我是一个语言模型助手。😊"},
            {"role": "user", "content": "  北京今天的天气怎么样？  "},
        ],
        add_generation_prompt=False,
    ),
    "single-user": dict(
        messages=[{"role": "user", "content": "Hi"}],
        add_generation_prompt=True,
    ),
    "tools": dict(
        messages=[
            {"role": "system", "content": "You can call tools."},
            {"role": "user", "content": "What is the weather in Beijing?"},
            {"role": "assistant", "content": "",
             "tool_calls": [{"id": "call12345", "type": "function",
                             "function": {"name": "get_weather",
                                          "arguments": {"city": "北京", "unit": "celsius"}}}]},
            {"role": "tool", "tool_call_id": "call12345", "name": "get_weather",
             "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
            {"role": "assistant", "content": "It is 21 °C and clear in Beijing."},
            {"role": "user", "content": "And tomorrow?"},
        ],
        tools=[WEATHER_TOOL, SEARCH_TOOL],
        add_generation_prompt=True,
    ),
    "tools-no-system": dict(
        messages=[
            {"role": "user", "content": "Search for jinja templates, please."},
            {"role": "assistant", "content": None,
             "tool_calls": [{"id": "call67890", "type": "function",
                             "function": {"name": "search",
                                          "arguments": {"query": "jinja templates", "limit": 3}}}]},
            {"role": "tool", "tool_call_id": "call67890", "name": "search",
             "content": "1. Jinja documentation\n2. Template Designer Documentation"},
        ],
        tools=[SEARCH_TOOL],
        add_generation_prompt=True,
    ),
    "parallel-tool-calls": dict(
        messages=[
            {"role": "system", "content": "你是一个有用的助手。"},
            {"role": "user", "content": "比较北京和上海的天气。"},
            {"role": "assistant", "content": "我来查一下。",
             "reasoning_content": "需要调用两次 get_weather。",
             "tool_calls": [
                 {"id": "callAAAAA", "type": "function",
                  "function": {"name": "get_weather", "arguments": {"city": "北京", "days": 2}}},
                 {"id": "callBBBBB", "type": "function",
                  "function": {"name": "get_weather", "arguments": {"city": "上海", "days": 2}}},
             ]},
            {"role": "tool", "tool_call_id": "callAAAAA", "name": "get_weather",
             "content": "{\"temperature\": 12}"},
            {"role": "tool", "tool_call_id": "callBBBBB", "name": "get_weather",
             "content": "{\"temperature\": 18}"},
            {"role": "assistant", "content": "上海更暖和，18 °C；北京 12 °C。"},
            {"role": "user", "content": "谢谢"},
        ],
        tools=[WEATHER_TOOL],
        add_generation_prompt=True,
    ),
    "string-arguments": dict(
        messages=[
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": "",
             "tool_calls": [{"id": "call54321", "type": "function",
                             "function": {"name": "get_weather",
                                          "arguments": "{\"city\": \"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": "call54321", "content": "sunny, 25"},
            {"role": "assistant", "content": "Sunny and 25 degrees."},
        ],
        tools=[WEATHER_TOOL],
        add_generation_prompt=False,
    ),
    "reasoning": dict(
        messages=[
            {"role": "system", "content": "Think before you answer."},
            {"role": "user", "content": "What is 17 * 23?"},
            {"role": "assistant", "content": "17 * 23 = 391.",
             "reasoning_content": "17 * 20 = 340, 17 * 3 = 51, 340 + 51 = 391."},
            {"role": "user", "content": "And 391 / 17?"},
            {"role": "assistant",
             "content": "<think>\nInverse of the last one.\n</think>\n\n391 / 17 = 23."},
            {"role": "user", "content": "Thanks!"},
        ],
        add_generation_prompt=True,
    ),
    "content-parts": dict(
        messages=[
            {"role": "system", "content": [{"type": "text", "text": "You are terse."}]},
            {"role": "user", "content": [{"type": "text", "text": "Describe Jinja"},
                                         {"type": "text", "text": " in one line."}]},
            {"role": "assistant", "content": [{"type": "text", "text": "A template engine."}]},
            {"role": "user", "content": [{"type": "text", "text": "More?"}]},
        ],
        add_generation_prompt=False,
    ),
    "assistant-last": dict(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Say yes."},
            {"role": "assistant", "content": "Yes."},
        ],
        add_generation_prompt=False,
    ),
}


def tap_skip(reason):
    print(f"1..0 # SKIP {reason}")
    sys.exit(0)


def make_env(jinja2, now):
    import jinja2.ext
    import jinja2.sandbox

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def strftime_now(format):
        return datetime.datetime.fromtimestamp(now).strftime(format)

    # transformers' own tojson (src/transformers/utils/chat_template_utils.py).
    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def context_for(conversation):
    # What transformers passes: the special tokens, tools and documents
    # (None when there are none), add_generation_prompt.
    return {
        "messages": conversation["messages"],
        "tools": conversation.get("tools"),
        "documents": None,
        "add_generation_prompt": conversation["add_generation_prompt"],
        "bos_token": "<s>",
        "eos_token": "</s>",
    }


def diff_excerpt(expected, got):
    lines = list(difflib.unified_diff(
        expected.splitlines(keepends=True), got.splitlines(keepends=True),
        "jinja2", "hearth", n=2))
    out = []
    for line in lines[:40]:
        out.append("#   " + repr(line)[1:-1])
    if len(lines) > 40:
        out.append(f"#   … {len(lines) - 40} more diff lines")
    return "\n".join(out)


def main():
    try:
        import jinja2  # noqa: F401
        import jinja2.sandbox  # noqa: F401
    except ImportError as e:
        tap_skip(f"jinja2 cannot be imported by {sys.executable}: {e}")

    shared = os.environ.get("HEARTH_SHARED_DIR")
    if not shared or not os.path.isdir(os.path.join(shared, "templates")):
        tap_skip("no templates: HEARTH_SHARED_DIR/templates is missing")
    binary = os.environ.get("HEARTH_BINARY")
    if not binary or not os.path.exists(binary):
        tap_skip("HEARTH_BINARY is not set (run through meson test)")

    tdir = os.path.join(shared, "templates")
    templates = sorted(f for f in os.listdir(tdir) if f.endswith(".jinja"))
    if not templates:
        tap_skip(f"no *.jinja in {tdir}")

    # Both renderers see the same time zone.
    os.environ["TZ"] = "UTC"
    time.tzset()
    env = make_env(jinja2, NOW)

    cases = [(t, c) for t in templates for c in CONVERSATIONS]
    print(f"1..{len(cases)}")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (tname, cname) in enumerate(cases, 1):
            path = os.path.join(tdir, tname)
            with open(path, encoding="utf-8") as f:
                source = f.read()
            context = context_for(CONVERSATIONS[cname])
            ctx_path = os.path.join(tmp, "context.json")
            with open(ctx_path, "w", encoding="utf-8") as f:
                json.dump(context, f, ensure_ascii=False)

            try:
                expected = env.from_string(source).render(**context)
                expected_error = None
            except Exception as e:  # noqa: BLE001 — any jinja2 failure is an expected failure
                expected = None
                expected_error = f"{type(e).__name__}: {e}"

            proc = subprocess.run([binary, "template", path, "--context", ctx_path,
                                   "--now", str(NOW)],
                                  capture_output=True, env=dict(os.environ, TZ="UTC"),
                                  timeout=60)
            got = proc.stdout.decode("utf-8", errors="replace")
            err = proc.stderr.decode("utf-8", errors="replace").strip()
            name = f"{tname} × {cname}"

            if expected_error is not None:
                if proc.returncode == 3:
                    print(f"ok {i} - {name} (both fail: {expected_error[:80]})")
                else:
                    failures += 1
                    print(f"not ok {i} - {name}: jinja2 raised but hearth exited {proc.returncode}")
                    print(f"#   jinja2: {expected_error}")
            elif proc.returncode != 0:
                failures += 1
                print(f"not ok {i} - {name}: hearth exited {proc.returncode}")
                print(f"#   {err}")
            elif got != expected:
                failures += 1
                print(f"not ok {i} - {name}: output differs")
                print(diff_excerpt(expected, got))
            else:
                print(f"ok {i} - {name}")
            sys.stdout.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
