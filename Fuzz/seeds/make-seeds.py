#!/usr/bin/env python3
"""Rebuilds Fuzz/corpus/<harness>/ seeds: copies of the test fixtures (PNG, NPY, safetensors,
config.json) and small files made here in the formats segmadiff reads (NIfTI plain and gzip, NPY
variants, JPEG, the JSON files a tiny run writes). Run from the repository root:
    python3 Fuzz/seeds/make-seeds.py
Needs numpy and a C compiler with libjpeg (for the JPEG seeds)."""
import gzip, json, os, shutil, struct, subprocess, tempfile, zlib
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")
SEEDS = os.path.join(ROOT, "Fuzz", "seeds")
FIXTURES = os.path.join(ROOT, "Tests", "DatasetsTests", "Fixtures", "preprocess")
PARITY = os.path.join(ROOT, "Tests", "Fixtures", "parity")


def folder(name):
    path = os.path.join(CORPUS, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_seeds():
    out = folder("png")
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".png"):
            shutil.copy(os.path.join(FIXTURES, name), out)
    # A header within the size limits whose data cannot fill it (a fuzz finding, now refused early).
    header = struct.pack(">IIBBBBB", 16384, 16384, 16, 6, 0, 0, 0)
    write(os.path.join(out, "claims-16384x16384-rgba16.png"), b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header)
          + png_chunk(b"IDAT", zlib.compress(b"\0" * 100)) + png_chunk(b"IEND", b""))


def npy_seeds():
    out = folder("npy")
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".npy") and os.path.getsize(os.path.join(FIXTURES, name)) <= 5000:
            shutil.copy(os.path.join(FIXTURES, name), os.path.join(out, name))
    rng = np.random.default_rng(0)
    arrays = {
        "float32-2d.npy": rng.random((8, 8), dtype=np.float32),
        "float64-3d.npy": rng.random((3, 4, 5)),
        "int16-fortran.npy": np.asfortranarray(rng.integers(-500, 500, (6, 7), dtype=np.int16)),
        "uint16-mask.npy": rng.integers(0, 4, (9, 9)).astype(np.uint16),
        "bool-mask.npy": rng.random((5, 5)) > 0.5,
        "int8-1d.npy": np.arange(-4, 4, dtype=np.int8),
        "big-endian.npy": np.arange(12, dtype=">f4").reshape(3, 4),
    }
    for name, array in arrays.items():
        np.save(os.path.join(out, name), array)
    # Version 2 and 3 headers (4-byte header length).
    with open(os.path.join(out, "version2.npy"), "wb") as f:
        np.lib.format.write_array(f, rng.random((4, 4), dtype=np.float32), version=(2, 0))
    with open(os.path.join(out, "version3.npy"), "wb") as f:
        np.lib.format.write_array(f, np.arange(6, dtype=np.uint8).reshape(2, 3), version=(3, 0))


def nifti(data, datatype, bitpix, big_endian=False, slope=0.0, inter=0.0):
    """A single-file NIfTI-1 (.nii) volume: header, 4 bytes of extension flag, voxels (x fastest)."""
    e = ">" if big_endian else "<"
    header = bytearray(348)
    struct.pack_into(e + "i", header, 0, 348)
    dims = [3, *data.shape[::-1], 1, 1, 1, 1]  # data is [z, y, x]
    struct.pack_into(e + "8h", header, 40, *dims)
    struct.pack_into(e + "hh", header, 70, datatype, bitpix)
    struct.pack_into(e + "8f", header, 76, 1, 0.8, 0.8, 2.5, 0, 0, 0, 0)
    struct.pack_into(e + "fff", header, 108, 352.0, slope, inter)
    header[344:348] = b"n+1\0"
    return bytes(header) + b"\0\0\0\0" + data.astype(data.dtype.newbyteorder(e)).tobytes()


