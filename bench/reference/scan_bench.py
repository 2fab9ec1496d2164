"""The MDFormer's two scans (rows, then columns) forward and backward, timed as
Benchmarks/segmadiff-bench's `scan`: scripts/reference/mdformer.py's batched form (all rows, then
all columns, advance together), which is faster than the published fork's per-pixel loop.
Usage: scan_bench.py [--batch 4 --channels 1024 --states 16 --size 8 --steps 5 --threads 2]"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "scripts", "reference")]
from facts import cpu_facts  # noqa: E402
from mdformer import two_pass_scan  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--batch", type=int, default=4)
parser.add_argument("--channels", type=int, default=1024)
parser.add_argument("--states", type=int, default=16)
parser.add_argument("--size", type=int, default=8)
parser.add_argument("--steps", type=int, default=5)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
shape, shared = (args.batch, args.channels, args.size, args.size), (args.batch, args.states, args.size, args.size)
u = torch.randn(shape)
dt = torch.nn.functional.softplus(torch.randn(shape))
b, c = torch.randn(shared), torch.randn(shared)
a_log = torch.randn(args.states) * 0.5
d = torch.ones(args.channels)
leaves = [u, dt, b, c, a_log, d]
for leaf in leaves:
    leaf.requires_grad_(True)


def step():
    two_pass_scan(u, dt, b, c, -torch.exp(a_log), d).sum().backward()
    for leaf in leaves:
        leaf.grad = None


times = []
for i in range(args.steps + 5):      # the first five runs are an untimed warm-up, as segmadiff-bench's
    start = time.perf_counter()
    step()
    if i >= 5:
        times.append(time.perf_counter() - start)
print(json.dumps({"impl": "reference", "batch": args.batch, "channels": args.channels, "states": args.states,
                  "size": args.size, "scan_fwd_bwd_s": statistics.median(times), **cpu_facts(args.threads)}))
