"""Writes a small data set in the seed's layout for the whole-command benchmarks:

    OUT/images/{train,val,test}/case_NNNN.png      grey 8-bit images
    OUT/masks/all/{train,val,test}/case_NNNN.png   8-bit label maps, classes 0..K-1

Images are smooth blobs plus noise and the masks are their quantised levels, so both sides decode
and resize realistic PNGs (not constant ones, which compress to nothing). Deterministic per seed.
Usage: make_dataset.py OUT --train 16 --val 2 --test 16 --size 64 [--classes 4]
"""
import argparse
import os

import numpy as np
from PIL import Image


def picture(rng, size):
    """A smooth random field in [0, 255] with some pixel noise."""
    y, x = np.mgrid[0:size, 0:size] / size
    field = np.zeros((size, size))
    for _ in range(4):
        cx, cy, width = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.3)
        field += rng.uniform(0.5, 1.0) * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * width ** 2))
    field = field / field.max()
    return np.clip(field * 220 + rng.normal(0, 8, field.shape), 0, 255), field


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--train", type=int, default=16)
    parser.add_argument("--val", type=int, default=2)
    parser.add_argument("--test", type=int, default=16)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    index = 0
    for split, count in (("train", args.train), ("val", args.val), ("test", args.test)):
        images = os.path.join(args.out, "images", split)
        masks = os.path.join(args.out, "masks", "all", split)
        os.makedirs(images, exist_ok=True)
        os.makedirs(masks, exist_ok=True)
        for _ in range(count):
            image, field = picture(rng, args.size)
            labels = np.minimum((field * args.classes).astype(np.uint8), args.classes - 1)
            name = f"case_{index:04d}.png"
            Image.fromarray(image.round().astype(np.uint8), "L").save(os.path.join(images, name))
            Image.fromarray(labels, "L").save(os.path.join(masks, name))
            index += 1


if __name__ == "__main__":
    main()
