#!/usr/bin/env bash
# Installs what segmadiff builds and links against, idempotently:
#  - libtorch from the PyPI torch wheel (CPU kernels; the CUDA runtime wheels are needed at load time),
#    into .deps/python (git-ignored), unless LIBTORCH points at an existing torch package folder;
#  - the Debian -dev packages it links (libpng, libjpeg, zlib, cairo, GDCM for DICOM) when missing, and
#    gloo's headers (libgloo-dev), with which libtorch's Gloo process group declares itself;
#  - chromium and chromium-driver, in which the studio's browser test runs its page (headless);
#  - the tests' reference readers, nothing segmadiff runs needs: pydicom (with numpy and its JPEG
#    plugins) and nibabel in a venv of their own, .deps/pychecks, and nnU-Net v2's dataset check in
#    .deps/nnunet (using the torch above).
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
# Only the studio's browser test needs these: installed as root (CI), else a warning, and that test says it was skipped.
for pkg in chromium chromium-driver; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then need_apt+=("$pkg"); else echo "setup: warning: $pkg is not installed (sudo apt-get install $pkg); the studio's browser test will be skipped" >&2; fi
  fi
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

# The tests' reference readers, in a venv of their own, .deps/pychecks: pydicom (with its JPEG
# plugins) reads pydicom's own test files for the DICOM tests, nibabel reads the NIfTI headers
# sample-volume writes (scripts/check_nifti_pair.py). The venv is created when missing and added to,
# never replaced; the stamp names the pinned versions (changing a pin installs again; an interrupted
# install leaves no stamp).
PYCHECKS_PACKAGES=("pydicom==3.0.2" "numpy<3" "pylibjpeg==2.1.0" "pylibjpeg-libjpeg==2.5.0" "pylibjpeg-openjpeg==2.6.0" "nibabel==5.4.2")
pychecks_stamp=$DEPS/pychecks/.packages-$(echo "${PYCHECKS_PACKAGES[*]}" | md5sum | cut -c1-12)
if [ ! -f "$pychecks_stamp" ]; then
  echo "setup: installing ${PYCHECKS_PACKAGES[*]} into $DEPS/pychecks"
  [ -x "$DEPS/pychecks/bin/python3" ] || python3 -m venv "$DEPS/pychecks"
  "$DEPS/pychecks/bin/python3" -m pip install -q --disable-pip-version-check "${PYCHECKS_PACKAGES[@]}"
  touch "$pychecks_stamp"
fi

# One place the build reads the chosen torch from (Package.swift and the Makefile); the physical path,
# so that checkouts sharing one .deps through a symlink agree on it and do not rebuild the shim.
torch_abs=$(cd "$torch_dir" && pwd -P)
if [ "$(cat "$DEPS/torch-dir" 2>/dev/null)" != "$torch_abs" ]; then echo "$torch_abs" > "$DEPS/torch-dir"; fi

# Only a warning: normal builds do not need it, and fuzz.sh stops with the same words.
fuzzer_runtime=$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/clang/lib/linux/libclang_rt.fuzzer-$(uname -m).a
[ -f "$fuzzer_runtime" ] || echo "setup: warning: this Swift toolchain has no libFuzzer runtime ($fuzzer_runtime); scripts/fuzz.sh (part of make test) needs a swift.org toolchain" >&2

# nnU-Net v2's own integrity check, which the test of `segmadiff synthesize --nnunet` runs on the data
# set it writes (scripts/check_nnunet.py): nnunetv2 in a virtual environment, .deps/nnunet. nnunetv2
# and the two packages of its authors that the check imports are installed without their declared
# dependencies, which would pull a second torch with its CUDA libraries (several GB); torch comes
# from the one above through a .pth file (where its CUDA libraries are missing, check_nnunet.py
# stands in for the names nnU-Net imports from it), and the rest is what the check imports. In CI a
# failure stops the set-up; elsewhere (offline, say) it only warns, and that one test says it was skipped.
NNUNET_PACKAGES=("nnunetv2==2.8.1" "acvl-utils==0.2.6" "batchgenerators==0.25.5")
NNUNET_IMPORTS=("numpy==2.4.6" "pandas==3.1.1" "scikit-image==0.26.0" "SimpleITK==2.5.7" "nibabel==5.4.2" "tifffile==2026.3.3"
  "blosc2==4.15.0" "typing_extensions==4.16.0" "sympy==1.14.0" "filelock==4.3.1" "networkx==3.6.1" "jinja2==3.1.6" "fsspec==2026.9.0")
nnunet_env=$DEPS/nnunet
nnunet_stamp=$nnunet_env/.ready-$(echo "${NNUNET_PACKAGES[*]} ${NNUNET_IMPORTS[*]} $torch_abs" | cksum | cut -d' ' -f1)
if [ ! -f "$nnunet_stamp" ]; then
  echo "setup: installing nnU-Net's dataset check (${NNUNET_PACKAGES[*]}) into $nnunet_env"
  if rm -rf "$nnunet_env" && python3 -m venv "$nnunet_env" \
     && "$nnunet_env/bin/pip" install -q --disable-pip-version-check "${NNUNET_IMPORTS[@]}" \
     && "$nnunet_env/bin/pip" install -q --disable-pip-version-check --no-deps "${NNUNET_PACKAGES[@]}" \
     && dirname "$torch_abs" > "$("$nnunet_env/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/segmadiff-torch.pth" \
     && "$nnunet_env/bin/python" -c 'import sys; sys.path.insert(0, "scripts"); import check_nnunet, nnunetv2.experiment_planning.verify_dataset_integrity'; then
    touch "$nnunet_stamp"
  elif [ "${CI:-}" = true ]; then
    echo "setup: error: installing nnU-Net's dataset check into $nnunet_env failed (see above)" >&2
    exit 2
  else
    echo "setup: warning: installing nnU-Net's dataset check into $nnunet_env failed (see above); the nnU-Net test will be skipped" >&2
  fi
fi

make -s -j2 shim
