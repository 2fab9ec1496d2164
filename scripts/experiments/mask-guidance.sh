#!/usr/bin/env bash
# Does --guidance_scale make samples follow their masks more closely? On the demo's brain MRI:
# trains the demo's model with --cfg_p_uncond 0.2 (the demo also trains the scoring segmenter),
# then samples the same held-out (test-slab) masks at each guidance scale under each of SEEDS and
# scores each set with that seed's segmenter: Dice between the conditioning masks and the
# segmenter's reading of the samples (higher: more faithful), KID (and FID when the sets are large
# enough) on the segmenter's features and the intensity-histogram distance to the real test images
# (lower: closer to real), each as mean ± std over the seeds. Every scale, 0 included, samples with
# the same sampler settings (DDIM with --use_clipped_model_output true); extra sampling flags go in
# SAMPLE_FLAGS.
#
#   [SAMPLER=ddim|ddpm|dpmpp] [STEPS=N] [SCALES="0 1 2 3"] [SEEDS="0 1 2" (consecutive)] [SAMPLE_FLAGS=...] \
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
read -r -a seeds <<< "${SEEDS:-0 1 2}"
read -r -a extra <<< "${SAMPLE_FLAGS:-}"
# The demo trains one scoring segmenter per seed (its epoch chosen on val) under seeds/seed-S/.
[ -f "$out/results.json" ] || "$bin" demo --output_dir "$out" --cfg_p_uncond 0.2 --seeds "${#seeds[@]}" --seed "${seeds[0]}" "$@"

data=$out/data; model=$out/model
count=$(( 2 * $(ls "$data/images/test" | wc -l) ))
folders=()
for w in "${scales[@]}"; do
  for seed in "${seeds[@]}"; do
    run=$out/guidance-$w-$sampler-$steps-seed-$seed
    "$bin" --mode eval_many --checkpoint_dir "$model" --output_dir "$run" --guidance_scale "$w" --seed "$seed" \
      --img_size 32 --seg_dir "$data/masks" --segmentation_guided --num_segmentation_classes 4 \
      --sampler "$sampler" --num_inference_steps "$steps" --use_clipped_model_output true \
      --eval_batch_size 8 --eval_sample_size "$count" ${extra[@]+"${extra[@]}"}
    "$bin" metrics --segmenter "$out/seeds/seed-$seed/segmenter" --generated "$run/samples_many_$count" \
      --real "$data/images/test" >/dev/null
    folders+=("$run/samples_many_$count")
  done
done

python3 - "$sampler" "$steps" "${SCALES:-0 1 2 3}" "${#seeds[@]}" "${folders[@]}" <<'PY'
import json, statistics, sys
sampler, steps, scales, n, folders = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4]), sys.argv[5:]
def spread(values, digits):
    values = [v for v in values if v is not None]
    if not values: return "n/a"
    if len(values) < 2: return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"
print(f"sampler {sampler}, {steps} steps, mean ± std over {n} seeds (test masks, test images)")
print(f"{'guidance':>8}  {'Dice mean':>15}  {'KID':>17}  {'FID':>15}  {'hist W1':>15}")
notes = set()
for i, w in enumerate(scales):
    runs = [json.load(open(f"{f}/metrics.json")) for f in folders[i * n:(i + 1) * n]]
    notes.update(m["fid_note"] for m in runs if m.get("fid_note"))
    print(f"{w:>8}  {spread([m['dice']['mean'] for m in runs], 3):>15}  {spread([m['kid'] for m in runs], 5):>17}  "
          f"{spread([m['fid'] for m in runs], 3):>15}  {spread([m['histogram']['wasserstein'] for m in runs], 4):>15}")
for note in notes: print(f"FID n/a: {note}")
PY
