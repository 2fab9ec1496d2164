#!/usr/bin/env bash
# Do slices generated with correlated noise agree with their neighbours the way real slices do?
# On the demo's brain MRI (Colin27 T1 with the AAL atlas, Debian's mricron-data): trains the demo's
# model (or reuses the one in OUTPUT), then generates the whole volume from the atlas with
# `sample-volume` at each --slice_noise_correlation RHO, same seed and sampler, and prints the mean
# normalised cross-correlation of neighbouring axial slices, inside the labels and over whole
# slices, beside the real T1's over the same slices.
#
#   [RHOS="0 0.5 1"] [SAMPLER=ddim] [STEPS=50] [SEED=0] [BIN=path/to/segmadiff] \
#     scripts/experiments/slice-noise-correlation.sh [OUTPUT [DEMO FLAGS...]]
#
# e.g. `SAMPLER=ddpm STEPS=250 scripts/experiments/slice-noise-correlation.sh` (the stochastic
# sampler, whose step noise is correlated too). A model already trained in OUTPUT is reused, so
# other samplers cost only the sampling. BIN defaults to the release build (`make build`).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BIN:-}" ]; then
  make -s build >/dev/null
  BIN=$(swift build -c release --show-bin-path)/segmadiff
fi
out=${1:-slice-noise}
shift || true
read -r -a rhos <<< "${RHOS:-0 0.5 1}"
sampler=${SAMPLER:-ddim}
steps=${STEPS:-50}
seed=${SEED:-0}
templates=/usr/share/mricron/templates
[ -f "$templates/aal.nii.gz" ] || { echo "needs Debian's mricron-data (apt-get install mricron-data)" >&2; exit 2; }
[ -f "$out/model/unet/config.json" ] || "$BIN" demo --output_dir "$out" "$@"
[ -f "$out/data/nifti_import.json" ] || { echo "$out/data holds the phantom, not the brain volume; install mricron-data and remove $out" >&2; exit 2; }

printf '%-22s %14s %14s\n' "volume" "NCC in labels" "NCC whole"
real_line=""
for rho in "${rhos[@]}"; do
  log=$out/volume-rho$rho-$sampler-$steps.txt
  "$BIN" sample-volume --checkpoint_dir "$out/model" --labels "$templates/aal.nii.gz" --image "$templates/ch2.nii.gz" \
    --output "$out/volume-rho$rho-$sampler-$steps.nii.gz" --figure "$out/volume-rho$rho-$sampler-$steps" --skip_empty \
    --slice_noise_correlation "$rho" --sampler "$sampler" --num_inference_steps "$steps" --seed "$seed" \
    --eval_batch_size 16 > "$log"
  generated=$(grep '^adjacent-slice NCC: generated' "$log")
  real_line=$(grep '^adjacent-slice NCC: real' "$log")
  printf '%-22s %14s %14s\n' "generated, rho $rho" "$(awk '{print $4}' <<< "$generated")" "$(awk '{print $8}' <<< "$generated")"
done
printf '%-22s %14s %14s\n' "real T1" "$(awk '{print $4}' <<< "$real_line")" "$(awk '{print $8}' <<< "$real_line")"
echo "($sampler, $steps steps, seed $seed; pairs: $(grep -o '([0-9]* pairs)' <<< "$real_line"); volumes and figures in $out/)"
