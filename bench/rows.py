"""What `make bench` measures: each Measurement is a set of commands ("sides") run as separate
processes in alternating order, round after round; each Row of the table compares one value of a
reference side with one of a segmadiff side, round by round.

Sizes come from `Setup`: the full bench, or --quick (small model, fewer images and steps) for
checking the harness. Every command line is the one a user would run, apart from the timed
in-process benchmarks (segmadiff-bench and bench/reference/*_bench.py).
"""
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

FULL_CHANNELS = "128,128,256,256,512,512"
SMALL_CHANNELS = "32,64,64,128"


@dataclass
class Row:
    label: str
    unit: str                          # "s", "ms", "us", "mb" or "per_s"
    reference: Callable[[dict], float]  # the round's {side: result} -> value
    segmadiff: Callable[[dict], float]
    higher_is_better: bool = False


@dataclass
class Measurement:
    name: str
    section: str
    sides: Dict[str, List[str]]        # side -> command line
    rows: List[Row]
    rounds: int
    # Folders emptied before each run (a run's output folder), so every run starts alike.
    fresh: Dict[str, str] = field(default_factory=dict)
    estimate_s: float = 0              # seconds per round on a quiet 2-core machine (for the estimate)


@dataclass
class Setup:
    python: str                        # the reference stack's interpreter
    bench: str                         # segmadiff-bench
    segmadiff: str
    work: str                          # scratch folder: data sets, run folders
    quick: bool
    runs: int
    full_train_runs: int
    cores: int
    bf16: bool
    notes: List[str] = field(default_factory=list)


def wall(side):
    return lambda r: r[side]["wall_s"]


def key(side, name):
    return lambda r: r[side][name]


def memory(side):
    return lambda r: r[side]["maxrss_mb"]


def per_step(short, long, steps):
    """Seconds per training step: the difference of a long and an E = 1 run of the same command
    divided by the steps between them, so that start-up, sampling and the checkpoint cancel out."""
    return lambda r: (r[long]["wall_s"] - r[short]["wall_s"]) / steps


def measurements(s: Setup):
    py, ref = s.python, "bench/reference/"
    threads = str(s.cores)
    model = SMALL_CHANNELS if s.quick else FULL_CHANNELS
    model_name = "small model (32,64,64,128)" if s.quick else "full-size model (115 M parameters)"
    out = []

    iterations = "2000" if s.quick else "20000"
    out.append(Measurement(
        "ops", "in-process", {
            "ref": [py, ref + "op_overhead.py", iterations],
            "seg": [s.bench, "ops", "--iterations", iterations]},
        [Row("per-op call overhead (many tiny ops, 1 thread)", "us", key("ref", "us_per_op"), key("seg", "us_per_op"))],
        s.runs, estimate_s=4))

    steps = "1" if s.quick else "2"
    unet = ["--size", "64", "--batch", "2", "--steps", steps, "--threads", threads, "--channels", model]
    sides = {"ref": [py, ref + "unet_bench.py", *unet], "seg": [s.bench, "unet", *unet]}
    rows = [
        Row(f"{model_name}, 64x64, batch 2: one training step", "s", key("ref", "train_step_s"), key("seg", "train_step_s")),
        Row("the same model, one U-Net evaluation", "s", key("ref", "unet_eval_s"), key("seg", "unet_eval_s")),
        Row("peak memory of this benchmark (training and evaluation)", "mb", memory("ref"), memory("seg")),
    ]
    if s.bf16:
        sides.update({"ref_bf16": sides["ref"] + ["--bf16"], "seg_bf16": sides["seg"] + ["--bf16"]})
        rows += [
            Row("bf16: one training step (Python: autocast bf16 + fused AdamW)", "s",
                key("ref_bf16", "train_step_s"), key("seg_bf16", "train_step_s")),
            Row("bf16: one training step, against Python fp32", "s", key("ref", "train_step_s"), key("seg_bf16", "train_step_s")),
            Row("bf16: one U-Net evaluation (Python: autocast bf16)", "s",
                key("ref_bf16", "unet_eval_s"), key("seg_bf16", "unet_eval_s")),
        ]
    out.append(Measurement("unet", "in-process", sides, rows, s.runs, estimate_s=105 if s.bf16 else 60))

    scan = ["--batch", "4", "--channels", "1024", "--states", "16", "--size", "8", "--steps", "1" if s.quick else "5",
            "--threads", threads]
    out.append(Measurement(
        "scan", "in-process", {"ref": [py, ref + "scan_bench.py", *scan], "seg": [s.bench, "scan", *scan]},
        [Row("the MDFormer's two scans at 8x8 (E = 1024, batch 4), forward and backward", "s",
             key("ref", "scan_fwd_bwd_s"), key("seg", "scan_fwd_bwd_s"))],
        s.runs, estimate_s=8))

    folder = f"{s.work}/loader"
    data = ["--folder", folder, "--size", "256", "--batch", "16"]
    out.append(Measurement(
        "data", "loading", {
            "seg": [s.bench, "data", *data, "--threads", threads],
            "ref_cores": [py, ref + "data_bench.py", *data, "--workers", threads, "--threads", threads],
            "ref_0": [py, ref + "data_bench.py", *data, "--workers", "0", "--threads", threads]},
        [Row(f"PNG decode, resize 512 -> 256 and masks, per sample; core for core (DataLoader workers = {threads}, "
             f"segmadiff decode threads = {threads})", "ms", key("ref_cores", "ms_per_sample"), key("seg", "ms_per_sample")),
         Row("the same, DataLoader with workers = 0 (the reference's main.py)", "ms",
             key("ref_0", "ms_per_sample"), key("seg", "ms_per_sample"))],
        s.runs, estimate_s=10))

    out.extend(whole_commands(s, model, model_name))
    return out


