# segmadiff: set-up, build, test, benchmark. Every target runs the set-up first when needed.
SHELL := /bin/bash
DEPS := .deps
SHIM := $(DEPS)/lib/libctorch.so
SHIM_SRC := $(wildcard Sources/CTorch/src/*.cpp)
SHIM_HDR := Sources/CTorch/include/ctorch.h Sources/CTorch/src/internal.h
SHIM_OBJ := $(patsubst Sources/CTorch/src/%.cpp,$(DEPS)/obj/%.o,$(SHIM_SRC))
TORCH_DIR = $(shell cat $(DEPS)/torch-dir 2>/dev/null)
# ProcessGroupGloo.hpp includes gloo's headers, which the torch wheels lack: Debian's libgloo-dev
# (installed by the set-up) provides them under /usr/include; the shim uses only their declarations.
CXXFLAGS := -std=c++20 -O2 -fPIC -Wall -Wno-unused-function
# The scan's kernels let the compiler fuse a * b + c into one FMA where the CPU has it (their AVX2
# clone; the baseline clone has no FMA): ISO C++ mode otherwise forbids the contraction.
$(DEPS)/obj/scan.o: CXXFLAGS += -ffp-contract=fast
# The image resampler's row loops are plain C++ that -O3 vectorises (-O2 keeps them scalar).
$(DEPS)/obj/resample.o: CXXFLAGS += -O3
SWIFT_FLAGS ?=
# The NCCL backend: compiled only for a CUDA shim. ProcessGroupNCCL.hpp pulls in the CUDA headers
# (runtime, crt, cccl, cublas, cusparse) and nccl.h: from a CUDA toolkit (CUDA_HOME) and the
# nvidia-* wheels beside torch.
CUDA_HOME ?= /usr/local/cuda
NVIDIA_INCLUDES = $(foreach d,$(wildcard $(TORCH_DIR)/../nvidia/*/include $(CUDA_HOME)/include),-isystem $(d))
CUDA_OBJ := $(DEPS)/obj-cuda/nccl.o
GPU_BUNDLE := dist/segmadiff-gpu

.PHONY: setup shim build test fuzz sanitize bench demo clean gpu-bundle
.DEFAULT_GOAL := build

setup:
	@./scripts/setup.sh

$(DEPS)/torch-dir:
	@./scripts/setup.sh

$(DEPS)/obj/%.o: Sources/CTorch/src/%.cpp $(SHIM_HDR) $(DEPS)/torch-dir
	@mkdir -p $(dir $@)
	@echo "  CXX $<"
	@g++ $(CXXFLAGS) -DCT_BUILDING -isystem $(TORCH_DIR)/include -isystem $(TORCH_DIR)/include/torch/csrc/api/include -c $< -o $@

# The shim is its own shared library with a C interface, so it can be rebuilt alone against
# another libtorch (a CUDA host's) and dropped beside the binary.
# SEGMADIFF_CUDA=1 adds torch_cuda and the NCCL backend; the stamp relinks when it changes.
CUDA_MODE := $(shell mkdir -p $(DEPS)/obj && echo "$(SEGMADIFF_CUDA)" | cmp -s - $(DEPS)/obj/cuda-mode || echo "$(SEGMADIFF_CUDA)" > $(DEPS)/obj/cuda-mode)
$(SHIM): $(SHIM_OBJ) $(DEPS)/obj/cuda-mode $(if $(SEGMADIFF_CUDA),$(CUDA_OBJ))
	@mkdir -p $(dir $@)
	@g++ -shared -o $@ $(filter %.o,$^) -L$(TORCH_DIR)/lib -Wl,--no-as-needed -ltorch_cpu -lc10 \
	  $$( [ -f $(TORCH_DIR)/lib/libtorch_cuda.so ] && [ -n "$$SEGMADIFF_CUDA" ] && echo -ltorch_cuda ) \
	  -Wl,--as-needed -Wl,-rpath,$(TORCH_DIR)/lib

