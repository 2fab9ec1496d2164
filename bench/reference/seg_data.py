"""The Python reference's data set (docs/python-reference.md §2): for one split, every image of
IMG_DIR/<split>/ with the mask of the same name from each SEG_DIR/<type>/<split>/, opened with PIL.

Images: convert("L"), resize to S x S with PIL BILINEAR, /255, then (x - 0.5) / 0.5.
Masks: convert("L"), resize with PIL NEAREST, /255, so class k is stored as k/255 (the reference's
encoding, segmadiff's --mask_encoding seed).
torchvision has no release for torch 2.15, so its transforms are written out with the calls it
makes on PIL images (Resize on a PIL image is `img.resize((S, S), BILINEAR)`; ToTensor is
from_numpy -> permute -> float -> /255).
"""
import os

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset


def to_tensor(image):
    array = np.array(image, dtype=np.uint8, copy=True)
    tensor = torch.from_numpy(array).view(image.size[1], image.size[0], len(image.getbands()))
    return tensor.permute(2, 0, 1).contiguous().float().div(255)


class SegDataset(Dataset):
    """img_dir may be None (sampling needs only masks); names then come from the first seg type."""

    def __init__(self, img_dir, seg_dir, split, size):
        self.img_dir, self.seg_dir, self.split, self.size = img_dir, seg_dir, split, size
        self.seg_types = sorted(os.listdir(seg_dir))
        listed = os.path.join(img_dir, split) if img_dir else os.path.join(seg_dir, self.seg_types[0], split)
        self.names = sorted(os.listdir(listed))

    def __len__(self):
        return len(self.names)

    def __getitem__(self, index):
        name = self.names[index]
        record = {"image_filenames": name}
        if self.img_dir:
            image = Image.open(os.path.join(self.img_dir, self.split, name)).convert("L")
            image = image.resize((self.size, self.size), Image.BILINEAR)
            record["images"] = (to_tensor(image) - 0.5) / 0.5
        for seg_type in self.seg_types:
            mask = Image.open(os.path.join(self.seg_dir, seg_type, self.split, name)).convert("L")
            record["seg_" + seg_type] = to_tensor(mask.resize((self.size, self.size), Image.NEAREST))
        return record


def merged_mask(batch):
    """The single-channel conditioning: seg types merged in order, an earlier type winning where it
    is non-zero (the reference's `single` mode)."""
    keys = [key for key in batch if key.startswith("seg_")]
    merged = torch.zeros_like(batch[keys[0]])
    for key in keys:
        empty = merged == 0
        merged[empty] = batch[key][empty]
    return merged
