#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the libFuzzer harnesses (clang, -Dfuzz=libfuzzer in build-fuzz/) and runs each over its
# committed corpus (spec/fuzz/corpus/<harness>/: seeds and regression inputs) plus N seconds of new
# inputs. One TAP line per harness with executions, exec/s and edge coverage; a finding is a
# "not ok" line naming the input libFuzzer wrote (reproduce: build-fuzz/<harness> <file>).
#   spec/fuzz/run.sh [--seconds N] [--work DIR] [harness...]
# --seconds 0 replays the corpus only. --work keeps the grown corpora and findings in DIR
# (default: a temporary directory, removed at the end). New inputs never go into the repository.
set -u
cd "$(dirname "$0")/../.."
seconds=60
work=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) break ;;
  esac
done
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(fuzz_reply fuzz_ntlm fuzz_framing fuzz_request fuzz_clixml fuzz_lxml)
keep=1
[ -z "$work" ] && { work=$(mktemp -d); keep=0; }
mkdir -p "$work"

if [ -d build-fuzz ]; then
  meson configure build-fuzz -Dfuzz=libfuzzer -Db_lundef=false >/dev/null
else
  CC=clang meson setup build-fuzz -Dfuzz=libfuzzer -Db_lundef=false --buildtype=debugoptimized >/dev/null
fi || { echo "not ok - configure build-fuzz (CC=clang)"; exit 1; }
ninja -C build-fuzz "${harnesses[@]}" >"$work/build.log" 2>&1 || {
  echo "not ok - build the fuzz harnesses"; tail -20 "$work/build.log" | sed 's/^/#   /'; exit 1; }

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
n=0
failed=0
echo "1..${#harnesses[@]}"
for h in "${harnesses[@]}"; do
  n=$((n + 1))
  corpus="$work/corpus-$h"
  mkdir -p "$corpus" "$work/findings"
  args=(-max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$work/findings/$h-")
  if [ "$seconds" -gt 0 ]; then
    # a fixed seed makes the exploration repeatable: a slower run explores a prefix of the same
    # inputs (WSMAN_FUZZ_SEED picks another sequence; bench/fuzz.sh explores with random seeds)
    args+=(-seed="${WSMAN_FUZZ_SEED:-1}" -max_total_time="$seconds" "$corpus" spec/fuzz/corpus/"$h")
  else
    args+=(-runs=0 spec/fuzz/corpus/"$h")
  fi
  build-fuzz/"$h" "${args[@]}" >"$work/$h.log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$h.log" | tail -1)
  cov=$(grep -aoE 'cov: [0-9]+' "$work/$h.log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "ok $n - $h: ${execs:-0} executions, ${rate:-0} exec/s, ${cov:-cov: ?} edges"
  else
    failed=$((failed + 1))
    finding=$(grep -aoE "Test unit written to [^ ]+" "$work/$h.log" | tail -1 | sed 's/Test unit written to //')
    echo "not ok $n - $h: finding ${finding:-(no input written)} after ${execs:-?} executions"
    grep -aE "ERROR|runtime error|not well-formed|SUMMARY|round trip|survive|unexpected" "$work/$h.log" |
      head -8 | sed 's/^/#   /'
    if [ $keep = 0 ] && [ -n "$finding" ] && [ -f "$finding" ]; then
      echo "#   input (base64): $(base64 -w0 "$finding" | head -c 2000)"
    fi
  fi
done
[ $keep = 0 ] && rm -rf "$work"
[ $failed -eq 0 ]
