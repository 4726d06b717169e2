#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Hearth beside llama.cpp on the same model files, in the same minute: a
# markdown table of prompt and generation tokens/s and their ratios. A
# benchmark, not a test: `meson test` does not run it.
#
# usage: tests/bench/side-by-side.sh [-C BUILDDIR] [-p P] [-n N] [-r R]
#                                    [-b cpu[,vulkan]] [-o DIR] [-s] [MODEL.gguf …]
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
#
# Without MODEL arguments the models are stories260K (../shared/models),
# SmolLM2-135M-shaped models in Q4_0 and Q8_0, and (without -s) Qwen2.5-0.5B
# and 1.5B shapes in Q4_K_M as llama.cpp's own quantizer makes it (the
# anchor's `quant`, from an F16 file: Q4_K, Q6_K and the Q5_0/Q8_0
# fallbacks of rows not divisible by 256); random weights, for timing only. llama.cpp is the anchor in ../shared/tools/llama-anchor (run
# `bash ../shared/tools/llama-anchor/setup.sh` once); it runs on 2 threads,
# so Hearth's CPU backend does too. llama.cpp times generation from an empty
# cache, Hearth after the prompt (as in real use), so for long prompts Hearth's
# generation figure is the more demanding one.

# shellcheck disable=SC1111 # messages quote with “ ”, as Hearth's own do
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
shared=${HEARTH_SHARED_DIR:-$root/../shared}
anchor=$shared/tools/llama-anchor/run.sh
anchor_dir=${ANCHOR_DIR:-$HOME/.cache/llama-anchor}
threads=2 # as the anchor's run.sh

builddir=build
P=512
N=128
R=3
backends=cpu
outdir=
small=

usage ()
{
  sed -n '/^# usage:/,/^# Without/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

while getopts "C:p:n:r:b:o:sh" opt; do
  case $opt in
    C) builddir=$OPTARG ;;
    p) P=$OPTARG ;;
    n) N=$OPTARG ;;
    r) R=$OPTARG ;;
    b) backends=$OPTARG ;;
    o) outdir=$OPTARG ;;
    s) small=1 ;;
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
[ -x "$anchor" ] || { echo "side-by-side: $anchor is missing (../shared beside the checkout?)" >&2; exit 2; }
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

# "12.34 ± 0.56" from the anchor's output on stdin: SECTION is CPU or Vulkan,
# TEST is ppP or tgN.
llama_rate ()
{
  awk -v section="$1" -v test="$2" '
    /^--- llama.cpp / { in_section = index($0, "llama.cpp " section " ") > 0 }
    in_section && /^\|/ {
      n = split($0, f, "|")
      for (i = 1; i <= n; i++) gsub(/^ +| +$/, "", f[i])
      if (f[6] == test) { sub(/ t\/s$/, "", f[7]); print f[7]; exit }
    }'
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
echo "| model | backend | Hearth prompt t/s | Hearth gen t/s | llama.cpp prompt t/s | llama.cpp gen t/s | prompt ratio | gen ratio |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for m in "${models[@]}"; do
  name=$(basename "$m" .gguf)
  declare -A hearth_json=()
  for b in "${backend_list[@]}"; do
    echo "side-by-side: $name: Hearth, $b backend" >&2
    if json=$("$hearth" bench "$m" --backend "$b" -p "$P" -n "$N" -r "$R" --threads "$threads" --json); then
      hearth_json[$b]=$json
    else
      hearth_json[$b]=
    fi
  done
  echo "side-by-side: $name: llama.cpp" >&2
  if [[ ${backend_list[*]} == cpu ]]; then
    # CPU rows only: run.sh's CPU half, without its Vulkan run (lavapipe
    # takes minutes on the larger models and loads the machine meanwhile)
    llama=$(echo "--- llama.cpp CPU backend, $threads threads"
            "$anchor_dir/llbench-cpu" -m "$m" -ngl 0 -t "$threads" -p "$P" -n "$N" -r "$R" 2>/dev/null \
              | grep -E '^(model|\|)' || true)
  else
    llama=$(bash "$anchor" "$m" "$P" "$N" "$R" || true)
  fi
  for b in "${backend_list[@]}"; do
    if [ -n "${hearth_json[$b]}" ]; then
      hp=$(hearth_rate prompt <<< "${hearth_json[$b]}")
      hg=$(hearth_rate generation <<< "${hearth_json[$b]}")
    else
      hp=—
      hg=—
    fi
    section=CPU
    [ "$b" = vulkan ] && section=Vulkan
    lp=$(llama_rate "$section" "pp$P" <<< "$llama")
    lg=$(llama_rate "$section" "tg$N" <<< "$llama")
    echo "| $name | $b | $hp | $hg | ${lp:-—} | ${lg:-—} | $(ratio "$hp" "${lp:-—}") | $(ratio "$hg" "${lg:-—}") |"
  done
  unset hearth_json
done
echo
echo "P=$P N=$N R=$R; CPU rows on $threads threads; ratio = Hearth / llama.cpp (mean over mean)."
echo "Load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) processors)."
