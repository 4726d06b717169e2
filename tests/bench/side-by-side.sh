#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Hearth beside llama.cpp on the same model files, in the same minute: a
# markdown table of prompt and generation tokens/s and their ratios. A
# benchmark, not a test: `meson test` does not run it.
#
# usage: tests/bench/side-by-side.sh [-C BUILDDIR] [-p P] [-n N] [-r R]
#                                    [-b cpu[,vulkan]] [-o DIR] [-s] [-a] [MODEL.gguf …]
#
#   -C BUILDDIR  Hearth's build directory (default: build); it needs
#                BUILDDIR/hearth and BUILDDIR/tests/make-test-model. Time a
#                build without sanitizers.
#   -p P         prompt tokens (default 512)
#   -n N         generated tokens (default 128)
#   -r R         repetitions (default 3)
#   -b LIST      backends to compare, comma-separated: cpu (default), vulkan.
#                Hearth's cpu is compared with llama.cpp's CPU backend, Hearth's
#                vulkan with llama.cpp's Vulkan backend on device 0.
#   -o DIR       where the generated models go (default: a temporary folder,
#                removed at the end); existing files there are reused
#   -s           small models only: no Qwen2.5 shapes
#   -a           llama.cpp at its best: each of its figures the better of its
#                runs with flash attention off (its default) and on
#
# Without MODEL arguments the models are stories260K (../shared/models),
# SmolLM2-135M-shaped models in Q4_0 and Q8_0, and (without -s) Qwen2.5-0.5B
# and 1.5B shapes in Q4_K_M as llama.cpp's own quantizer makes it (the
# anchor's `quant`, from an F16 file: Q4_K, Q6_K and the Q5_0/Q8_0
# fallbacks of rows not divisible by 256); random weights, for timing only.
# llama.cpp is the anchor in ../shared/tools/llama-anchor (run
# `bash ../shared/tools/llama-anchor/setup.sh` once); it runs on 2 threads,
# so Hearth's CPU backend does too.
#
# Three measures, each taken the same way on both sides: the prompt (P
# tokens into an empty cache), generation from an empty cache (N tokens, as
# llama-bench's tgN: Hearth from a prompt of one token) and generation after
# the prompt (N tokens with P already in the cache, as in a chat: Hearth's
# prompt run goes on generating, llama.cpp's runs at depth P).

# shellcheck disable=SC1111 # messages quote with “ ”, as Hearth's own do
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${HEARTH_SHARED_DIR:-$root/../shared}
anchor=$shared/tools/llama-anchor/llbench.c
anchor_dir=${ANCHOR_DIR:-$HOME/.cache/llama-anchor}
threads=2 # as the anchor's run.sh

builddir=build
P=512
N=128
R=3
backends=cpu
outdir=
small=
best=

usage ()
{
  sed -n '/^# usage:/,/^# Without/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

while getopts "C:p:n:r:b:o:sah" opt; do
  case $opt in
    C) builddir=$OPTARG ;;
    p) P=$OPTARG ;;
    n) N=$OPTARG ;;
    r) R=$OPTARG ;;
    b) backends=$OPTARG ;;
    o) outdir=$OPTARG ;;
    s) small=1 ;;
    a) best=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))

for v in "$P" "$N" "$R"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "side-by-side: -p, -n and -r take whole numbers ≥ 1, not “${v}”" >&2; exit 2; }
done
IFS=, read -r -a backend_list <<< "$backends"
for b in "${backend_list[@]}"; do
  [[ $b == cpu || $b == vulkan ]] || { echo "side-by-side: unknown backend “${b}” (cpu or vulkan)" >&2; exit 2; }
done

