#!/usr/bin/env bash
# Builds the two C/C++ parts of segmadiff under sanitizers, once, and runs their tests:
#  1. the image codecs (Sources/ImageCodecs) with ASan and UBSan, driven by
#     scripts/sanitize/decode_files.c over every test and seed image and NIfTI file, each also cut
#     short at 64 points and corrupted 256 ways;
#  2. the libtorch shim (Sources/CTorch) with UBSan, swapped in for .deps/lib/libctorch.so (through
#     LD_LIBRARY_PATH, which the binaries' RUNPATH yields to) while `swift test --filter TorchTests`
#     runs. With --asan the shim is also built with ASan and run with libasan preloaded (the Swift
#     test binary is not instrumented, so the runtime must come first); libtorch's own allocations
#     are then checked too, and its leaks at exit are not reported.
# Any sanitizer report stops the run with a non-zero status. Outputs go to .build-sanitize/.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f .deps/torch-dir ] || ./scripts/setup.sh
asan=
[ "${1:-}" = --asan ] && asan=1
OUT=.build-sanitize
mkdir -p "$OUT/scratch" "$OUT/obj" "$OUT/lib"
SANITIZE=(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

echo "sanitize: image codecs (ASan + UBSan)"
nice -n 19 cc -O1 -g "${SANITIZE[@]}" -I Sources/ImageCodecs/include scripts/sanitize/decode_files.c \
  Sources/ImageCodecs/*.c -lpng -ljpeg -lz -o "$OUT/decode_files"
mapfile -t files < <(find Tests Fuzz/corpus/png Fuzz/corpus/jpeg Fuzz/corpus/nifti -type f \
  \( -name '*.png' -o -name '*.jpg' -o -name '*.nii' -o -name '*.nii.gz' \) | sort)
nice -n 19 "$OUT/decode_files" "$OUT/scratch" "${files[@]}"

# The shim's objects with the Makefile's flags at -O1 (quicker to build; the checks do not depend
# on the level), plus the sanitizer.
torch=$(cat .deps/torch-dir)
shim_flags=(-fsanitize=undefined -fno-sanitize-recover=undefined)
[ -n "$asan" ] && shim_flags=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
echo "sanitize: libtorch shim (${shim_flags[0]#-fsanitize=})"
stamp="$OUT/obj/flags"
[ "$(cat "$stamp" 2>/dev/null)" = "${shim_flags[*]}" ] || rm -f "$OUT"/obj/*.o
echo "${shim_flags[*]}" > "$stamp"
for src in Sources/CTorch/src/*.cpp; do
  obj="$OUT/obj/$(basename "${src%.cpp}").o"
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ Sources/CTorch/include/ctorch.h -nt "$obj" ]; then
    echo "  CXX $src"
    nice -n 19 g++ -std=c++20 -O1 -g -fPIC -fno-omit-frame-pointer -Wall -Wno-unused-function "${shim_flags[@]}" \
      -DCT_BUILDING -isystem "$torch/include" -isystem "$torch/include/torch/csrc/api/include" -c "$src" -o "$obj"
  fi
done
nice -n 19 g++ -shared "${shim_flags[@]}" -o "$OUT/lib/libctorch.so" "$OUT"/obj/*.o -L"$torch/lib" \
  -Wl,--no-as-needed -ltorch_cpu -lc10 -Wl,--as-needed -Wl,-rpath,"$torch/lib"

nice -n 19 swift build --build-tests
tests=$(swift build --show-bin-path)/segmadiffPackageTests.xctest
# The sanitized shim must be the one the test binary loads, or this proves nothing.
LD_LIBRARY_PATH="$OUT/lib" ldd "$tests" | grep -q "$OUT/lib/libctorch.so" \
  || { echo "sanitize: the test binary does not load $OUT/lib/libctorch.so" >&2; exit 1; }
if [ -n "$asan" ]; then
  # The test binary itself, not `swift test`, so that only it runs with libasan preloaded.
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 LD_PRELOAD=$(g++ -print-file-name=libasan.so) LD_LIBRARY_PATH="$OUT/lib" \
    nice -n 19 "$tests" --testing-library swift-testing --filter TorchTests
else
  LD_LIBRARY_PATH="$OUT/lib" nice -n 19 swift test --skip-build --no-parallel --filter TorchTests
fi
echo "sanitize: no sanitizer report"
