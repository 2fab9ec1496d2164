#!/usr/bin/env python3
"""nnU-Net v2's own integrity check of a raw data set, as `nnUNetv2_plan_and_preprocess
--verify_dataset_integrity` runs it; the test of `segmadiff synthesize --nnunet` calls it.

    .deps/nnunet/bin/python scripts/check_nnunet.py nnUNet_raw/Dataset501_Name

Exits 0 when nnU-Net accepts the folder, non-zero with nnU-Net's own message when it does not.
scripts/setup.sh installs nnunetv2 into .deps/nnunet.

The check itself is numpy and image readers; torch is only imported on the way (for names of
inference non-linearities and annotations it never calls). The set-up gives it the torch of
.deps/python, whose Python extension needs the CUDA libraries the set-up leaves out (several GB);
where that torch cannot load, an inert stand-in for the names nnU-Net's modules touch when
imported lets nnU-Net's unchanged check run, and this script says so.
"""
import os
import signal
import sys
import tempfile
import types


def _torch_or_stand_in():
    """None when the real torch imports; else the reason, after putting a stand-in in its place."""
    try:
        import torch  # noqa: F401
        return None
    except ImportError as error:
        reason = str(error)
    for name in [n for n in sys.modules if n == "torch" or n.startswith("torch.")]:
        del sys.modules[name]

    class Inert(type):
        """Class-level attributes of the stand-in (torch.float16, torch.Tensor.dtype) are stand-ins too."""

        def __getattr__(cls, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return StandIn

    class StandIn(metaclass=Inert):
        """Any torch name nnU-Net's modules touch when imported: a type for annotations, a
        decorator that leaves the function as it is (@torch.inference_mode()), an inert value."""

        def __init__(self, *args, **kwargs):
            pass

        def __call__(self, *args, **kwargs):
            if len(args) == 1 and callable(args[0]) and not kwargs:
                return args[0]
            return StandIn()

        def __getattr__(self, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return StandIn()

    def attribute(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return StandIn

    modules = {name: types.ModuleType(name) for name in ("torch", "torch.nn", "torch.nn.functional")}
    for module in modules.values():
        module.__getattr__ = attribute
    modules["torch"].nn = modules["torch.nn"]
    modules["torch.nn"].functional = modules["torch.nn.functional"]
    sys.modules.update(modules)
    return reason


# A process started from a multithreaded one (a test runner) can inherit a mask that blocks most
# signals, which leaves the check's worker pool waiting forever for workers it cannot reap.
signal.pthread_sigmask(signal.SIG_SETMASK, [])

# At import, not in main: the check's worker processes are spawned and import this file again.
TORCH_MISSING = _torch_or_stand_in()


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if TORCH_MISSING:
        print(f"check_nnunet: torch cannot load ({TORCH_MISSING}); running nnU-Net's check with a stand-in for the names it imports", file=sys.stderr)
    # nnunetv2.paths reads these when imported and warns about each one unset; the check needs none.
    scratch = tempfile.mkdtemp(prefix="nnunet-check-")
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        os.environ.setdefault(name, os.path.join(scratch, name))
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    verify_dataset_integrity(sys.argv[1], num_processes=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
