#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A fuzzing campaign: every libFuzzer harness of spec/fuzz (or those named) for SECONDS each
# (default 300), one after the other, with the grown corpora kept in build-fuzz/campaign/ (a later
# campaign goes on from them). Prints per harness the executions, exec/s, edges and findings, then
# the line coverage of the files each harness is for (clang source-based coverage: a second build
# in build-fuzz-cov/ replays the grown corpus).
#   bench/fuzz.sh [SECONDS] [harness...]
# Findings are left in build-fuzz/campaign/findings/; reproduce one with build-fuzz/<harness> FILE,
# then add it to spec/fuzz/corpus/<harness>/ (named regress-<what>) with the fix and a spec.
set -u
cd "$(dirname "$0")/.."
seconds=${1:-300}
[ $# -gt 0 ] && shift
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(fuzz_reply fuzz_ntlm fuzz_framing fuzz_request fuzz_clixml fuzz_lxml)
work=build-fuzz/campaign

# The files each harness is for (their line coverage is what the campaign reports).
targets() {
  case "$1" in
    fuzz_reply) echo src/core/protocol/response.c src/core/protocol/xmlread.c ;;
    fuzz_ntlm) echo src/auth/ntlm.c src/auth/encrypt.c ;;
    fuzz_framing) echo src/auth/encrypt.c ;;
    fuzz_request) echo src/core/protocol/uri.c src/core/protocol/envelope.c ;;
    fuzz_clixml) echo src/core/protocol/clixml.c src/core/protocol/psrp.c src/core/protocol/psobject.c src/core/protocol/psobject_write.c ;;
    fuzz_lxml) echo src/core/protocol/xmltree.c src/core/protocol/xmlread.c src/lua/lxml.c ;;
  esac
}

mkdir -p "$work"
bash spec/fuzz/run.sh --seconds "$seconds" --work "$work" "${harnesses[@]}"
status=$?

echo
echo "# line coverage of the grown corpora (llvm-cov, clang source-based coverage)"
if [ -d build-fuzz-cov ]; then
  meson configure build-fuzz-cov -Dfuzz=coverage -Db_lundef=false >/dev/null
else
  CC=clang meson setup build-fuzz-cov -Dfuzz=coverage -Db_lundef=false --buildtype=debugoptimized >/dev/null
fi && ninja -C build-fuzz-cov "${harnesses[@]}" >"$work/cov-build.log" 2>&1 || {
  echo "coverage build failed: see $work/cov-build.log"; exit 1; }
for h in "${harnesses[@]}"; do
  rm -f "$work/$h".profraw "$work/$h".profdata
  LLVM_PROFILE_FILE="$work/$h.profraw" ASAN_OPTIONS=detect_leaks=0 \
    build-fuzz-cov/"$h" -runs=0 "$work/corpus-$h" spec/fuzz/corpus/"$h" >/dev/null 2>&1
  llvm-profdata merge -sparse "$work/$h.profraw" -o "$work/$h.profdata" || continue
  echo "$h:"
  llvm-cov report build-fuzz-cov/"$h" -instr-profile="$work/$h.profdata" 2>/dev/null |
    awk -v want="$(targets "$h")" 'BEGIN { n = split(want, t, " ") }
      { for (i = 1; i <= n; i++) if (length($1) >= length(t[i]) && substr($1, length($1) - length(t[i]) + 1) == t[i])
          printf "    %-32s lines %5d of %5d covered (%s)\n", t[i], $8 - $9, $8, $10 }'
done
exit $status
