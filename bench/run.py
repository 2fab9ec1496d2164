#!/usr/bin/env python3
"""`make bench`: segmadiff against the Python reference stack (torch + diffusers + the project's
own MDFormer model, scripts/reference/mdformer.py) on this machine, in the same run.

Every row runs as separate processes, alternating sides (reference, segmadiff, ...; the order is
reversed every other round), BENCH_RUNS times per side (the full-size model's whole training runs,
by far the costliest, BENCH_FULL_TRAIN_RUNS times). Each row records per side the
median and range, the ratio of the medians and the range of the per-round ratios; memory is the
peak RSS of each process, taken by this script from os.wait4. Writes
bench/results/<date>-<cpu>.json and .md; bench/update_readme.py turns the JSON into the README's table.

Usage: bench/run.py [--quick] [--runs N] [--only NAME,...] [--dry-run] [--python PY]
Standard library only (the reference stack is run through --python, the segmadiff side through
the release binaries).
"""
import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import cpu  # noqa: E402
import rows  # noqa: E402
import runner  # noqa: E402
import stats  # noqa: E402
import table  # noqa: E402


def parse():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", default=os.environ.get("BENCH_QUICK") == "1",
                        help="one run per side, small sizes: checks that every row works (BENCH_QUICK=1)")
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")),
                        help="runs per side of every row (BENCH_RUNS, default 5)")
    parser.add_argument("--full-train-runs", type=int, default=int(os.environ.get("BENCH_FULL_TRAIN_RUNS", "5")),
                        help="runs per side of the full-size model's whole training runs, the costliest row "
                             "(BENCH_FULL_TRAIN_RUNS, default 5; never more than --runs)")
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default=os.environ.get("BENCH_BF16", "auto"),
                        help="the bf16 rows: auto = only where the CPU has bf16 instructions (BENCH_BF16)")
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""),
                        help="comma-separated measurements to run: ops,unet,scan,data,train_full,train_small,eval_many")
    parser.add_argument("--dry-run", action="store_true", help="print the plan (every command) and the estimate; run nothing")
    parser.add_argument("--python", default=os.path.join(ROOT, ".deps/refenv/bin/python"))
    parser.add_argument("--bin", help="folder of the release binaries (default: swift build -c release --show-bin-path)")
    parser.add_argument("--results", default=os.path.join(HERE, "results"))
    return parser.parse_args()


def binaries(folder):
    if not folder:
        folder = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout.strip()
    return os.path.join(folder, "segmadiff"), os.path.join(folder, "segmadiff-bench")


def minutes(seconds):
    return f"{seconds / 60:.1f} min"


def run_measurement(m, logs, env):
    """All rounds of one measurement; returns {side: [result per round]}. Each run's output goes
    to its own log file."""
    results = {side: [] for side in m.sides}
    started = time.perf_counter()
    for index in range(m.rounds):
        for side in runner.round_order(m.sides, index):
            if side in m.fresh:
                shutil.rmtree(m.fresh[side], ignore_errors=True)
            log = os.path.join(logs, f"{m.name}-{side}-{index + 1}.log")
            result = runner.run_process(m.sides[side], log, env=env, cwd=ROOT)
            results[side].append(result)
            if side in m.fresh:          # a full-size run folder holds about 1.5 GB: not kept
                shutil.rmtree(m.fresh[side], ignore_errors=True)
            print(f"  {m.name} round {index + 1}/{m.rounds} {side}: {result['wall_s']:.1f} s, "
                  f"{result['maxrss_mb']:.0f} MB", flush=True)
        if index == 0 and m.rounds > 1:
            first = time.perf_counter() - started
            print(f"  {m.name}: {first:.0f} s per round, about {minutes(first * (m.rounds - 1))} to go for this row",
                  flush=True)
    return results


def summarise_rows(m, results):
    out = []
    rounds = [{side: results[side][i] for side in m.sides} for i in range(m.rounds)]
    for row in m.rows:
        summary = stats.summarise([row.reference(r) for r in rounds], [row.segmadiff(r) for r in rounds],
                                  row.higher_is_better)
        out.append({"measurement": m.name, "section": m.section, "label": row.label, "unit": row.unit,
                    "higher_is_better": row.higher_is_better, **summary})
    return out


