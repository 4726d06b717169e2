#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The oracle test for the Go templates Hearth writes into the model library
# for Ollama (data/ollama/*.gotmpl, chosen by app/hearth-ollama-template.c).
#
# For every real chat template in $HEARTH_SHARED_DIR/templates:
#   - `hearth template FILE --ollama` names the family expected below;
#   - for each conversation, the model's own Jinja template rendered by jinja2
#     as Hugging Face's transformers renders it (check-templates.py's
#     environment) must equal the Go template rendered by Go's text/template
#     the way Ollama renders a template that uses .Messages
#     (ollama-template-oracle.go), with Ollama's handling of a default system
#     prompt: inserted as the first message when the conversation has none.
# The BOS token is left out of the comparison (Ollama's tokenizer adds it, as
# llama.cpp's does, so Ollama's templates do not write it). Where a model's
# template writes something a Go template cannot (the date of today), the
# case says so and compares what remains. Speaks TAP; the Go comparisons skip
# visibly where `go` is not installed (Debian's golang-go).

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# family Hearth must recognise for each file (None: a format it does not
# translate, and Ollama gets no template layer)
EXPECTED = {
    "GLM-4.6.jinja": None,
    "HuggingFaceTB-SmolLM3-3B.jinja": "chatml",
    "Mistral-Small-3.2-24B-Instruct-2506.jinja": "mistral-v7",
    "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja": "chatml",
    "Qwen-Qwen2.5-7B-Instruct.jinja": "chatml",
    "Qwen-Qwen3-0.6B.jinja": "chatml",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja": "deepseek-r1",
    "google-gemma-2-2b-it.jinja": "gemma",
    "ibm-granite-granite-3.3-2B-Instruct.jinja": None,
    "meta-llama-Llama-3.1-8B-Instruct.jinja": "llama3",
    "meta-llama-Llama-3.2-3B-Instruct.jinja": "llama3",
    "microsoft-Phi-3.5-mini-instruct.jinja": "phi3",
    "mistralai-Mistral-Nemo-Instruct-2407.jinja": "mistral-tekken",
    "openai-gpt-oss-120b.jinja": None,
    "openbmb-MiniCPM5-1B.jinja": "chatml",
}

# Templates whose prompts a Go template with Ollama's variables cannot
# reproduce byte for byte; their family is still checked.
NOT_COMPARED = {
    "HuggingFaceTB-SmolLM3-3B.jinja":
        "writes a metadata block with today's date and a reasoning-mode switch into the system turn",
    "openbmb-MiniCPM5-1B.jinja":
        "writes thinking markers into assistant turns",
    "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja":
        "is the tool-use variant: it cannot render a conversation without tools",
}

# Cases where the Go template differs on purpose.
DIFFERENT = {
    ("Qwen-Qwen3-0.6B.jinja", "continue"):
        "Qwen3 writes an empty thinking block into the last assistant turn; Ollama keeps "
        "thinking apart from the content, and the ChatML template writes none",
    ("mistralai-Mistral-Nemo-Instruct-2407.jinja", "continue"):
        "Nemo's template drops the system prompt when the conversation ends with the "
        "assistant; the Go template keeps it before the last user turn",
}

# The special tokens of each family's models (what the Jinja templates see).
TOKENS = {
    "chatml": ("", "<|im_end|>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "gemma": ("<bos>", "<eos>"),
    "phi3": ("<s>", "<|endoftext|>"),
    "mistral": ("<s>", "</s>"),
    "mistral-tekken": ("<s>", "</s>"),
    "mistral-v7": ("<s>", "</s>"),
    "deepseek-r1": ("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"),
}

CONVERSATIONS = {
    "system-multi-turn": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Hello! What can you do?"},
        {"role": "assistant", "content": "I can answer questions and help you write."},
        {"role": "user", "content": "Write a haiku about \"autumn\" & rain."},
    ],
    "single-user": [
        {"role": "user", "content": "Hi"},
    ],
    "chinese-no-system": [
        {"role": "user", "content": "你好，请介绍一下你自己。"},
        {"role": "assistant", "content": "你好！我是一个语言模型助手。😊"},
        {"role": "user", "content": "北京今天的天气怎么样？"},
    ],
    "chinese-system": [
        {"role": "system", "content": "你是一个有用的助手。\n请用中文回答。"},
        {"role": "user", "content": "讲一个关于{{花括号}}的故事。"},
    ],
    # the last turn is the assistant's, to be continued (no end of turn, no
    # new header): compared with the Jinja prompt of the finished turn
    "continue": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Say yes."},
        {"role": "assistant", "content": "Yes, and"},
    ],
}

