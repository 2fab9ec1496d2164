"""What each reference benchmark adds to its JSON line: the versions and what torch sees of the CPU,
so a result says which kernels it ran on."""
import os

import torch


def cpu_facts(threads=None):
    facts = {"torch": torch.__version__, "threads": threads or torch.get_num_threads(),
             "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cores": os.cpu_count()}
    try:
        facts["mkldnn_bf16"] = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        pass
    return facts
