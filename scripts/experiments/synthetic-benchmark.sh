#!/usr/bin/env bash
# Are the demo model's synthetic pairs worth training a segmenter on? After `make demo` (which
# leaves segmadiff-demo/ with the brain-MRI data, split into slabs, and the trained model), this
# synthesizes image + mask pairs from the TRAIN masks only (COUNT_FACTOR pairs per mask, the
# repeats made different by seeded flips and affine edits), then runs benchmark-synthetic: the
# segmenter trained on real, real + synthetic (0.5x, 1x, 2x), synthetic only, 10% and 25% of the
# real slices alone and with the synthetic pairs of the other slices' masks, and the shuffled-mask
# control, each under SEEDS seeds, all scored on the real test slab (epoch chosen on val).
#
#   [DEMO=segmadiff-demo] [SEEDS=3] [EPOCHS=30] [COUNT_FACTOR=2] [ARMS=all] \
#     scripts/experiments/synthetic-benchmark.sh [OUTPUT [BENCHMARK FLAGS...]]
#
# Both steps continue where they stopped when run again with the same settings (synthesize keeps
# the pairs on disk; benchmark-synthetic skips finished arm x seed runs). The results are in
# OUTPUT/benchmark/results.md (and .json, .png, .pdf); the pairs also as an nnU-Net v2 raw data set,
# checked by nnU-Net's verify_dataset_integrity. With the defaults it takes about 6 minutes
# on 2 cores after make demo (docs/synthetic-benchmark.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build >/dev/null
bin=$(swift build -c release --show-bin-path)/segmadiff
demo=${DEMO:-segmadiff-demo}
out=${1:-synthetic-benchmark}
shift || true
[ -d "$demo/model/unet" ] || { echo "$demo/model not found: run 'make demo' first (or set DEMO=folder)" >&2; exit 2; }

data=$demo/data
# The classes the demo's model was trained with (4 for the brain and for the phantom).
classes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["num_segmentation_classes"])' "$demo/model/unet/segmadiff.json")
train=$(ls "$data/images/train" | wc -l)
count=$(( ${COUNT_FACTOR:-2} * train ))
mkdir -p "$out"

# The model's own sampling settings of the demo (DDIM, 50 steps, no guidance: the demo's
# 720-step model already reaches the segmenter's Dice without it, see README).
"$bin" synthesize --checkpoint_dir "$demo/model" --seg_dir "$data/masks" --split train --count "$count" \
  --edit flip:p=0.5 --edit affine:p=0.5 --sampler ddim --num_inference_steps 50 --eval_batch_size 8 \
  --seed 0 --output_dir "$out/synthetic" --nnunet "$out/nnUNet_raw/Dataset501_Synthetic"

# The same pairs as nnU-Net v2 reads them, checked by nnU-Net's own integrity check.
if [ -x .deps/nnunet/bin/python ]; then
  .deps/nnunet/bin/python scripts/check_nnunet.py "$out/nnUNet_raw/Dataset501_Synthetic"
fi

"$bin" benchmark-synthetic --img_dir "$data/images" --seg_dir "$data/masks" --synthetic "$out/synthetic" \
  --num_segmentation_classes "$classes" --img_size 32 --num_epochs "${EPOCHS:-30}" --seeds "${SEEDS:-3}" \
  --arms "${ARMS:-all}" --output_dir "$out/benchmark" "$@"
