# segmadiff: set-up, build, test, benchmark. Every target runs the set-up first when needed.
SHELL := /bin/bash
DEPS := .deps
SHIM := $(DEPS)/lib/libctorch.so
SHIM_SRC := $(wildcard Sources/CTorch/src/*.cpp)
SHIM_HDR := Sources/CTorch/include/ctorch.h Sources/CTorch/src/internal.h
SHIM_OBJ := $(patsubst Sources/CTorch/src/%.cpp,$(DEPS)/obj/%.o,$(SHIM_SRC))
TORCH_DIR = $(shell cat $(DEPS)/torch-dir 2>/dev/null)
CXXFLAGS := -std=c++20 -O2 -fPIC -Wall -Wno-unused-function
SWIFT_FLAGS ?=

.PHONY: setup shim build test bench demo clean
.DEFAULT_GOAL := build

setup:
	@./scripts/setup.sh

$(DEPS)/torch-dir:
	@./scripts/setup.sh

$(DEPS)/obj/%.o: Sources/CTorch/src/%.cpp $(SHIM_HDR) $(DEPS)/torch-dir
	@mkdir -p $(dir $@)
	@echo "  CXX $<"
	@g++ $(CXXFLAGS) -DCT_BUILDING -isystem $(TORCH_DIR)/include -c $< -o $@

# The shim is its own shared library with a C interface, so it can be rebuilt alone against
# another libtorch (a CUDA host's) and dropped beside the binary.
$(SHIM): $(SHIM_OBJ)
	@mkdir -p $(dir $@)
	@g++ -shared -o $@ $^ -L$(TORCH_DIR)/lib -Wl,--no-as-needed -ltorch_cpu -lc10 \
	  $$( [ -f $(TORCH_DIR)/lib/libtorch_cuda.so ] && [ -n "$$SEGMADIFF_CUDA" ] && echo -ltorch_cuda ) \
	  -Wl,--as-needed -Wl,-rpath,$(TORCH_DIR)/lib

shim: $(SHIM)

build: setup
	swift build -c release $(SWIFT_FLAGS)
	@echo "segmadiff: $$(swift build -c release --show-bin-path)/segmadiff"

test: setup
	swift test --no-parallel $(SWIFT_FLAGS)

bench: setup
	./bench/run.sh

clean:
	rm -rf $(DEPS)/obj $(DEPS)/lib .build

demo: build
	"$$(swift build -c release --show-bin-path)/segmadiff" demo
