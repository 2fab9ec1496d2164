#!/usr/bin/env bash
# Does --guidance_scale make samples follow their masks more closely? On the demo's brain MRI:
# trains the demo's model with --cfg_p_uncond 0.2 (the demo also trains the scoring segmenter),
# then samples the same held-out masks at each guidance scale with the same seeds and scores each
# set: Dice between the conditioning masks and the segmenter's reading of the samples (higher: more
# faithful), FID/KID on the segmenter's features and the intensity-histogram distance to the real
# test images (lower: closer to real). Every scale, 0 included, samples with the same sampler
# settings (DDIM with --use_clipped_model_output true); extra sampling flags go in SAMPLE_FLAGS.
#
#   [SAMPLER=ddim|ddpm|dpmpp] [STEPS=N] [SCALES="0 1 2 3"] [SAMPLE_FLAGS=...] \
#     scripts/experiments/mask-guidance.sh [OUTPUT [DEMO FLAGS...]]
#
# e.g. `SAMPLER=ddpm STEPS=250 scripts/experiments/mask-guidance.sh brief-ddpm --num_epochs 30` (a
# briefly trained model, stochastic sampling; about 11 minutes on 2 CPU cores), or
# `scripts/experiments/mask-guidance.sh phantom-guidance --phantom` on the synthetic phantom.
# A model already trained in OUTPUT is reused, so other samplers or scales cost only the sampling.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s build >/dev/null
bin=$(swift build -c release --show-bin-path)/segmadiff
out=${1:-mask-guidance}
shift || true
sampler=${SAMPLER:-ddim}
steps=${STEPS:-50}
read -r -a scales <<< "${SCALES:-0 1 2 3}"
read -r -a extra <<< "${SAMPLE_FLAGS:-}"
[ -f "$out/model/segmenter/segmenter.json" ] || "$bin" demo --output_dir "$out" --cfg_p_uncond 0.2 "$@"

data=$out/data; model=$out/model
count=$(( 2 * $(ls "$data/images/test" | wc -l) ))
folders=()
for w in "${scales[@]}"; do
  run=$out/guidance-$w-$sampler-$steps
  "$bin" --mode eval_many --checkpoint_dir "$model" --output_dir "$run" --guidance_scale "$w" \
    --img_size 32 --seg_dir "$data/masks" --segmentation_guided --num_segmentation_classes 4 \
    --sampler "$sampler" --num_inference_steps "$steps" --use_clipped_model_output true \
    --eval_batch_size 8 --eval_sample_size "$count" ${extra[@]+"${extra[@]}"}
  "$bin" metrics --segmenter "$model" --generated "$run/samples_many_$count" --real "$data/images/test" >/dev/null
  folders+=("$run/samples_many_$count")
done

python3 - "$sampler" "$steps" "${SCALES:-0 1 2 3}" "${folders[@]}" <<'PY'
import json, sys
sampler, steps, scales, folders = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4:]
print(f"sampler {sampler}, {steps} steps")
print(f"{'guidance':>8}  {'Dice mean':>9}  {'per class':>22}  {'FID':>7}  {'KID':>7}  {'hist W1':>7}")
for w, folder in zip(scales, folders):
    m = json.load(open(f"{folder}/metrics.json"))
    per = " ".join(f"{v:.3f}" for _, v in sorted(m["dice"]["per_class"].items()))
    print(f"{w:>8}  {m['dice']['mean']:>9.3f}  {per:>22}  {m['fid']:>7.3f}  {m['kid']:>7.4f}  {m['histogram']['wasserstein']:>7.4f}")
PY
