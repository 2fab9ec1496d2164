#!/usr/bin/env bash
# Runs segmadiff's benchmarks beside the Python reference stack (same torch, same machine, same run)
# and prints the speed ratios (reference time / segmadiff time: above 1 means segmadiff is faster).
set -euo pipefail
cd "$(dirname "$0")/.."
# The Python reference stack: torch 2.15.0 with its own dependencies, diffusers 0.21.4 (as
# ../shared/reference/ref_bench.py asks), in a virtual environment under .deps.
REFENV=.deps/refenv
PY=$REFENV/bin/python
if [ ! -f "$REFENV/.ready" ]; then
  echo "bench: installing the Python reference stack into $REFENV (several GB, once)"
  python3 -m venv "$REFENV"
  "$REFENV/bin/pip" install -q torch==2.15.0 diffusers==0.21.4 'huggingface_hub<0.26' safetensors numpy pillow
  touch "$REFENV/.ready"
fi
BIN=$(swift build -c release --show-bin-path)/segmadiff-bench
swift build -c release --product segmadiff-bench >/dev/null

ratio() { python3 -c "import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); k=sys.argv[3]; print(f'{k}: reference {a[k]:.4g}, segmadiff {b[k]:.4g}, ratio {a[k]/b[k]:.2f}x')" "$@"; }

py=$("$PY" bench/op_overhead.py 20000); sw=$("$BIN" ops --iterations 20000)
echo "$py"; echo "$sw"; ratio "$py" "$sw" us_per_op

# The SegMaDiff U-Net (full size, MDFormer reference variant) at 64 px, batch 2, 2 threads.
py=$("$PY" ../shared/reference/ref_bench.py --size 64 --batch 2 --steps 5 --threads 2)
sw=$("$BIN" unet --size 64 --batch 2 --steps 5 --threads 2)
echo "$py"; echo "$sw"; ratio "$py" "$sw" train_step_s; ratio "$py" "$sw" unet_eval_s
# segmadiff with --mixed_precision bf16 (autocast) against the reference's fp32 (its only precision).
sw=$("$BIN" unet --size 64 --batch 2 --steps 5 --threads 2 --bf16)
echo "$sw"; ratio "$py" "$sw" train_step_s; ratio "$py" "$sw" unet_eval_s

# The MDFormer's two scans, forward and backward (the fork's per-pixel order against the batched scan).
py=$("$PY" bench/scan_ref.py --batch 4 --channels 1024 --states 16 --size 8 --steps 5 --threads 2)
sw=$("$BIN" scan --batch 4 --channels 1024 --states 16 --size 8 --steps 5 --threads 2)
echo "$py"; echo "$sw"; ratio "$py" "$sw" scan_fwd_bwd_s

# Data: PNG decode + resize to 256 + mask preparation through the loader, against the reference's
# PIL pipeline (DataLoader, num_workers=0) on the same 200 generated 512x512 PNGs with masks.
# ms_per_sample at each side's default threads, then both with one libtorch thread.
DATA_DIR=$(mktemp -d)/data
sw=$("$BIN" data --folder "$DATA_DIR" --count 200 --source 512 --size 256 --batch 16)
py=$("$PY" bench/data_ref.py --folder "$DATA_DIR" --size 256 --batch 16)
echo "$py"; echo "$sw"; ratio "$py" "$sw" ms_per_sample
sw=$("$BIN" data --folder "$DATA_DIR" --size 256 --batch 16 --threads 1)
py=$("$PY" bench/data_ref.py --folder "$DATA_DIR" --size 256 --batch 16 --threads 1)
echo "$py"; echo "$sw"; ratio "$py" "$sw" ms_per_sample
rm -rf "$(dirname "$DATA_DIR")"
