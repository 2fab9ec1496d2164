"""The Python reference's data pipeline (docs/python-reference.md §2.2, 2.3, 2.7) on a folder made by `segmadiff-bench data`:
PIL decode, convert("L"), Resize((S, S)) bilinear, ToTensor, Normalize(0.5, 0.5) for images; convert("L"),
Resize NEAREST, ToTensor for masks; a DataLoader with num_workers=0, batch B, shuffled, default collate.

torchvision has no release for torch 2.15, so its transforms are written out here with the same calls
it makes on PIL images (F.resize on a PIL image is `img.resize((S, S), BILINEAR)`; ToTensor is
from_numpy -> permute -> float -> /255). Prints one JSON line.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset


def to_tensor(image):
    array = np.array(image, dtype=np.uint8, copy=True)
    tensor = torch.from_numpy(array).view(image.size[1], image.size[0], len(image.getbands()))
    return tensor.permute(2, 0, 1).contiguous().float().div(255)


class SegDataset(Dataset):
    def __init__(self, folder, size):
        self.images = os.path.join(folder, "images", "train")
        self.masks = os.path.join(folder, "masks", "all", "train")
        self.names = os.listdir(self.images)
        self.size = size

    def __len__(self):
        return len(self.names)

    def __getitem__(self, index):
        name = self.names[index]
        image = Image.open(os.path.join(self.images, name)).convert("L").resize((self.size, self.size), Image.BILINEAR)
        image = (to_tensor(image) - 0.5) / 0.5
        mask = Image.open(os.path.join(self.masks, name)).convert("L").resize((self.size, self.size), Image.NEAREST)
        return {"images": image, "seg_all": to_tensor(mask), "image_filenames": name}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--folder", required=True)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    loader = DataLoader(SegDataset(args.folder, args.size), batch_size=args.batch, shuffle=True, num_workers=0)
    best, samples = float("inf"), 0
    for _ in range(args.epochs):
        start, samples = time.perf_counter(), 0
        for batch in loader:
            samples += batch["images"].shape[0]
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"bench": "data", "impl": "reference", "samples": samples, "size": args.size,
                      "batch": args.batch, "threads": args.threads, "samples_per_s": samples / best,
                      "ms_per_sample": 1000 * best / samples}, sort_keys=True))


if __name__ == "__main__":
    main()
