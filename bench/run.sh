#!/usr/bin/env bash
# Runs segmadiff's benchmarks beside the Python reference stack (same torch, same machine, same run)
# and prints the speed ratios (reference time / segmadiff time: above 1 means segmadiff is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
REF=.deps/refpy
if [ ! -f "$REF/.ready" ]; then
  echo "bench: installing the Python reference stack (diffusers 0.21.4) into $REF"
  python3 -m pip install -q --no-compile --target "$REF" diffusers==0.21.4 'huggingface_hub<0.26' safetensors \
    filelock fsspec typing_extensions sympy networkx jinja2 numpy pillow
  touch "$REF/.ready"
fi
export PYTHONPATH="$PWD/.deps/python:$PWD/$REF"
BIN=$(swift build -c release --show-bin-path)/segmadiff-bench
swift build -c release --product segmadiff-bench >/dev/null

ratio() { python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); k=sys.argv[3]; print(f'{k}: reference {a[k]:.4g}, segmadiff {b[k]:.4g}, ratio {a[k]/b[k]:.2f}x')" "$@"; }

py=$(python3 bench/op_overhead.py 20000); sw=$("$BIN" ops --iterations 20000)
echo "$py"; echo "$sw"; ratio "$py" "$sw" us_per_op
