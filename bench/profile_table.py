"""Sums a Chrome trace of libtorch ops per op name: self time (the op's duration less that of the ops
it called on the same thread), calls, and share of all self time. Reads the traces of
`segmadiff-bench unet --profile FILE` and of torch.profiler's export_chrome_trace, so both sides of
a comparison are counted alike.
Usage: profile_table.py TRACE [--steps N] [--top K]"""
import argparse
import json
from collections import defaultdict


def events(path):
    with open(path) as f:
        trace = json.load(f)
    rows = trace["traceEvents"] if isinstance(trace, dict) else trace
    return [e for e in rows if e.get("ph") == "X" and "dur" in e and e.get("cat", "cpu_op") in ("cpu_op", "Operator")]


def self_times(ops):
    """Per name: (self µs, calls). Ops nest by time on each thread; a parent's self time excludes its children."""
    totals, calls = defaultdict(float), defaultdict(int)
    by_thread = defaultdict(list)
    for e in ops:
        by_thread[e.get("tid")].append(e)
    for thread in by_thread.values():
        thread.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []                      # open ops: [end, name]
        for e in thread:
            start, dur = float(e["ts"]), float(e["dur"])
            while stack and stack[-1][0] <= start:
                stack.pop()
            if stack:
                totals[stack[-1][1]] -= dur
            totals[e["name"]] += dur
            calls[e["name"]] += 1
            stack.append([start + dur, e["name"]])
    return totals, calls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--steps", type=int, default=1, help="steps in the trace: times are shown per step")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    totals, calls = self_times(events(args.trace))
    whole = sum(totals.values())
    print(f"{'ms/step':>9} {'calls/step':>10} {'share':>6}  op   (all ops: {whole / 1000 / args.steps:.1f} ms per step)")
    for name, us in sorted(totals.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{us / 1000 / args.steps:9.2f} {calls[name] / args.steps:10.0f} {us / whole:6.1%}  {name}")


if __name__ == "__main__":
    main()
