"""The SegMaDiff U-Net in the Python reference stack (diffusers 0.21.4 + scripts/reference/mdformer.py),
timed as Benchmarks/segmadiff-bench's `unet`: the median of --steps training steps (add_noise, forward,
MSE, backward, clip 1.0, AdamW) and of --steps U-Net evaluations without gradients, after five warm-ups (as segmadiff-bench).
--bf16: forward under torch.autocast("cpu", bfloat16) and AdamW(fused=True), what a Python user
switches on for bf16.
Usage: unet_bench.py --size 64 --batch 2 --channels 128,128,256,256,512,512 --steps 5 --threads 2 [--bf16]"""
import argparse
import contextlib
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "scripts", "reference")]
from facts import cpu_facts  # noqa: E402
from mdformer import build_unet  # noqa: E402


WARM_UP = 5


def main():
    from diffusers import DDIMScheduler
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--channels", default="128,128,256,256,512,512")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--mdformer", default="reference", choices=["reference", "segmadiff", "none"])
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    channels = tuple(int(c) for c in args.channels.split(","))
    model = build_unet(args.size, 2, 1, channels, args.layers, args.mdformer)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=args.bf16 or None)
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if args.bf16 else contextlib.nullcontext
    scheduler = DDIMScheduler(num_train_timesteps=1000)
    x0 = torch.randn(args.batch, 1, args.size, args.size)
    seg = torch.randint(0, 4, (args.batch, 1, args.size, args.size)).float() / 3

    def train_step():
        noise = torch.randn_like(x0)
        t = torch.randint(0, 1000, (args.batch,))
        with autocast():
            predicted = model(torch.cat([scheduler.add_noise(x0, noise, t), seg], 1), t).sample
        F.mse_loss(predicted.float(), noise).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()

    x = torch.randn(args.batch, 1, args.size, args.size)
    timesteps = torch.full((args.batch,), 500)

    def evaluate():
        with torch.no_grad(), autocast():
            model(torch.cat([x, seg], 1), timesteps)

    def timings(body):
        # Untimed warm-up: the first steps also create oneDNN's kernels and grow the heap (glibc
        # raises its mmap threshold only as big blocks are freed): the reference's bf16 step settles
        # over about five (1.46, 1.13, 1.05, 0.99, 0.94 s, then level, on a 2-core EPYC).
        for _ in range(WARM_UP):
            body()
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            body()
            times.append(time.perf_counter() - start)
        return times

    train = timings(train_step)
    model.eval()
    evaluation = timings(evaluate)
    print(json.dumps({"impl": "reference", "size": args.size, "batch": args.batch, "channels": channels,
                      "mdformer": args.mdformer, "params": sum(p.numel() for p in model.parameters()),
                      "bf16": args.bf16, "train_step_s": statistics.median(train),
                      "unet_eval_s": statistics.median(evaluation), **cpu_facts(args.threads)}))


if __name__ == "__main__":
    main()