def nifti_seeds():
    out = folder("nifti")
    rng = np.random.default_rng(1)
    write(os.path.join(out, "uint8.nii"), nifti(rng.integers(0, 4, (2, 3, 4), dtype=np.uint8), 2, 8))
    write(os.path.join(out, "int16-big-endian.nii"), nifti(rng.integers(-1000, 1000, (3, 4, 4), dtype=np.int16), 4, 16, big_endian=True))
    write(os.path.join(out, "float32-scaled.nii"), nifti(rng.random((2, 2, 3), dtype=np.float32), 16, 32, slope=2.0, inter=-1.0))
    write(os.path.join(out, "uint32.nii"), nifti(np.arange(8, dtype=np.uint32).reshape(2, 2, 2), 768, 32))
    write(os.path.join(out, "float64.nii"), nifti(rng.random((1, 3, 3)), 64, 64))
    write(os.path.join(out, "uint16.nii.gz"), gzip.compress(nifti(rng.integers(0, 9, (2, 4, 4), dtype=np.uint16), 512, 16), mtime=0))
    write(os.path.join(out, "int16.nii.gz"), gzip.compress(nifti(rng.integers(-9, 9, (2, 3, 3), dtype=np.int16), 4, 16), mtime=0))


def jpeg_seeds():
    out = folder("jpeg")
    with tempfile.TemporaryDirectory() as tmp:
        program = os.path.join(tmp, "jpeg_seeds")
        subprocess.run(["cc", "-O1", "-o", program, os.path.join(SEEDS, "jpeg_seeds.c"), "-ljpeg"], check=True)
        subprocess.run([program, out], check=True)


def safetensors(tensors, metadata=None):
    header, offset, data = {}, 0, b""
    if metadata:
        header["__metadata__"] = metadata
    for key, (dtype, array) in tensors.items():
        raw = array.tobytes()
        header[key] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds():
    out = folder("safetensors")
    for path in ["unet-tiny/io.safetensors", "unet-tiny/ddim.safetensors"]:
        shutil.copy(os.path.join(PARITY, path), os.path.join(out, path.replace("/", "-")))
    rng = np.random.default_rng(2)
    write(os.path.join(out, "dtypes.safetensors"), safetensors({
        "f32": ("F32", rng.random((2, 3), dtype=np.float32)), "f16": ("F16", np.ones(4, np.float16)),
        "bf16": ("BF16", np.zeros(3, np.uint16)), "f64": ("F64", np.arange(2.0)), "i64": ("I64", np.arange(3)),
        "i32": ("I32", np.arange(2, dtype=np.int32)), "i16": ("I16", np.arange(2, dtype=np.int16)),
        "i8": ("I8", np.arange(2, dtype=np.int8)), "u8": ("U8", np.arange(5, dtype=np.uint8)),
        "u16": ("U16", np.arange(2, dtype=np.uint16)), "bool": ("BOOL", np.array([True, False])),
        "scalar": ("F32", np.array(1.5, np.float32)), "empty": ("F32", np.zeros((0, 4), np.float32)),
    }, metadata={"format": "pt"}))
    # Key names of a real checkpoint, with tiny tensors, so the mutator sees the layout's keys.
    write(os.path.join(out, "mdformer-keys.safetensors"), safetensors({
        "mid_block.MDFormer.A_log": ("F32", rng.random((4, 2), dtype=np.float32)),
        "mid_block.MDFormer.D": ("F32", rng.random(4, dtype=np.float32)),
        "mid_block.MDFormer.dw_conv.weight": ("F32", rng.random((4, 1, 3, 3), dtype=np.float32)),
        "conv_in.bias": ("F32", rng.random(2, dtype=np.float32)),
    }, metadata={"format": "pt"}))


def json_seeds():
    configs = folder("config")
    for model in ["unet-tiny", "segmadiff-tiny", "unet-one-head", "segmadiff-variant-rgb"]:
        shutil.copy(os.path.join(PARITY, model, "unet", "config.json"), os.path.join(configs, model + ".json"))
    for harness in ["modelcard", "scheduler", "manifest"]:
        source = os.path.join(SEEDS, harness)
        out = folder(harness)
        for name in sorted(os.listdir(source)):
            shutil.copy(os.path.join(source, name), out)


if __name__ == "__main__":
    png_seeds()
    npy_seeds()
    nifti_seeds()
    jpeg_seeds()
    safetensors_seeds()
    json_seeds()