shim: $(SHIM)

$(CUDA_OBJ): Sources/CTorch/cuda/nccl.cpp $(SHIM_HDR) $(DEPS)/torch-dir
	@mkdir -p $(dir $@)
	@echo "  CXX $< (CUDA)"
	@g++ $(CXXFLAGS) -DCT_BUILDING -DUSE_C10D_NCCL -DUSE_CUDA -isystem $(TORCH_DIR)/include -isystem $(TORCH_DIR)/include/torch/csrc/api/include $(NVIDIA_INCLUDES) -c $< -o $@

# A relocatable segmadiff for a GPU host: the Swift standard library linked in, a shim linked
# against torch_cuda (with the NCCL backend), and a wrapper that finds libtorch at run time in the
# host's own torch install (SEGMADIFF_TORCH, else python3's torch). Needs a CUDA torch here (the
# PyPI wheel is one; LIBTORCH=... for another) and the same torch version on the host; the host's
# libpng, libjpeg, zlib and cairo are used. rebuild-shim.sh rebuilds the shim there if needed.
gpu-bundle: $(SHIM_OBJ) $(CUDA_OBJ)
	@[ -f $(TORCH_DIR)/lib/libtorch_cuda.so ] || { echo "gpu-bundle: $(TORCH_DIR) is a CPU-only torch; point LIBTORCH at a CUDA one and run make setup" >&2; exit 2; }
	swift build -c release --static-swift-stdlib $(SWIFT_FLAGS)
	@rm -rf $(GPU_BUNDLE) && mkdir -p $(GPU_BUNDLE)/lib $(GPU_BUNDLE)/shim
	@g++ -shared -o $(GPU_BUNDLE)/lib/libctorch.so $(SHIM_OBJ) $(CUDA_OBJ) -L$(TORCH_DIR)/lib \
	  -Wl,--no-as-needed -ltorch_cpu -lc10 -ltorch_cuda -lc10_cuda -Wl,--as-needed
	@cp "$$(swift build -c release --show-bin-path)/segmadiff" $(GPU_BUNDLE)/lib/segmadiff
	@cp -r "$$(swift build -c release --show-bin-path)/segmadiff_Studio.resources" $(GPU_BUNDLE)/lib/
	@cp scripts/gpu-bundle/segmadiff scripts/gpu-bundle/rebuild-shim.sh $(GPU_BUNDLE)/
	@cp -r Sources/CTorch/src Sources/CTorch/include Sources/CTorch/cuda $(GPU_BUNDLE)/shim/
	@echo "gpu-bundle: $(GPU_BUNDLE) (copy the folder to the GPU host; run $(GPU_BUNDLE)/segmadiff)"

build: setup
	swift build -c release $(SWIFT_FLAGS)
	@echo "segmadiff: $$(swift build -c release --show-bin-path)/segmadiff"

# Then a short run of every fuzz harness (15 s each, about 2.5 minutes; scripts/fuzz.sh). It is a
# step here rather than a Swift test: the harnesses need their own sanitizer build (another
# scratch folder, other compiler flags), which a `swift test` inside `swift test` would nest.
FUZZ_SECONDS ?= 15
test: setup
	swift test --no-parallel $(SWIFT_FLAGS)
	./scripts/fuzz.sh --seconds $(FUZZ_SECONDS)

# Longer fuzzing and the sanitizer builds of the C parts (see the scripts' headers).
fuzz: setup
	./scripts/fuzz.sh --seconds 300

sanitize: setup
	./scripts/sanitize.sh

bench: setup
	./bench/run.sh

clean:
	rm -rf $(DEPS)/obj $(DEPS)/obj-cuda $(DEPS)/lib .build .build-fuzz .build-sanitize dist

demo: build
	"$$(swift build -c release --show-bin-path)/segmadiff" demo
