"""The MDFormer in PyTorch, as segmadiff builds it (Sources/Models/MDFormer.swift), for the benchmarks
and the parity fixtures: the Python side of every comparison uses this module, so it has to be the
same block with the same state-dict keys as the Swift model.

    [U; Z] = in_proj(X);  V = HP(DyT(dw_conv(U)));  [d; B; C] = x_proj(V);  dt = softplus(dt_proj(d))
    Y = column scan(row scan(V));  out = out_proj(Y * sigmoid(Z))

Two variants (docs/architecture.md):
  reference  the published fork's block: DynamicTanh fixed at tanh(0.5 v) (no keys), A_log of shape [N]
             shared by all channels, dt_proj.bias from the fork's sign-flipped inverse softplus (about
             -18.4, so the scan starts nearly dead), and the 15x15 high-pass kernel sampled on the
             off-centre grid -8..7.
  segmadiff  learnable DynamicTanh (dyt_alpha [1], dyt_weight [E], dyt_bias [E]), A_log [E, N], the
             proper inverse softplus for dt_proj.bias, and the kernel on the centred grid -7..7.

API: MDFormer(channels, variant=...), MidWithMDFormer(mid_block, mdformer), build_unet(...),
load_unet(folder).
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

VARIANTS = ("reference", "segmadiff")


def highpass_kernel(size=15, sigma=3.0, centred=False):
    """[size, size] float32: a unit impulse at the centre minus a normalised Gaussian, computed in
    float64. The fork samples the Gaussian on linspace(-size//2, size//2, size), which Python floors
    to -8..7 for size 15; `centred` samples it on -7..7 instead."""
    high = size // 2
    low = -high if centred else -((size + 1) // 2)
    x = torch.linspace(low, high, size, dtype=torch.float64) ** 2
    gaussian = torch.exp(-(x[:, None] + x[None, :]) / (2 * sigma * sigma))
    kernel = -gaussian / gaussian.sum()
    kernel[size // 2, size // 2] += 1
    return kernel.float()


def scan_lines(u, dt, b, c, a, d):
    """One selective scan along the last axis of [B, E, H, W] inputs, every row at once.

    For each row, with state s = 0 before its first pixel:
        s = exp(A dt) * s + dt u B,    y = sum_n C s + D u
    u, dt: [B, E, H, W]; b, c: [B, N, H, W] (shared by all channels); a: [N] or [E, N]; d: [E].

    The published fork loops over every pixel in Python (H x W steps of about ten tiny ops each);
    here all rows advance together, one step per column (W steps), so that timing the Python
    reference measures PyTorch rather than an avoidable Python loop: the comparison is fair to
    Python. The arithmetic, and so the result, is the same as the per-pixel loop's.
    """
    channels, states = u.shape[1], b.shape[1]
    a = a.view(1, 1, 1, states) if a.dim() == 1 else a.view(1, 1, channels, states)
    # Position along the row first, channels and states last, each step's slice contiguous:
    # [W, B, H, E] for the per-channel inputs, [W, B, H, N] for the shared B and C.
    line_first = lambda z: z.permute(3, 0, 2, 1).contiguous()
    steps = line_first(dt).unsqueeze(-1)               # [W, B, H, E, 1]
    drive = line_first(dt * u).unsqueeze(-1)           # [W, B, H, E, 1]
    writes = line_first(b).unsqueeze(-2)               # [W, B, H, 1, N]
    reads = line_first(c).unsqueeze(-1)                # [W, B, H, N, 1]
    state = None
    outputs = []
    for j in range(steps.shape[0]):
        inflow = drive[j] * writes[j]                  # [B, H, E, N]
        state = inflow if state is None else torch.exp(steps[j] * a) * state + inflow
        outputs.append(torch.matmul(state, reads[j]).squeeze(-1))   # sum_n C s: [B, H, E]
    return torch.stack(outputs).permute(1, 3, 2, 0) + d.view(1, -1, 1, 1) * u


def two_pass_scan(u, dt, b, c, a, d):
    """The MDFormer's two passes: each row left to right, then each column of that result top to
    bottom, with the same dt, B and C."""
    rows = scan_lines(u, dt, b, c, a, d)
    t = lambda z: z.transpose(2, 3)
    return t(scan_lines(t(rows), t(dt), t(b), t(c), a, d))


class MDFormer(nn.Module):
    def __init__(self, channels, variant="reference", d_state=16, expand=2, kernel_size=3,
                 dt_min=1e-3, dt_max=0.1, highpass_size=15, highpass_sigma=3.0):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        self.variant = variant
        reference = variant == "reference"
        e, n = expand * channels, d_state
        self.expanded, self.d_state = e, n
        # Parameters are drawn in the fork's order: in_proj, dw_conv, x_proj, dt_proj, then the
        # step sizes for dt_proj.bias, then out_proj (so a seeded build matches the fork's).
        self.in_proj = nn.Conv2d(channels, 2 * e, 1)
        self.dw_conv = nn.Conv2d(e, e, kernel_size, padding=kernel_size // 2, groups=e)
        self.x_proj = nn.Conv2d(e, 1 + 2 * n, 1, bias=False)
        self.dt_proj = nn.Conv2d(1, e, 1)
        with torch.no_grad():
            dt0 = torch.exp(torch.rand(e) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
            if reference:
                # The fork writes log(max(exp(-dt0) - 1, 1e-8)): the clamp always fires.
                inverse = torch.log(torch.clamp(torch.exp(-dt0) - 1, min=1e-8))
            else:
                inverse = torch.log(-torch.expm1(-dt0))     # softplus(bias) = dt0
            self.dt_proj.bias.copy_(dt0 + inverse)
        self.out_proj = nn.Conv2d(e, channels, 1)
        a_log = -torch.linspace(0, 1, n) * math.log(10.0)    # A = -exp(A_log) spans -1 .. -0.1
        self.A_log = nn.Parameter(a_log if reference else a_log.repeat(e, 1))
        self.D = nn.Parameter(torch.ones(e))
        if not reference:
            self.dyt_alpha = nn.Parameter(torch.full((1,), 0.5))
            self.dyt_weight = nn.Parameter(torch.ones(e))
            self.dyt_bias = nn.Parameter(torch.zeros(e))
        # Not saved (the fork's checkpoints have no key for it); moves with .to() like the weights.
        self.register_buffer("highpass", highpass_kernel(highpass_size, highpass_sigma, centred=not reference)
                             .view(1, 1, highpass_size, highpass_size).repeat(e, 1, 1, 1), persistent=False)

    def dynamic_tanh(self, v):
        if self.variant == "reference":
            return torch.tanh(0.5 * v)
        return torch.tanh(self.dyt_alpha * v) * self.dyt_weight.view(1, -1, 1, 1) + self.dyt_bias.view(1, -1, 1, 1)

    def forward(self, x):
        n = self.d_state
        u, gate = self.in_proj(x).chunk(2, dim=1)
        v = self.dynamic_tanh(self.dw_conv(u))
        kernel = self.highpass.to(v.dtype)
        v = F.conv2d(v, kernel, padding=kernel.shape[-1] // 2, groups=self.expanded)
        p = self.x_proj(v)
        delta, b, c = p[:, :1], p[:, 1:1 + n], p[:, 1 + n:1 + 2 * n]
        dt = F.softplus(self.dt_proj(delta))
        y = two_pass_scan(v, dt, b, c, -torch.exp(self.A_log), self.D)
        return self.out_proj(y * torch.sigmoid(gate))


class MidWithMDFormer(nn.Module):
    """diffusers' mid block followed by the MDFormer, with no residual and no timestep input (the
    fork's design). State-dict keys: mid_block.orig_mid_block.*, mid_block.MDFormer.*."""

    def __init__(self, mid_block, mdformer):
        super().__init__()
        self.orig_mid_block = mid_block
        self.MDFormer = mdformer

    def forward(self, hidden_states, temb=None):
        return self.MDFormer(self.orig_mid_block(hidden_states, temb))


def block_types(levels):
    """segmadiff's layout: attention at the second-to-last down level and its mirror."""
    down, up = ["DownBlock2D"] * levels, ["UpBlock2D"] * levels
    if levels >= 2:
        down[levels - 2] = "AttnDownBlock2D"
        up[1] = "AttnUpBlock2D"
    return tuple(down), tuple(up)


def build_unet(sample_size, in_channels, out_channels, block_out_channels=(128, 128, 256, 256, 512, 512),
               layers_per_block=2, mdformer_variant="reference"):
    """A diffusers UNet2DModel in segmadiff's layout, with the MDFormer after its mid block unless
    mdformer_variant is None or "none"."""
    from diffusers import UNet2DModel
    block_out_channels = tuple(block_out_channels)
    down, up = block_types(len(block_out_channels))
    model = UNet2DModel(sample_size=sample_size, in_channels=in_channels, out_channels=out_channels,
                        layers_per_block=layers_per_block, block_out_channels=block_out_channels,
                        down_block_types=down, up_block_types=up)
    if mdformer_variant not in (None, "none"):
        model.mid_block = MidWithMDFormer(model.mid_block, MDFormer(block_out_channels[-1], variant=mdformer_variant))
    return model


def with_mdformer(unet, variant):
    """``unet`` (any diffusers UNet2DModel) with the MDFormer of ``variant`` after its mid block;
    None leaves it plain."""
    if variant not in (None, "none"):
        unet.mid_block = MidWithMDFormer(unet.mid_block, MDFormer(unet.config.block_out_channels[-1], variant=variant))
    return unet


UNET_KEYS = ("sample_size", "in_channels", "out_channels", "layers_per_block", "block_out_channels",
             "down_block_types", "up_block_types", "attention_head_dim", "norm_num_groups", "norm_eps")


def load_unet(folder):
    """A checkpoint's unet/ folder (config.json + diffusion_pytorch_model.safetensors, as segmadiff
    and the fork write it). The MDFormer and its variant are read off the keys, as segmadiff does."""
    from safetensors.torch import load_file
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    weights = load_file(os.path.join(folder, "diffusion_pytorch_model.safetensors"))
    variant = None
    if "mid_block.MDFormer.A_log" in weights:
        segmadiff = "mid_block.MDFormer.dyt_alpha" in weights or weights["mid_block.MDFormer.A_log"].dim() == 2
        variant = "segmadiff" if segmadiff else "reference"
    from diffusers import UNet2DModel
    # The config's own block types and settings (what the fork's loader reads), then the MDFormer.
    model = UNet2DModel(**{key: config[key] for key in UNET_KEYS if key in config})
    if variant is not None:
        channels = config["block_out_channels"][-1]
        model.mid_block = MidWithMDFormer(model.mid_block, MDFormer(channels, variant=variant))
    model.load_state_dict(weights, strict=True)
    return model
