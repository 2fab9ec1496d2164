#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Fuzz/ (one per reader of outside files) and runs each in turn.
#   scripts/fuzz.sh [--seconds N] [--runs N] [harness...]
# Harnesses: safetensors nifti npy png jpeg config modelcard scheduler manifest (default: all).
# Each runs N seconds (default 20; with --runs, N executions or 1800 seconds, whichever comes
# first, as the long runs do), from its committed seeds in
# Fuzz/corpus/<harness> plus what earlier runs found (.build-fuzz/corpus/<harness>). A crash, a
# sanitizer report, an input running over 10 s, more than 2 GB resident or a single allocation over
# 1 GB is a finding: the input is saved under .build-fuzz/findings/ and the script exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(safetensors nifti npy png jpeg config modelcard scheduler manifest)
seconds=
runs=
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n 2,9p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) [[ " ${ALL[*]} " == *" $1 "* ]] || { echo "fuzz.sh: no harness $1 (have: ${ALL[*]})" >&2; exit 2; }
       harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${ALL[@]}")

[ -f .deps/lib/libctorch.so ] || ./scripts/setup.sh
runtime=$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/clang/lib/linux/libclang_rt.fuzzer-$(uname -m).a
[ -f "$runtime" ] || { echo "fuzz.sh: this Swift toolchain has no libFuzzer runtime ($runtime); install a swift.org toolchain (6.3.1 has it)" >&2; exit 2; }
# The machine may be shared (benchmarks, other builds): everything here runs at the lowest priority.
# SwiftPM compiles Swift targets with --sanitize=fuzzer as ASan only and adds libFuzzer at link
# time, so -sanitize=fuzzer goes to swiftc as well: without it only the C target gets coverage
# counters and the fuzzer is blind in the Swift readers. swiftc has no UBSan; the C codecs get it.
SCRATCH=.build-fuzz
mkdir -p "$SCRATCH"
if ! nice -n 19 swift build --package-path Fuzz --scratch-path "$SCRATCH" -c release \
  --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer \
  -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined >"$SCRATCH/build.log" 2>&1; then
  grep -v -e "Cannot export local symbol" -e "^\[[0-9]*/[0-9]*\]" "$SCRATCH/build.log" >&2
  echo "fuzz.sh: the harnesses do not build (log: $SCRATCH/build.log)" >&2
  exit 2
fi
tail -1 "$SCRATCH/build.log"
bin="$SCRATCH/release"
for h in "${harnesses[@]}"; do
  [ -x "$bin/fuzz-$h" ] || { echo "fuzz.sh: the build did not produce fuzz-$h" >&2; exit 2; }
done

# Readers that take a path get a file per run: in memory, and removed afterwards.
work=$(mktemp -d "${FUZZ_TMP:-/dev/shm}/segmadiff-fuzz.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$SCRATCH/findings"

# Foundation leaks a small buffer per Data(contentsOf:) of an empty file; leaks are not what these
# runs look for (unbounded growth still shows as the resident-memory limit).
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# One fuzzer process using one core: libtorch would otherwise start a thread per core.
export OMP_NUM_THREADS=1 TMPDIR=$work

if [ -n "$runs" ]; then limit=(-runs="$runs" -max_total_time="${seconds:-1800}")
else limit=(-max_total_time="${seconds:-20}"); fi
failed=()
printf '%-12s %12s %8s  %s\n' harness executions seconds result
for h in "${harnesses[@]}"; do
  mkdir -p "$SCRATCH/corpus/$h"
  log="$SCRATCH/findings/$h.log"
  start=$(date +%s)
  status=0
  nice -n 19 "$bin/fuzz-$h" "$SCRATCH/corpus/$h" "Fuzz/corpus/$h" "${limit[@]}" \
    -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$SCRATCH/findings/$h-" >"$log" 2>&1 || status=$?
  elapsed=$(( $(date +%s) - start ))
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $status -eq 0 ]; then
    result=ok
  else
    result="FINDING (exit $status): $(grep -m1 -E 'ERROR|error:|SUMMARY|Test unit written' "$log" || echo 'see log'); log $log"
    failed+=("$h")
  fi
  printf '%-12s %12s %8s  %s\n' "$h" "${executions:-?}" "$elapsed" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}; inputs under $SCRATCH/findings/ (replay: $bin/fuzz-HARNESS FILE)" >&2
  exit 1
fi
