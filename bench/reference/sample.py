"""The Python reference's `--mode eval_many` (docs/python-reference.md §7.2, §8.3) on a checkpoint
folder in the seed's layout (unet/config.json + diffusion_pytorch_model.safetensors with the MDFormer
keys, scheduler/scheduler_config.json), as segmadiff writes it: batches of test masks, noise,
diffusers' DDIMScheduler.step over --num_inference_steps steps, one PNG per mask (condon_<name>).
Prints one JSON line."""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "scripts", "reference")]
from facts import cpu_facts  # noqa: E402
from mdformer import load_unet  # noqa: E402
from seg_data import SegDataset, merged_mask  # noqa: E402


def main():
    from diffusers import DDIMScheduler
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint_dir", required=True)
    parser.add_argument("--seg_dir", required=True)
    parser.add_argument("--img_size", type=int, default=256)
    parser.add_argument("--eval_sample_size", type=int, default=1000)
    parser.add_argument("--eval_batch_size", type=int, default=8)
    parser.add_argument("--num_inference_steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--output_dir")
    args = parser.parse_args()
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    model = load_unet(os.path.join(args.checkpoint_dir, "unet")).eval()
    scheduler = DDIMScheduler.from_config(DDIMScheduler.load_config(os.path.join(args.checkpoint_dir, "scheduler")))
    scheduler.set_timesteps(args.num_inference_steps)
    out = args.output_dir or os.path.join(args.checkpoint_dir, f"samples_many_{args.eval_sample_size}")
    os.makedirs(out, exist_ok=True)
    masks = DataLoader(SegDataset(None, args.seg_dir, "test", args.img_size), batch_size=args.eval_batch_size, shuffle=True)
    load_s = time.perf_counter() - started
    sampled = 0
    with torch.no_grad():
        for batch in masks:
            if sampled >= args.eval_sample_size:
                break
            seg = merged_mask(batch)
            x = torch.randn(seg.shape[0], model.config.out_channels, args.img_size, args.img_size)
            for t in scheduler.timesteps:
                noise = model(torch.cat([x, seg], 1), t).sample
                x = scheduler.step(noise, t, x).prev_sample
            images = ((x / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].numpy()
            for image, name in zip(images, batch["image_filenames"]):
                Image.fromarray(np.ascontiguousarray(image), "L").save(os.path.join(out, "condon_" + name))
            sampled += len(images)
    total = time.perf_counter() - started
    print(json.dumps({"impl": "reference", "images": sampled, "steps": args.num_inference_steps, "load_s": load_s,
                      "total_s": total, "images_per_s": sampled / total, **cpu_facts(args.threads)}))


if __name__ == "__main__":
    main()
