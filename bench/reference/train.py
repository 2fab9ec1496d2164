"""The Python reference's training command (`main.py --mode train`, docs/python-reference.md §2, §6)
on the reference stack, with the flags of the segmadiff command it is compared with:
    data      seg_data.SegDataset through a DataLoader (shuffled, --workers worker processes)
    step      add_noise with the DDIM/DDPM schedule, the mask concatenated as the last channel, the
              U-Net (scripts/reference/mdformer.py), MSE, backward, clip 1.0, AdamW(lr 1e-4),
              cosine LR with 500 warm-up steps
    at the end of the last epoch: a sample grid of --num_inference_steps DDIM steps on a val batch,
    then the checkpoint: unet/ (save_pretrained), scheduler/, and the optimizer state (torch.save).
--mixed_precision bf16: the forward under torch.autocast("cpu", bfloat16) and AdamW(fused=True).
Prints one JSON line with the time of each phase."""
import argparse
import contextlib
import json
import math
import os
import sys
import time

import numpy as np
import safetensors.torch  # noqa: F401  diffusers 0.21.4's save_pretrained uses it without importing it
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "scripts", "reference")]
from facts import cpu_facts  # noqa: E402
from mdformer import build_unet  # noqa: E402
from seg_data import SegDataset, merged_mask  # noqa: E402


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--img_dir", required=True)
    parser.add_argument("--seg_dir", required=True)
    parser.add_argument("--img_size", type=int, default=256)
    parser.add_argument("--train_batch_size", type=int, default=32)
    parser.add_argument("--eval_batch_size", type=int, default=8)
    parser.add_argument("--num_epochs", type=int, default=200)
    parser.add_argument("--num_inference_steps", type=int, default=50)
    parser.add_argument("--model_type", default="DDIM", choices=["DDIM", "DDPM"])
    parser.add_argument("--block_out_channels", default="128,128,256,256,512,512")
    parser.add_argument("--layers_per_block", type=int, default=2)
    parser.add_argument("--mdformer", default="reference", choices=["reference", "segmadiff", "none"])
    parser.add_argument("--mixed_precision", default="no", choices=["no", "bf16"])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--output_dir", required=True)
    return parser.parse_args()


def sample_grid(model, seg, steps, autocast, path):
    """DDIM from noise under the val batch's masks, written as one row of images."""
    from diffusers import DDIMScheduler
    scheduler = DDIMScheduler(num_train_timesteps=1000)
    scheduler.set_timesteps(steps)
    x = torch.randn(seg.shape[0], 1, seg.shape[2], seg.shape[3])
    with torch.no_grad():
        for t in scheduler.timesteps:
            with autocast():
                noise = model(torch.cat([x, seg], 1), t).sample
            x = scheduler.step(noise.float(), t, x).prev_sample
    images = ((x / 2 + 0.5).clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].numpy()
    Image.fromarray(np.concatenate(list(images), axis=1), "L").save(path)


def main():
    from diffusers import DDIMScheduler, DDPMScheduler
    from diffusers.optimization import get_cosine_schedule_with_warmup
    args = parse()
    started = time.perf_counter()
    torch.set_num_threads(args.threads)
    bf16 = args.mixed_precision == "bf16"
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    train = DataLoader(SegDataset(args.img_dir, args.seg_dir, "train", args.img_size),
                       batch_size=args.train_batch_size, shuffle=True, num_workers=args.workers)
    val = DataLoader(SegDataset(args.img_dir, args.seg_dir, "val", args.img_size),
                     batch_size=args.eval_batch_size, shuffle=True, num_workers=args.workers)
    channels = tuple(int(c) for c in args.block_out_channels.split(","))
    model = build_unet(args.img_size, 2, 1, channels, args.layers_per_block, args.mdformer)
    scheduler = (DDIMScheduler if args.model_type == "DDIM" else DDPMScheduler)(num_train_timesteps=1000)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=bf16 or None)
    lr_schedule = get_cosine_schedule_with_warmup(optimizer, 500, len(train) * args.num_epochs)
    setup_s = time.perf_counter() - started

    train_s, steps = 0.0, 0
    for epoch in range(args.num_epochs):
        model.train()
        epoch_start = time.perf_counter()
        for batch in train:
            clean = batch["images"]
            noise = torch.randn_like(clean)
            t = torch.randint(0, 1000, (clean.shape[0],))
            with autocast():
                predicted = model(torch.cat([scheduler.add_noise(clean, noise, t), merged_mask(batch)], 1), t).sample
            loss = F.mse_loss(predicted.float(), noise)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            lr_schedule.step()
            optimizer.zero_grad()
            steps += 1
        train_s += time.perf_counter() - epoch_start
        print(f"epoch {epoch + 1}/{args.num_epochs}: loss {loss.item():.4f}", file=sys.stderr)

    model.eval()
    sample_start = time.perf_counter()
    os.makedirs(os.path.join(args.output_dir, "samples"), exist_ok=True)
    sample_grid(model, merged_mask(next(iter(val))), args.num_inference_steps, autocast,
                os.path.join(args.output_dir, "samples", f"{args.num_epochs - 1:04d}.png"))
    save_start = time.perf_counter()
    model.save_pretrained(os.path.join(args.output_dir, "unet"))
    scheduler.save_pretrained(os.path.join(args.output_dir, "scheduler"))
    torch.save({"optimizer": optimizer.state_dict(), "lr_schedule": lr_schedule.state_dict()},
               os.path.join(args.output_dir, "optimizer.pt"))
    done = time.perf_counter()
    print(json.dumps({"impl": "reference", "steps": steps, "epochs": args.num_epochs,
                      "steps_per_epoch": math.ceil(len(train.dataset) / args.train_batch_size),
                      "mixed_precision": args.mixed_precision, "setup_s": setup_s, "train_s": train_s,
                      "sample_s": save_start - sample_start, "save_s": done - save_start,
                      "total_s": done - started, **cpu_facts(args.threads)}))


if __name__ == "__main__":
    main()
