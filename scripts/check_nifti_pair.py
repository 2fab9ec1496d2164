#!/usr/bin/env python3
"""Does NIfTI file B lie exactly where file A does? Compares, as nibabel reads them, the shape, the
voxel sizes, the qform and sform (codes and matrices), the affine a viewer uses and the axis
orientation. Prints one line per difference and exits 1, or prints "same geometry" and exits 0.

    .deps/pychecks/bin/python scripts/check_nifti_pair.py labels.nii.gz generated.nii.gz
"""
import sys

import nibabel as nib
import numpy as np


def geometry(path):
    image = nib.load(path)
    header = image.header
    qform, qcode = image.get_qform(coded=True)
    sform, scode = image.get_sform(coded=True)
    return {
        "shape": tuple(image.shape),
        "voxel sizes": tuple(float(z) for z in header.get_zooms()[:3]),
        "qform_code": int(qcode or 0),
        "sform_code": int(scode or 0),
        "qform": qform,
        "sform": sform,
        "affine": image.affine,
        "orientation": "".join(nib.aff2axcodes(image.affine)),
    }


def differences(a, b):
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            same = x is not None and y is not None and np.array_equal(x, y)
            if x is None and y is None:
                same = True
        else:
            same = x == y
        if not same:
            yield f"{key}: {x!r} vs {y!r}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    found = list(differences(geometry(sys.argv[1]), geometry(sys.argv[2])))
    for line in found:
        print(line)
    if found:
        sys.exit(1)
    print("same geometry")


if __name__ == "__main__":
    main()