def train_command(s, side, data, size, batch, eval_batch, epochs, channels, output, bf16):
    """The same training run for both sides: `segmadiff --mode train ...` and bench/reference/train.py."""
    common = ["--img_dir", f"{data}/images", "--seg_dir", f"{data}/masks", "--img_size", str(size),
              "--train_batch_size", str(batch), "--eval_batch_size", str(eval_batch), "--num_epochs", str(epochs),
              "--num_inference_steps", "2", "--model_type", "DDIM", "--block_out_channels", channels,
              "--mdformer", "reference", "--mixed_precision", "bf16" if bf16 else "no", "--threads", str(s.cores),
              "--output_dir", output]
    if side == "ref":
        return [s.python, "bench/reference/train.py", *common, "--workers", "0"]
    return [s.segmadiff, "--mode", "train", *common, "--segmentation_guided", "--num_segmentation_classes", "4",
            "--save_image_epochs", str(epochs), "--save_model_epochs", str(epochs), "--mask_encoding", "seed",
            "--overwrite"]


def training_sides(s, data, size, batch, eval_batch, channels, tag, long_epochs, bf16=False):
    """E = 1 and E = long_epochs runs of both sides; the long run's extra epochs give the per-step rows
    enough steps (16 or more) that process start-up jitter does not swamp them."""
    sides, fresh = {}, {}
    # Paired runs next to each other (ref E1, seg E1, ref EL, seg EL), so each pair sees the same machine.
    for epochs in (1, long_epochs):
        for side in ("ref", "seg"):
            name = f"{side}{'_bf16' if bf16 else ''}_e{'1' if epochs == 1 else 'L'}"
            output = f"{s.work}/runs/{tag}-{name}"
            sides[name] = train_command(s, side, data, size, batch, eval_batch, epochs, channels, output, bf16)
            fresh[name] = output
    return sides, fresh


