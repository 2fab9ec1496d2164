#!/usr/bin/env bash
# Installs what segmadiff builds and links against, idempotently:
#  - libtorch from the PyPI torch wheel (CPU kernels; the CUDA runtime wheels are needed at load time),
#    into .deps/python (git-ignored), unless LIBTORCH points at an existing torch package folder;
#  - the Debian -dev packages it links (libpng, libjpeg, zlib, cairo, GDCM for DICOM) when missing, and
#    gloo's headers (libgloo-dev), with which libtorch's Gloo process group declares itself;
#  - pydicom with numpy and its JPEG plugins in a venv of their own, .deps/pychecks, for the DICOM
#    tests' reference values (scripts/fixtures/dicom_expected.py); nothing segmadiff runs needs them.
# Then builds the C shim (libctorch.so) against that libtorch.
# The fuzz harnesses (scripts/fuzz.sh) need libFuzzer and ASan, which swift.org toolchains carry;
# scripts/sanitize.sh needs gcc's libasan and libubsan, which come with g++. Nothing else is installed for them.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_VERSION=2.15.0
CUDA_WHEELS=("nvidia-cuda-runtime==13.2.86.*" "nvidia-cuda-cupti==13.2.86.*")
DEPS=.deps

need_apt=()
for pkg in libpng-dev libjpeg-dev zlib1g-dev libcairo2-dev libgloo-dev libgdcm-dev g++ make; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: error: missing Debian packages ${need_apt[*]}; run: sudo apt-get install ${need_apt[*]}" >&2
    exit 2
  fi
fi

if [ -n "${LIBTORCH:-}" ]; then
  torch_dir=$LIBTORCH
  [ -f "$torch_dir/lib/libtorch_cpu.so" ] || { echo "setup: error: LIBTORCH=$torch_dir has no lib/libtorch_cpu.so; point it at a torch package folder (python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')" >&2; exit 2; }
else
  torch_dir=$DEPS/python/torch
  stamp=$DEPS/python/.torch-$TORCH_VERSION
  if [ ! -f "$stamp" ]; then
    echo "setup: installing torch==$TORCH_VERSION (libtorch) into $DEPS/python"
    rm -rf "$DEPS/python"
    python3 -m pip install -q --no-deps --no-compile --target "$DEPS/python" "torch==$TORCH_VERSION" "${CUDA_WHEELS[@]}"
    touch "$stamp"
  fi
fi
mkdir -p "$DEPS"

# The DICOM tests compare segmadiff's reading of pydicom's own test files with pydicom's. The venv
# .deps/pychecks holds the Python packages of several tests' reference scripts, so it is created
# when missing and added to, never replaced. The stamp names the pinned versions: changing a pin
# installs again; an interrupted install leaves no stamp.
PYDICOM_PACKAGES=("pydicom==3.0.2" "numpy<3" "pylibjpeg==2.1.0" "pylibjpeg-libjpeg==2.5.0" "pylibjpeg-openjpeg==2.6.0")
pydicom_stamp=$DEPS/pychecks/.pydicom-$(echo "${PYDICOM_PACKAGES[*]}" | md5sum | cut -c1-12)
if [ ! -f "$pydicom_stamp" ]; then
  echo "setup: installing ${PYDICOM_PACKAGES[*]} into $DEPS/pychecks"
  [ -x "$DEPS/pychecks/bin/python3" ] || python3 -m venv "$DEPS/pychecks"
  "$DEPS/pychecks/bin/python3" -m pip install -q --disable-pip-version-check "${PYDICOM_PACKAGES[@]}"
  touch "$pydicom_stamp"
fi

# One place the build reads the chosen torch from (Package.swift and the Makefile); the physical path,
# so that checkouts sharing one .deps through a symlink agree on it and do not rebuild the shim.
torch_abs=$(cd "$torch_dir" && pwd -P)
if [ "$(cat "$DEPS/torch-dir" 2>/dev/null)" != "$torch_abs" ]; then echo "$torch_abs" > "$DEPS/torch-dir"; fi

# Only a warning: normal builds do not need it, and fuzz.sh stops with the same words.
fuzzer_runtime=$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/clang/lib/linux/libclang_rt.fuzzer-$(uname -m).a
[ -f "$fuzzer_runtime" ] || echo "setup: warning: this Swift toolchain has no libFuzzer runtime ($fuzzer_runtime); scripts/fuzz.sh (part of make test) needs a swift.org toolchain" >&2

# nibabel (with numpy) in its own venv, for scripts/check_nifti_pair.py: the sample-volume tests
# compare the NIfTI headers segmadiff writes with nibabel's reading of them. Optional: without it
# those comparisons are skipped, so a failed install only warns.
PYCHECKS=$DEPS/pychecks
NIBABEL_VERSION=5.4.2
if [ ! -f "$PYCHECKS/.nibabel-$NIBABEL_VERSION" ]; then
  echo "setup: installing nibabel==$NIBABEL_VERSION and numpy into $PYCHECKS"
  rm -rf "$PYCHECKS"
  if python3 -m venv "$PYCHECKS" && "$PYCHECKS/bin/python" -m pip install -q --disable-pip-version-check "nibabel==$NIBABEL_VERSION" numpy; then
    touch "$PYCHECKS/.nibabel-$NIBABEL_VERSION"
  else
    rm -rf "$PYCHECKS"
    echo "setup: warning: could not install nibabel into $PYCHECKS (python3-venv missing, or PyPI unreachable); the nibabel header checks will be skipped" >&2
  fi
fi

make -s -j2 shim