# What a finished assistant turn ends with in each family: the Jinja prompt
# of "continue" is the Go prompt followed by this.
END_OF_TURN = {
    "chatml": "<|im_end|>\n",
    "llama3": "<|eot_id|>",
    "gemma": "<end_of_turn>\n",
    "phi3": "<|end|>\n<|endoftext|>",  # and the EOS the template adds
    "mistral": "</s>",
    "mistral-tekken": "</s>",
    "mistral-v7": "</s>",
    "deepseek-r1": "<｜end▁of▁sentence｜>",
}


def load_check_templates():
    spec = importlib.util.spec_from_file_location(
        "check_templates", os.path.join(HERE, "check-templates.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_oracle(workdir):
    """The Go oracle, built in @workdir; (path, None) or (None, reason)."""
    go = shutil.which("go")
    if go is None:
        return None, "go is not installed (Debian's golang-go)"
    src = os.path.join(workdir, "src")
    os.makedirs(src)
    shutil.copy(os.path.join(HERE, "ollama-template-oracle.go"), os.path.join(src, "main.go"))
    with open(os.path.join(src, "go.mod"), "w") as f:
        f.write("module oracle\n\ngo 1.19\n")
    env = dict(os.environ, GOCACHE=os.path.join(workdir, "cache"),
               GOPATH=os.path.join(workdir, "gopath"), GOFLAGS="-mod=mod",
               GO111MODULE="on", CGO_ENABLED="0", GOTOOLCHAIN="local")
    out = os.path.join(workdir, "oracle")
    r = subprocess.run([go, "build", "-o", out, "."], cwd=src, env=env,
                       capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return None, "the Go oracle does not build: " + r.stderr.strip().replace("\n", " ")[:300]
    return out, None


def render_go(oracle, template, messages):
    r = subprocess.run([oracle], input=json.dumps({"template": template, "messages": messages}),
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return r.stdout


def render_jinja(env, source, messages, family, add_generation_prompt):
    bos, eos = TOKENS[family]
    context = {
        "messages": messages,
        "tools": None,
        "documents": None,
        "add_generation_prompt": add_generation_prompt,
        "bos_token": bos,
        "eos_token": eos,
        # DeepSeek's template closes the thinking block unless asked to think
        "enable_thinking": True,
    }
    text = env.from_string(source).render(**context)
    if bos and text.startswith(bos):
        text = text[len(bos):]
    return text


def llama3_without_date(text):
    """Llama 3.1/3.2 write "Cutting Knowledge Date … Today Date …" into the
    system turn, and a system turn of only that when there is none; Ollama's
    Go templates have no such date (and no strftime)."""
    import re
    text = re.sub(r"Cutting Knowledge Date: [^\n]*\nToday Date: [^\n]*\n\n", "", text, count=1)
    return text.replace("<|start_header_id|>system<|end_header_id|>\n\n<|eot_id|>", "", 1)


def main():
    shared = os.environ.get("HEARTH_SHARED_DIR")
    binary = os.environ.get("HEARTH_BINARY")
    if not shared or not os.path.isdir(os.path.join(shared, "templates")):
        print("1..0 # SKIP no templates: HEARTH_SHARED_DIR/templates is missing")
        return 0
    if not binary or not os.path.exists(binary):
        print("1..0 # SKIP HEARTH_BINARY is not set (run through meson test)")
        return 0
    try:
        import jinja2  # noqa: F401
    except ImportError as e:
        print(f"1..0 # SKIP jinja2 cannot be imported by {sys.executable}: {e}")
        return 0

    tdir = os.path.join(shared, "templates")
    files = sorted(f for f in os.listdir(tdir) if f.endswith(".jinja"))
    checks = load_check_templates()
    env = checks.make_env(jinja2, checks.NOW)

    plan = []
    for name in files:
        plan.append(("family", name, None))
        if EXPECTED.get(name) is not None:
            for conv in CONVERSATIONS:
                plan.append(("prompt", name, conv))
    print(f"1..{len(plan)}")

    failed = 0
    with tempfile.TemporaryDirectory() as workdir:
        oracle, no_oracle = build_oracle(workdir)
        derived = {}
        for n, (kind, name, conv) in enumerate(plan, 1):
            desc = f"{name} {kind}" + (f" {conv}" if conv else "")
            if kind == "family":
                r = subprocess.run([binary, "template", os.path.join(tdir, name), "--ollama"],
                                   capture_output=True, text=True, timeout=60)
                if r.returncode != 0:
                    print(f"not ok {n} - {desc}: exit {r.returncode}: {r.stderr.strip()}")
                    failed += 1
                    continue
                d = json.loads(r.stdout)
                derived[name] = d
                want = EXPECTED.get(name, "(not in the table)")
                if d["family"] != want:
                    print(f"not ok {n} - {desc}: family {d['family']!r}, expected {want!r}")
                    failed += 1
                elif d["family"] is not None and (not d["parameters"]["stop"] or not d["template"]):
                    print(f"not ok {n} - {desc}: no template or no stop strings")
                    failed += 1
                else:
                    print(f"ok {n} - {desc} = {d['family']}")
                continue

            if no_oracle:
                print(f"ok {n} - {desc} # SKIP {no_oracle}")
                continue
            if name in NOT_COMPARED:
                print(f"ok {n} - {desc} # SKIP not compared: the template {NOT_COMPARED[name]}")
                continue
            if (name, conv) in DIFFERENT:
                print(f"ok {n} - {desc} # SKIP different on purpose: {DIFFERENT[(name, conv)]}")
                continue
            d = derived.get(name)
            if d is None or d["family"] is None:
                print(f"not ok {n} - {desc}: no Ollama template was derived")
                failed += 1
                continue
            family = d["family"]
            messages = CONVERSATIONS[conv]
            has_system = any(m["role"] == "system" for m in messages)
            if family == "gemma" and has_system:
                print(f"ok {n} - {desc} # SKIP Gemma 2's template refuses system messages")
                continue
            if family == "mistral-v7" and not has_system:
                print(f"ok {n} - {desc} # SKIP the template's default system prompt carries "
                      "today's date, which Hearth does not freeze into the model")
                continue
            with open(os.path.join(tdir, name), encoding="utf-8") as f:
                source = f.read()
            go_messages = list(messages)
            if not has_system and d.get("system"):
                go_messages.insert(0, {"role": "system", "content": d["system"]})
            continuing = messages[-1]["role"] == "assistant"
            try:
                want = render_jinja(env, source, messages, family, not continuing)
                got = render_go(oracle, d["template"], go_messages)
            except Exception as e:  # noqa: BLE001
                print(f"not ok {n} - {desc}: {type(e).__name__}: {e}")
                failed += 1
                continue
            if family == "llama3":
                want = llama3_without_date(want)
            if continuing:
                end = END_OF_TURN[family]
                if want.endswith(end):
                    want = want[:-len(end)]
            if want == got:
                print(f"ok {n} - {desc}")
            else:
                failed += 1
                print(f"not ok {n} - {desc}: the prompts differ")
                print(checks.diff_excerpt(want, got))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
