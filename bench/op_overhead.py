"""The same loop as Benchmarks/segmadiff-bench/OpOverhead.swift, in Python torch: per-op dispatch cost."""
import json, sys, time
import torch

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
torch.set_num_threads(1)
x = torch.tensor([1.0, 2.0, 3.0, 4.0]); y = torch.full((4,), 0.5)
def loop(k):
    global x
    for _ in range(k):
        x = torch.tanh(x * 0.999 + y) - y
loop(n // 10)
t0 = time.perf_counter(); loop(n); dt = time.perf_counter() - t0
print(json.dumps({"impl": "python", "ops": n * 4, "us_per_op": dt / (n * 4) * 1e6}))
