#!/usr/bin/env bash
# Runs the fuzz targets one after another, each for SECONDS (default 60),
# with the committed seeds and regressions/TARGET, and prints per-target executions and crashes.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]      (default: every target)
#
# Needs the nightly toolchain and cargo-fuzz (see README.md here). New
# corpus entries go to tests/fuzz/corpus/TARGET, crashes to
# tests/fuzz/artifacts/TARGET (both ignored by git). Exits non-zero if any
# target crashed. Environment: FUZZ_SANITIZER (default none; address for
# ASan), FUZZ_SEED (default 0: a new random seed each run; CI fixes it so
# that its smoke run repeats), FUZZ_RUNS (stop a target after this many
# executions), FUZZ_TRACE_COMPARES (default 1; 0 builds without compare
# tracing: about three times the executions per second for long runs over
# a corpus that runs with tracing already grew), FUZZ_TIMEOUT (default 10:
# seconds of wall time one input may take before it counts as a hang; the
# targets run at nice 19, and beside a busy nice-0 job a 0.4-second input
# was once starved past 10 seconds, so raise it for runs beside other
# work). Targets run one at a time;
# start the script once per core for parallel runs.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"

seconds=${1:-60}
shift || true
all=(query index_bytes jsonl merge)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
sanitizer=${FUZZ_SANITIZER:-none}
build=(--fuzz-dir tests/fuzz -s "$sanitizer")
[ "${FUZZ_TRACE_COMPARES:-1}" = 0 ] && build+=(--no-trace-compares)
runs=()
[ -n "${FUZZ_RUNS:-}" ] && runs=(-runs="$FUZZ_RUNS")
# The targets build a few small indexes per input: keep freed memory in
# the process instead of mapping and unmapping it each time (the fst
# builder's registry alone is a megabyte).
export MALLOC_MMAP_THRESHOLD_=268435456 MALLOC_TRIM_THRESHOLD_=1073741824 MALLOC_TOP_PAD_=67108864

cargo +nightly fuzz build "${build[@]}" || exit 2

declare -A execs crashes
failed=0
for t in "${targets[@]}"; do
  corpus="$here/corpus/$t"
  artifacts="$here/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  # Minimized inputs of past crashes are replayed first, as seeds.
  regressions=()
  [ -d "$here/regressions/$t" ] && regressions=("$here/regressions/$t")
  dict=()
  [ "$t" = query ] && dict=(-dict="$here/query.dict")
  log="$here/artifacts/$t.log"
  # Crashes, hangs, memory blow-ups and leaks fail a target; a slow unit
  # (an input past libFuzzer's report threshold, at nice 19 on a busy
  # machine) is only reported.
  failures() { find "$artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l; }
  before=$(failures)
  # -fork would run several processes: one at a time, in-process, so a
  # crash stops the target (its input is saved under artifacts/).
  nice -n 19 cargo +nightly fuzz run "${build[@]}" "$t" \
    "$corpus" "$here/seeds/$t" "${regressions[@]}" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
    -max_len=4096 -seed="${FUZZ_SEED:-0}" "${runs[@]}" -artifact_prefix="$artifacts/" "${dict[@]}" >"$log" 2>&1
  rc=$?
  after=$(failures)
  slow=$(grep -c 'Test unit written to .*slow-unit-' "$log")
  [ "$slow" -gt 0 ] && echo "== $t: $slow slow unit(s) (not failures): $(grep -o 'Slowest unit: [0-9]* s' "$log" | tail -1)" >&2
  execs[$t]=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  crashes[$t]=$((after - before))
  if [ "$rc" -ne 0 ] || [ "${crashes[$t]}" -ne 0 ]; then
    failed=1
    echo "== $t: exit $rc; the end of $log:" >&2
    grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2
  fi
done

printf '%-12s %14s %8s\n' target executions crashes
for t in "${targets[@]}"; do
  printf '%-12s %14s %8s\n' "$t" "${execs[$t]:-?}" "${crashes[$t]}"
done
exit $failed
