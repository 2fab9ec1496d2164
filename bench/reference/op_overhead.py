"""The loop of Benchmarks/segmadiff-bench/OpOverhead.swift in Python torch: many tiny element-wise
ops on a 4-element tensor, so the time is all per-op dispatch. Usage: op_overhead.py [ITERATIONS]"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from facts import cpu_facts  # noqa: E402

n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
torch.set_num_threads(1)
x = torch.tensor([1.0, 2.0, 3.0, 4.0])
y = torch.full((4,), 0.5)


def loop(k):
    global x
    for _ in range(k):
        x = torch.tanh(x * 0.999 + y) - y


loop(n // 10)
start = time.perf_counter()
loop(n)
seconds = time.perf_counter() - start
print(json.dumps({"impl": "reference", "ops": n * 4, "us_per_op": seconds / (n * 4) * 1e6, **cpu_facts(1)}))
