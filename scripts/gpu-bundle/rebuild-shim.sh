#!/usr/bin/env bash
# Rebuilds lib/libctorch.so against this host's torch (needed when its version differs from the one
# the bundle was built with): g++ with C++20, the torch headers, gloo's headers (Debian/Ubuntu:
# apt-get install libgloo-dev) and nccl.h from the nvidia wheels.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
torch_dir=${SEGMADIFF_TORCH:-$(python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')}
# nccl.h and the CUDA headers: the nvidia-* wheels beside torch, and a CUDA toolkit (CUDA_HOME).
nvidia=$(for d in "$torch_dir"/../nvidia/*/include "${CUDA_HOME:-/usr/local/cuda}/include"; do [ -d "$d" ] && printf -- '-isystem %s ' "$d"; done)
objs=()
mkdir -p "$here/shim/obj"
for src in "$here"/shim/src/*.cpp "$here"/shim/cuda/nccl.cpp; do
  obj="$here/shim/obj/$(basename "$src" .cpp).o"
  echo "  CXX $(basename "$src")"
  g++ -std=c++20 -O2 -fPIC -DCT_BUILDING -DUSE_C10D_NCCL -DUSE_CUDA \
    -isystem "$torch_dir/include" -isystem "$torch_dir/include/torch/csrc/api/include" $nvidia -c "$src" -o "$obj"
  objs+=("$obj")
done
g++ -shared -o "$here/lib/libctorch.so" "${objs[@]}" -L"$torch_dir/lib" \
  -Wl,--no-as-needed -ltorch_cpu -lc10 -ltorch_cuda -lc10_cuda -Wl,--as-needed
echo "rebuilt $here/lib/libctorch.so against $torch_dir"