def main():
    args = parse()
    begun = time.perf_counter()
    info = cpu.cpu_info()
    print(f"bench: {cpu.describe(info)}", flush=True)
    segmadiff, bench = binaries(args.bin)
    runs = 1 if args.quick else max(1, args.runs)
    bf16 = args.bf16 == "on" or (args.bf16 == "auto" and info["bf16_hardware"])
    work = tempfile.mkdtemp(prefix="segmadiff-bench-")
    setup = rows.Setup(python=args.python, bench=bench, segmadiff=segmadiff, work=work, quick=args.quick, runs=runs,
                       full_train_runs=min(runs, max(1, args.full_train_runs)), cores=os.cpu_count() or 1, bf16=bf16)
    measurements = rows.measurements(setup)
    if args.only:
        wanted = set(args.only.split(","))
        measurements = [m for m in measurements if m.name in wanted]
    estimate = sum(m.estimate_s * m.rounds for m in measurements)
    if args.quick:
        print("bench: quick mode: 1 run per side at small sizes (a few minutes on a quiet 2-core machine)", flush=True)
    else:
        print(f"bench: {runs} run{'s' if runs > 1 else ''} per side; about {minutes(estimate)} on a quiet 2-core "
              "machine (each row prints its own projection after its first round)", flush=True)
    if args.dry_run:
        for m in measurements:
            print(f"{m.name}: {m.rounds} rounds, about {minutes(m.estimate_s * m.rounds)}")
            for side, command in m.sides.items():
                print(f"  {side}: {' '.join(command)}")
        shutil.rmtree(work, ignore_errors=True)
        return
    # The Python side prints deprecation warnings of diffusers 0.21.4 on newer torch: not ours to fix.
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    now = datetime.datetime.now(datetime.timezone.utc)
    # A quick or partial (--only) run gets a name of its own: it must never replace the day's full
    # results, from which the README's table is made (bench/run.sh updates it only from those).
    partial = "-only-" + "-".join(sorted(args.only.split(","))) if args.only else ""
    stem = os.path.join(args.results, f"{now.strftime('%Y-%m-%d')}-{info['slug']}{'-quick' if args.quick else ''}{partial}")
    logs = stem + "-logs"          # every run's command line and output, kept beside the results
    shutil.rmtree(logs, ignore_errors=True)
    try:
        for index, command in enumerate(rows.preparation(setup, {m.name for m in measurements})):
            runner.run_process(command, os.path.join(logs, f"prepare-{index + 1}.log"), env=env, cwd=ROOT)
        torch_version = subprocess.run([args.python, "-c", "import torch; print(torch.__version__)"],
                                       capture_output=True, text=True).stdout.strip()
        results_rows, raw = [], {}
        for m in measurements:
            print(f"bench: {m.name} ({m.rounds} round{'s' if m.rounds > 1 else ''}, sides {', '.join(m.sides)})", flush=True)
            try:
                results = run_measurement(m, logs, env)
            except runner.RunFailed as failure:
                print(f"bench: {m.name} failed: {failure}", file=sys.stderr, flush=True)
                results_rows += [{"measurement": m.name, "section": m.section, "label": row.label,
                                  "error": str(failure).splitlines()[0]} for row in m.rows]
                continue
            raw[m.name] = {"sides": {side: command for side, command in m.sides.items()}, "runs": results}
            results_rows += summarise_rows(m, results)
            print(f"bench: {minutes(time.perf_counter() - begun)} so far", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    notes = [
        "Whole commands: `segmadiff --mode train|eval_many ...` against bench/reference/train.py and sample.py "
        "(the reference's training and eval_many on torch + diffusers, DataLoader with workers = 0 as its main.py), "
        "each a fresh process, start-up included; per-step rows subtract an E = 1 run from a longer run of the same command (16 steps or more between them).",
        "The reference's MDFormer scans rows and columns as batched tensor ops (scripts/reference/mdformer.py); the "
        "published fork loops per pixel, which is slower still.",
        "Memory: peak resident set of each process (with its DataLoader workers: the largest, not the sum), from wait4.",
    ]
    if setup.full_train_runs < runs:
        notes.append(f"The full-size model's whole training runs ran {setup.full_train_runs} times per side "
                     f"(BENCH_FULL_TRAIN_RUNS), the other rows {runs} times.")
    if not bf16:
        notes.append("bf16 rows left out: this CPU has no bf16 instructions, so libtorch emulates bf16 and it only "
                     "slows training down (BENCH_BF16=on runs them anyway).")
    elapsed = time.perf_counter() - begun
    results = {"date": now.strftime("%Y-%m-%d"), "time": now.strftime("%H:%M:%SZ"), "cpu": info, "torch": torch_version,
               "quick": args.quick, "runs": runs, "full_train_runs": setup.full_train_runs, "bf16": bf16,
               "elapsed_s": elapsed, "rows": results_rows, "notes": notes, "raw": raw}
    os.makedirs(args.results, exist_ok=True)
    with open(stem + ".json", "w") as f:
        json.dump(results, f, indent=1)
    markdown = table.markdown(results)
    with open(stem + ".md", "w") as f:
        f.write(markdown)
    print("\n" + markdown)
    print(f"bench: {minutes(elapsed)}; results in {os.path.relpath(stem, ROOT)}.json and .md", flush=True)
    print(stem + ".json")       # the last line: the results file, for bench/run.sh


if __name__ == "__main__":
    main()
