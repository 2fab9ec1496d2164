#!/usr/bin/env bash
# Which way of making a volume's slices agree with their neighbours works best? On the demo's brain
# MRI (Colin27 T1 with the AAL atlas, Debian's mricron-data): runs the demo once (its data, its model
# and its scoring segmenter), trains the same model again with each neighbour conditioning
# (--context_slices 1 and 2, --condition_on_previous_slice with and without --previous_slice_noise;
# the demo's own training command, same epochs and seed, with those flags added), then generates
# the whole volume from the atlas with
# `sample-volume` for each model at each --slice_noise_correlation RHO, same seed and sampler, and
# prints the mean normalised cross-correlation of neighbouring axial slices (inside the labels and
# over whole slices) and the segmenter's mean Dice per slice (over all generated slices and over the
# slices of the demo's test split), beside the real T1's agreement over the same slices.
#
#   [RHOS="0 0.5"] [VARIANTS="context1 context2 previous previous-noise0.5"] [SAMPLER=ddim] [STEPS=50] [SEED=0] \
#     [THREADS=N] [BIN=path/to/segmadiff] scripts/experiments/slice-consistency.sh [OUTPUT [DEMO FLAGS...]]
#
# On a machine shared with other jobs, `THREADS=1 ... OUTPUT --threads 1` (the demo flag reaches
# every training) is much faster than the default of all cores.
#
# Takes about 35 minutes on 2 cores shared with other jobs (the demo with one seed about 8, each
# extra model about 5, each volume about 40 seconds, the previous-slice models' 75, since they make
# their slices one at a time). Models already
# trained in OUTPUT are reused. BIN defaults to the release build (`swift build -c release`; the set-up,
# `make setup`, must have been run once).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${BIN:-}" ]; then
  swift build -c release --product segmadiff >/dev/null
  BIN=$(swift build -c release --show-bin-path)/segmadiff
fi
out=${1:-slice-consistency}
shift || true
read -r -a rhos <<< "${RHOS:-0 0.5}"
read -r -a variants <<< "${VARIANTS:-context1 context2 previous previous-noise0.5}"
sampler=${SAMPLER:-ddim}
steps=${STEPS:-50}
seed=${SEED:-0}
templates=/usr/share/mricron/templates
[ -f "$templates/aal.nii.gz" ] || { echo "needs Debian's mricron-data (apt-get install mricron-data)" >&2; exit 2; }
demo_log=$out.demo.log
if [ ! -f "$out/model/unet/config.json" ]; then
  "$BIN" demo --output_dir "$out" --seeds 1 --seed "$seed" "$@" | tee "$demo_log"
fi
[ -f "$out/data/nifti_import.json" ] || { echo "$out/data holds the phantom, not the brain volume; install mricron-data and remove $out" >&2; exit 2; }
segmenter=$out/seeds/seed-$seed/segmenter
[ -f "$segmenter/segmenter.json" ] || { echo "no segmenter in $segmenter; remove $out and run again" >&2; exit 2; }

# The demo's own training command (as it printed it), without its output folder.
line=$(grep -m1 '^\$ segmadiff --mode train' "$demo_log") || { echo "$demo_log does not hold the demo's training command; remove $out and run again" >&2; exit 2; }
eval "demo_args=(${line#\$ segmadiff })"
train_args=()
for ((i = 0; i < ${#demo_args[@]}; i++)); do
  if [ "${demo_args[i]}" = "--output_dir" ]; then i=$((i + 1)); else train_args+=("${demo_args[i]}"); fi
done

flags_of() {
  case $1 in
    context*) echo "--context_slices ${1#context}" ;;
    previous-noise*) echo "--condition_on_previous_slice --previous_slice_noise ${1#previous-noise}" ;;
    previous) echo "--condition_on_previous_slice" ;;
  esac
}
for variant in "${variants[@]}"; do
  model=$out/model-$variant
  [ -f "$model/unet/config.json" ] && continue
  read -r -a extra <<< "$(flags_of "$variant")"
  echo "== train $variant: segmadiff ${train_args[*]} --output_dir $model ${extra[*]}"
  "$BIN" "${train_args[@]}" --output_dir "$model" "${extra[@]}" > "$out/train-$variant.log"
done

printf '%-30s %10s %10s %10s %10s\n' "volume" "NCC labels" "NCC whole" "Dice all" "Dice test"
real_line=""
real_dice=""
# The mean Dice over all slices and over the test split's, from a "slice Dice" line.
dice_all() { sed -E 's/.*: (generated|real) +all ([0-9.none]+).*/\2/' <<< "$1"; }
dice_test() { grep -q 'test ' <<< "$1" && sed -E 's/.*test ([0-9.none]+).*/\1/' <<< "$1" || echo "-"; }
for variant in plain "${variants[@]}"; do
  model=$out/model-$variant
  [ "$variant" = plain ] && model=$out/model
  for rho in "${rhos[@]}"; do
    name=volume-$variant-rho$rho-$sampler-$steps
    log=$out/$name.txt
    start=$(date +%s)
    "$BIN" sample-volume --checkpoint_dir "$model" --labels "$templates/aal.nii.gz" --image "$templates/ch2.nii.gz" \
      --output "$out/$name.nii.gz" --figure "$out/$name" --skip_empty --segmenter "$segmenter" \
      --slice_noise_correlation "$rho" --sampler "$sampler" --num_inference_steps "$steps" --seed "$seed" \
      --eval_batch_size 16 ${THREADS:+--threads "$THREADS"} > "$log"
    echo "took $(( $(date +%s) - start )) s" >> "$log"
    generated=$(grep '^adjacent-slice NCC: generated' "$log")
    real_line=$(grep '^adjacent-slice NCC: real' "$log")
    dice=$(grep '^slice Dice (segmenter vs labels): generated' "$log")
    real_dice=$(grep '^slice Dice (segmenter vs labels): real' "$log" || true)
    printf '%-30s %10s %10s %10s %10s\n' "$variant, rho $rho" "$(awk '{print $4}' <<< "$generated")" "$(awk '{print $8}' <<< "$generated")" \
      "$(dice_all "$dice")" "$(dice_test "$dice")"
  done
done
printf '%-30s %10s %10s %10s %10s\n' "real T1" "$(awk '{print $4}' <<< "$real_line")" "$(awk '{print $8}' <<< "$real_line")" \
  "$(dice_all "$real_dice")" "$(dice_test "$real_dice")"
echo "($sampler, $steps steps, seed $seed; pairs: $(grep -o '([0-9]* pairs)' <<< "$real_line"); Dice: $(sed -E 's/^slice Dice \(segmenter vs labels\): generated +//' <<< "$dice"); volumes, figures and logs in $out/)"
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"
