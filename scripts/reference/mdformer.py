"""The MDFormer of the Python original, as a PyTorch module, for the project's reference scripts.

docs/python-reference.md §4 describes the block; this module is what the fixture and benchmark scripts run
beside diffusers 0.21.4. Two variants, with the state-dict keys segmadiff reads and writes:

* ``reference``: the published fork's block, bit for bit: DynamicTanh with the constants 0.5, 1, 0 and no
  keys, A_log of shape [N] shared by every channel, the dt bias of the fork's sign error (§9 #1: about
  Δ0 − 18.42, so the scan starts dead), and the high-pass kernel on the off-centre grid −8..7 (§4.4).
* ``segmadiff``: the block as the paper describes it (docs/architecture.md §6): learnable DynamicTanh
  (``dyt_alpha`` [1], ``dyt_weight`` [E], ``dyt_bias`` [E]), A_log [E, N], the true inverse softplus for the
  dt bias, and the centred grid −7..7.

The scan is the plain loop of §4.3 (one position at a time along each line, all lines at once), which is
slow but easy to check against the formulas; segmadiff's fused and batched scans are tested against it.

API: ``MDFormer(channels, variant=...)``, ``MidWithMDFormer(mid_block, mdformer)`` and ``build_unet(...)``.
"""
import math

import diffusers
import torch
import torch.nn.functional as F
from torch import nn

VARIANTS = ("reference", "segmadiff")


def highpass_kernel(size=15, sigma=3.0, centred=False):
    """[size, size] float32: a delta at the centre minus a normalised Gaussian, computed in float64.

    The fork samples the Gaussian on linspace(-size//2, size//2, size); Python floors -15//2 to -8, so its
    grid is -8..7 with spacing 15/14. ``centred`` samples -7..7 instead."""
    low = -(size // 2) if centred else -size // 2
    x = torch.linspace(low, size // 2, size, dtype=torch.float64)
    gaussian = torch.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * sigma * sigma))
    kernel = -gaussian / gaussian.sum()
    kernel[size // 2, size // 2] += 1.0
    return kernel.to(torch.float32)


def selective_scan(u, dt, b, c, a, d, dim):
    """One pass of §4.3 along ``dim`` (3: each row left to right; 2: each column top to bottom).

    u, dt: [B, E, H, W]; b, c: [B, N, H, W]; a: [N] or [E, N]; d: [E]. The state of each line starts at 0 and
    the output at a position is read after the state has taken that position's input."""
    a = a.reshape(1, -1, 1, a.shape[-1]) if a.dim() == 2 else a.reshape(1, 1, 1, -1)  # [1, E|1, 1, N]
    length = u.shape[dim]
    state = None
    outputs = []
    for k in range(length):
        u_k, dt_k = u.select(dim, k), dt.select(dim, k)          # [B, E, L']
        b_k, c_k = b.select(dim, k), c.select(dim, k)            # [B, N, L']
        decay = torch.exp(dt_k[..., None] * a)                   # [B, E, L', N]
        drive = (dt_k * u_k)[..., None] * b_k.transpose(1, 2)[:, None]
        state = drive if state is None else decay * state + drive
        y = (state * c_k.transpose(1, 2)[:, None]).sum(-1)       # [B, E, L']
        outputs.append(y + d[None, :, None] * u_k)
    return torch.stack(outputs, dim=dim)


class MDFormer(nn.Module):
    """The Mamba-Dynamic Transformer after the U-Net mid block (§4.2-4.3). No residual, norm or timestep."""

    def __init__(self, channels, variant="reference", d_state=16, expand=2, kernel_size=3,
                 highpass_size=15, highpass_sigma=3.0, dt_min=1e-3, dt_max=0.1):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
        self.variant, self.N, self.E = variant, d_state, expand * channels
        e, n = self.E, d_state
        # Built in the fork's order (in_proj, dw_conv, x_proj, dt_proj, the Δ0 draw, out_proj), so a seeded
        # construction draws the same numbers as the fork and as segmadiff.
        self.in_proj = nn.Conv2d(channels, 2 * e, 1)
        self.dw_conv = nn.Conv2d(e, e, kernel_size, padding=kernel_size // 2, groups=e)
        self.x_proj = nn.Conv2d(e, 1 + 2 * n, 1, bias=False)
        self.dt_proj = nn.Conv2d(1, e, 1)
        with torch.no_grad():
            dt0 = torch.exp(torch.rand(e) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
            if variant == "reference":  # the fork's clamp always fires: bias = Δ0 + ln(1e-8)
                inverse = torch.log(torch.clamp(torch.exp(-dt0) - 1, min=1e-8))
            else:
                inverse = torch.log(-torch.expm1(-dt0))
            self.dt_proj.bias.copy_(dt0 + inverse)
        self.out_proj = nn.Conv2d(e, channels, 1)
        a_log = -torch.linspace(0, 1, n) * math.log(10.0)   # A = -10^(-k/(N-1)): -1 .. -0.1
        self.A_log = nn.Parameter(a_log if variant == "reference" else a_log.repeat(e, 1))
        self.D = nn.Parameter(torch.ones(e))
        if variant == "segmadiff":
            self.dyt_alpha = nn.Parameter(torch.full((1,), 0.5))
            self.dyt_weight = nn.Parameter(torch.ones(e))
            self.dyt_bias = nn.Parameter(torch.zeros(e))
        kernel = highpass_kernel(highpass_size, highpass_sigma, centred=variant == "segmadiff")
        self.register_buffer("highpass", kernel.expand(e, 1, highpass_size, highpass_size).clone(), persistent=False)

    def dynamic_tanh(self, v):
        if self.variant == "reference":
            return torch.tanh(0.5 * v)
        return torch.tanh(self.dyt_alpha * v) * self.dyt_weight[:, None, None] + self.dyt_bias[:, None, None]

    def forward(self, x):
        u, gate = self.in_proj(x).chunk(2, dim=1)
        v = self.dynamic_tanh(self.dw_conv(u))
        v = F.conv2d(v, self.highpass.to(v.dtype), padding=self.highpass.shape[-1] // 2, groups=self.E)
        p = self.x_proj(v)
        delta, b, c = p[:, :1], p[:, 1:1 + self.N], p[:, 1 + self.N:]
        dt = F.softplus(self.dt_proj(delta))
        a = -torch.exp(self.A_log)
        rows = selective_scan(v, dt, b, c, a, self.D, dim=3)
        y = selective_scan(rows, dt, b, c, a, self.D, dim=2)
        return self.out_proj(y * torch.sigmoid(gate))


class MidWithMDFormer(nn.Module):
    """The fork's wrapper: MDFormer(mid_block(h, temb)). Keys mid_block.orig_mid_block.*, mid_block.MDFormer.*."""

    def __init__(self, mid_block, mdformer):
        super().__init__()
        self.orig_mid_block = mid_block
        self.MDFormer = mdformer

    def forward(self, hidden_states, temb=None, **kwargs):
        return self.MDFormer(self.orig_mid_block(hidden_states, temb))


def build_unet(mdformer=None, **config):
    """A diffusers UNet2DModel from ``config`` (its constructor's keywords); with ``mdformer`` set to a variant
    name, its mid block is wrapped with an MDFormer over the last block's channels."""
    unet = diffusers.UNet2DModel(**config)
    if mdformer is not None:
        unet.mid_block = MidWithMDFormer(unet.mid_block, MDFormer(unet.config.block_out_channels[-1], variant=mdformer))
    return unet