def whole_commands(s, model, model_name):
    out = []
    full_train = f"{s.work}/data-16"
    steps = 8                                    # 16 train images, batch 2
    long_epochs = 2 if s.quick else 3
    extra = steps * (long_epochs - 1)
    sides, fresh = training_sides(s, full_train, 64, 2, 2, model, "full", long_epochs)
    rows = [
        Row(f"train, {model_name}, 64 px, batch 2, 1 epoch (8 steps + 2-step DDIM grid + checkpoint): whole process",
            "s", wall("ref_e1"), wall("seg_e1")),
        Row(f"the same, per training step ((E = {long_epochs}) - (E = 1)) / {extra}", "s",
            per_step("ref_e1", "ref_eL", extra), per_step("seg_e1", "seg_eL", extra)),
        Row("the same, peak memory (E = 1)", "mb", memory("ref_e1"), memory("seg_e1")),
    ]
    if s.bf16:
        bf16_sides, bf16_fresh = training_sides(s, full_train, 64, 2, 2, model, "full", long_epochs, bf16=True)
        sides.update(bf16_sides)
        fresh.update(bf16_fresh)
        rows += [
            Row("--mixed_precision bf16 on both sides: whole process (E = 1)", "s", wall("ref_bf16_e1"), wall("seg_bf16_e1")),
            Row("bf16, per training step", "s", per_step("ref_bf16_e1", "ref_bf16_eL", extra),
                per_step("seg_bf16_e1", "seg_bf16_eL", extra)),
            Row("segmadiff bf16 against Python fp32, per training step", "s", per_step("ref_e1", "ref_eL", extra),
                per_step("seg_bf16_e1", "seg_bf16_eL", extra)),
            Row("bf16, peak memory (E = 1)", "mb", memory("ref_bf16_e1"), memory("seg_bf16_e1")),
        ]
    out.append(Measurement("train_full", "whole commands", sides, rows, s.full_train_runs, fresh,
                           estimate_s=180 if s.bf16 else 95))

    small_data = f"{s.work}/data-64"
    small_steps = small_train_images(s) // 16     # batch 16
    small_long = 2 if s.quick else 5
    small_extra = small_steps * (small_long - 1)
    sides, fresh = training_sides(s, small_data, 32, 16, 16, SMALL_CHANNELS, "small", small_long)
    out.append(Measurement("train_small", "whole commands", sides, [
        Row(f"train, small model (32,64,64,128), 32 px, batch 16: per training step ((E = {small_long}) - (E = 1)) / "
            f"{small_extra}", "s", per_step("ref_e1", "ref_eL", small_extra), per_step("seg_e1", "seg_eL", small_extra)),
        Row(f"the same, 1 epoch ({small_steps} steps + grid + checkpoint): whole process", "s", wall("ref_e1"), wall("seg_e1")),
        Row("the same, peak memory (E = 1)", "mb", memory("ref_e1"), memory("seg_e1")),
    ], s.runs, fresh, estimate_s=45))

    count, steps = ("4", "10") if s.quick else ("16", "50")
    checkpoint = f"{s.work}/checkpoint-small-64"
    common = ["--checkpoint_dir", checkpoint, "--seg_dir", f"{small_data}/masks", "--img_size", "64",
              "--eval_sample_size", count, "--eval_batch_size", count, "--num_inference_steps", steps,
              "--threads", str(s.cores)]
    ref_out, seg_out = f"{s.work}/runs/eval-ref", f"{s.work}/runs/eval-seg"
    images = int(count)
    out.append(Measurement("eval_many", "whole commands", {
        "ref": [s.python, "bench/reference/sample.py", *common, "--output_dir", ref_out],
        "seg": [s.segmadiff, "--mode", "eval_many", *common, "--model_type", "DDIM", "--segmentation_guided",
                "--num_segmentation_classes", "4", "--output_dir", seg_out]}, [
        Row(f"eval_many, small model at 64 px: {count} images, batch {count}, {steps} DDIM steps, "
            "images per second (whole process)", "per_s",
            lambda r: images / r["ref"]["wall_s"], lambda r: images / r["seg"]["wall_s"], higher_is_better=True),
        Row("the same, peak memory", "mb", memory("ref"), memory("seg")),
    ], s.runs, {"ref": ref_out, "seg": seg_out}, estimate_s=40))
    return out


def small_train_images(s):
    """The small model's training set: 4 steps of batch 16 per epoch (2 in quick mode)."""
    return 32 if s.quick else 64


def preparation(s: Setup, names) -> List[List[str]]:
    """Commands run once, untimed, before the measurements `names`: the data sets and the checkpoint
    that eval_many samples from (written by a 1-epoch segmadiff training of the small model at 64 px)."""
    generate = [s.python, "bench/make_dataset.py"]
    steps = []
    if "train_full" in names:
        steps.append([*generate, f"{s.work}/data-16", "--train", "16", "--val", "2", "--test", "16", "--size", "64"])
    if names & {"train_small", "eval_many"}:
        steps.append([*generate, f"{s.work}/data-64", "--train", str(small_train_images(s)), "--val", "16",
                      "--test", "16", "--size", "64", "--seed", "1"])
    if "data" in names:
        steps.append([s.bench, "data", "--folder", f"{s.work}/loader", "--count", "32" if s.quick else "200",
                      "--source", "512", "--size", "256", "--batch", "16", "--epochs", "1", "--threads", str(s.cores)])
    if "eval_many" in names:
        steps.append([
            s.segmadiff, "--mode", "train", "--img_dir", f"{s.work}/data-64/images", "--seg_dir", f"{s.work}/data-64/masks",
            "--segmentation_guided", "--num_segmentation_classes", "4", "--img_size", "64", "--train_batch_size", "16",
            "--eval_batch_size", "16", "--num_epochs", "1", "--save_image_epochs", "1", "--save_model_epochs", "1",
            "--num_inference_steps", "2", "--model_type", "DDIM", "--block_out_channels", SMALL_CHANNELS,
            "--mdformer", "reference", "--mask_encoding", "seed", "--threads", str(s.cores),
            "--output_dir", f"{s.work}/checkpoint-small-64", "--overwrite"])
    return steps
