"""What the machine is, from /proc/cpuinfo: the CPU model, its core count and the instruction-set
flags that decide which kernels libtorch runs (AVX2, AVX-512, and bf16 in hardware or emulated)."""
import os
import re

# The flags that change libtorch's speed: AVX2/AVX-512 kernels, and bf16 arithmetic in hardware
# (avx512_bf16, AMX) rather than emulated in fp32, which makes --mixed_precision bf16 slow.
RELEVANT_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def cpu_info(path="/proc/cpuinfo"):
    model, flags = "unknown CPU", set()
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown CPU":
                    model = " ".join(value.split())
                elif key == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    return {"model": model, "cores": os.cpu_count(), "flags": {flag: flag in flags for flag in RELEVANT_FLAGS},
            "bf16_hardware": "avx512_bf16" in flags or "amx_bf16" in flags, "slug": slug(model)}


def slug(model):
    """A file-name-safe short form of the CPU model, e.g. "amd-epyc" or "intel-xeon-platinum-8480"."""
    text = re.sub(r"\((r|tm)\)|cpu|processor|@.*$|\d+-core", " ", model.lower())
    return "-".join(re.findall(r"[a-z0-9]+", text))[:48] or "cpu"


def describe(info):
    flags = " ".join(f"{name}{'+' if present else '-'}" for name, present in info["flags"].items())
    bf16 = "bf16 in hardware" if info["bf16_hardware"] else "bf16 emulated (no avx512_bf16/amx_bf16)"
    return f"{info['model']}, {info['cores']} cores; {flags}; {bf16}"


if __name__ == "__main__":
    print(describe(cpu_info()))
