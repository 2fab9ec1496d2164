"""The MDFormer's two scans in the fork's order of work (one step per pixel, MDFormer.scan_pixels of
../shared/reference/mdformer_ref.py), forward and backward, timed as Benchmarks/segmadiff-bench's `scan`.
Usage: python scan_ref.py [--batch 4 --channels 1024 --states 16 --size 8 --steps 5 --threads 2]"""
import argparse, json, os, statistics, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "reference"))
import torch
from mdformer_ref import MDFormer

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=4); p.add_argument("--channels", type=int, default=1024)
p.add_argument("--states", type=int, default=16); p.add_argument("--size", type=int, default=8)
p.add_argument("--steps", type=int, default=5); p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads); torch.manual_seed(0)
shape, bshape = (a.batch, a.channels, a.size, a.size), (a.batch, a.states, a.size, a.size)
u = torch.randn(shape); dt = torch.nn.functional.softplus(torch.randn(shape))
Bm = torch.randn(bshape); Cm = torch.randn(bshape)
A_log = torch.randn(a.states) * 0.5; D = torch.ones(a.channels)
leaves = [u, dt, Bm, Cm, A_log, D]
for leaf in leaves: leaf.requires_grad_(True)
t = lambda z: z.transpose(2, 3).contiguous()

def step():
    A = -torch.exp(A_log)
    y1 = MDFormer.scan_pixels(u, dt, Bm, Cm, A, D)
    y2 = t(MDFormer.scan_pixels(t(y1), t(dt), t(Bm), t(Cm), A, D))
    y2.sum().backward()
    for leaf in leaves: leaf.grad = None

times = []
for i in range(a.steps + 1):
    t0 = time.perf_counter(); step()
    if i: times.append(time.perf_counter() - t0)
print(json.dumps({"impl": "python-reference", "torch": torch.__version__, "batch": a.batch, "channels": a.channels,
                  "states": a.states, "size": a.size, "scan_fwd_bwd_s": statistics.median(times)}))
