#!/usr/bin/env bash
# `make bench`: sets up the Python reference stack, builds the release binaries, runs bench/run.py
# (every row as alternating separate processes) and writes its table into the README.
# BENCH_QUICK=1: one run per side at small sizes (a check of the harness, minutes);
# BENCH_RUNS=N (default 5), BENCH_FULL_TRAIN_RUNS=N (default 5), BENCH_BF16=auto|on|off, BENCH_ONLY=rows.
set -euo pipefail
cd "$(dirname "$0")/.."
# The Python reference stack: torch 2.15.0 with its own dependencies and diffusers 0.21.4, in a
# virtual environment under .deps (kept apart from the libtorch segmadiff links).
REFENV=.deps/refenv
PY=$REFENV/bin/python
if [ ! -f "$REFENV/.ready" ]; then
  echo "bench: installing the Python reference stack into $REFENV (several GB, once)"
  python3 -m venv "$REFENV"
  "$REFENV/bin/pip" install -q torch==2.15.0 diffusers==0.21.4 'huggingface_hub<0.26' safetensors numpy pillow
  touch "$REFENV/.ready"
fi
swift build -c release --product segmadiff >/dev/null
swift build -c release --product segmadiff-bench >/dev/null
results=$(python3 bench/run.py --python "$PY" | tee /dev/stderr | tail -n 1)
case "$results" in
  *-quick.json|*-only-*.json) echo "bench: a quick or partial run; the README's table is left as it is" ;;
  *) python3 bench/update_readme.py "$results" ;;
esac