[[ $builddir = /* ]] || builddir=$root/$builddir
hearth=$builddir/hearth
make_model=$builddir/tests/make-test-model
[ -x "$hearth" ] || { echo "side-by-side: $hearth is missing; build Hearth first (meson setup $builddir && meson compile -C $builddir)" >&2; exit 2; }
[ -f "$anchor" ] || { echo "side-by-side: $anchor is missing (../shared beside the checkout?)" >&2; exit 2; }
for b in "${backend_list[@]}"; do
  [ -x "$anchor_dir/llbench-$b" ] || { echo "side-by-side: $anchor_dir/llbench-$b is missing (run ../shared/tools/llama-anchor/setup.sh)" >&2; exit 2; }
done
python=$(command -v python3) || { echo "side-by-side: python3 is needed to read the JSON" >&2; exit 2; }

models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  [ -x "$make_model" ] || { echo "side-by-side: $make_model is missing" >&2; exit 2; }
  if [ -z "$outdir" ]; then
    outdir=$(mktemp -d -t hearth-side-by-side-XXXXXX)
    trap 'rm -rf "$outdir"' EXIT
  fi
  mkdir -p "$outdir"
  if [ -f "$shared/models/stories260K.gguf" ]; then
    models+=("$shared/models/stories260K.gguf")
  else
    echo "side-by-side: $shared/models/stories260K.gguf is missing; skipping it" >&2
  fi
  for type in Q4_0 Q8_0; do
    m=$outdir/smollm2-135m-$type.gguf
    if [ ! -f "$m" ]; then
      echo "side-by-side: generating $m" >&2
      "$make_model" "$m" --preset smollm2-135m --type "$type" >&2
    fi
    models+=("$m")
  done
  quant=$anchor_dir/quant
  if [ -n "$small" ]; then
    :
  elif [ ! -x "$quant" ]; then
    echo "side-by-side: $quant is missing (run ../shared/tools/llama-anchor/setup.sh); skipping the Qwen2.5 shapes" >&2
  else
    for preset in qwen2-0.5b qwen2-1.5b; do
      m=$outdir/$preset-Q4_K_M.gguf
      if [ ! -f "$m" ]; then
        echo "side-by-side: generating $m" >&2
        "$make_model" "$outdir/$preset-F16.gguf" --preset "$preset" --type F16 >&2
        "$quant" "$outdir/$preset-F16.gguf" "$m" q4_k > "$outdir/$preset-quant.log" 2>&1 \
          || { echo "side-by-side: quant failed; see $outdir/$preset-quant.log" >&2; exit 1; }
        rm -f "$outdir/$preset-F16.gguf"
      fi
      models+=("$m")
    done
  fi
fi

# "12.34 ± 0.56" from Hearth's JSON on stdin; FIELD is prompt or generation.
hearth_rate ()
{
  "$python" -c '
import json, sys
o = json.load(sys.stdin)
k = sys.argv[1] + "_tokens_per_second"
print("%.2f ± %.2f" % (o[k], o[k + "_sd"]))' "$1"
}

# Hearth's BACKEND on MODEL with P prompt and N generated tokens: its JSON,
# or nothing where it failed.
hearth_bench ()
{
  "$hearth" bench "$1" --backend "$2" -p "$3" -n "$4" -r "$R" --threads "$threads" --json || true
}

# llama.cpp's BACKEND (cpu, vulkan) on MODEL: "12.34 ± 0.56" for TEST (ppP
# or tgN) of a run with P prompt and N generated tokens at depth D (the
# cache holding D tokens first); with -a the better of flash attention off
# and on; nothing where it failed.
llama_rate ()
{
  local backend=$1 model=$2 p=$3 n=$4 d=$5 test=$6 fa out best_rate=
  local -a fas=(0)
  local -a device=(-ngl 0)

  [ -n "$best" ] && fas=(0 1)
  [ "$backend" = vulkan ] && device=(-ngl 99)
  for fa in "${fas[@]}"; do
    out=$(GGML_VK_VISIBLE_DEVICES=0 XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp} \
            "$anchor_dir/llbench-$backend" -m "$model" "${device[@]}" -t "$threads" \
            -p "$p" -n "$n" -d "$d" -r "$R" -fa "$fa" 2>/dev/null \
          | awk -v test="$test" '
              /^\|/ {
                n = split($0, f, "|")
                for (i = 1; i <= n; i++) gsub(/^ +| +$/, "", f[i])
                sub(/ @d$/, "", f[6])
                if (f[6] == test) { sub(/ t\/s$/, "", f[7]); print f[7]; exit }
              }') || true
    if [ -n "$out" ] && { [ -z "$best_rate" ] || awk -v a="${out%% *}" -v b="${best_rate%% *}" 'BEGIN { exit !(a > b) }'; }; then
      best_rate=$out
    fi
  done
  echo "$best_rate"
}

# Hearth's mean over llama.cpp's mean, "0.42×", or "—".
ratio ()
{
  awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN {
    if (a == "" || b == "" || a == "—" || b == "—" || b + 0 == 0) print "—"
    else printf "%.2f×\n", a / b
  }'
}

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "| model | backend | Hearth prompt t/s | llama.cpp prompt t/s | ratio | Hearth gen t/s | llama.cpp gen t/s | ratio | Hearth gen @$P t/s | llama.cpp gen @$P t/s | ratio |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for m in "${models[@]}"; do
  name=$(basename "$m" .gguf)
  for b in "${backend_list[@]}"; do
    echo "side-by-side: $name, $b: Hearth" >&2
    long=$(hearth_bench "$m" "$b" "$P" "$N")
    short=$(hearth_bench "$m" "$b" 1 "$N")
    hp=—; hg=—; hd=—
    [ -n "$long" ] && { hp=$(hearth_rate prompt <<< "$long"); hd=$(hearth_rate generation <<< "$long"); }
    [ -n "$short" ] && hg=$(hearth_rate generation <<< "$short")
    echo "side-by-side: $name, $b: llama.cpp" >&2
    lp=$(llama_rate "$b" "$m" "$P" 0 0 "pp$P")
    lg=$(llama_rate "$b" "$m" 0 "$N" 0 "tg$N")
    ld=$(llama_rate "$b" "$m" 0 "$N" "$P" "tg$N")
    echo "| $name | $b | $hp | ${lp:-—} | $(ratio "$hp" "${lp:-—}") | $hg | ${lg:-—} | $(ratio "$hg" "${lg:-—}") | $hd | ${ld:-—} | $(ratio "$hd" "${ld:-—}") |"
  done
done
echo
echo "P=$P N=$N R=$R; CPU rows on $threads threads; ratio = Hearth / llama.cpp (mean over mean)."
[ -n "$best" ] && echo "llama.cpp: the better of flash attention off and on, figure by figure."
echo "Load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) processors)."
