"""The Python reference's data pipeline (bench/reference/seg_data.py, docs/python-reference.md §2)
on a folder made by `segmadiff-bench data`: a DataLoader over the train split, batch B, shuffled,
default collate, with --workers worker processes (the reference's main.py uses 0). Prints one JSON
line: the best epoch's milliseconds per sample."""
import argparse
import json
import os
import sys
import time

import torch
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from facts import cpu_facts  # noqa: E402
from seg_data import SegDataset  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dataset = SegDataset(os.path.join(args.folder, "images"), os.path.join(args.folder, "masks"), "train", args.size)
    loader = DataLoader(dataset, batch_size=args.batch, shuffle=True, num_workers=args.workers)
    best, samples = float("inf"), 0
    for _ in range(args.epochs):
        start, samples = time.perf_counter(), 0
        for batch in loader:
            samples += batch["images"].shape[0]
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"bench": "data", "impl": "reference", "samples": samples, "size": args.size,
                      "batch": args.batch, "workers": args.workers, "samples_per_s": samples / best,
                      "ms_per_sample": 1000 * best / samples, **cpu_facts(args.threads)}, sort_keys=True))


if __name__ == "__main__":
    main()
