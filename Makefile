# SPDX-License-Identifier: Apache-2.0
# Front door for the README commands; the real build is CMake in build/.

BUILD      ?= build
ASAN_BUILD ?= build/asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps configure build check test test-asan bench fuzz run clean format

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

configure: deps $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMCSEC_SANITIZE=ON $(CMAKE_ARGS)

test-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	MCSEC_TEST_SCALE=25 ctest --test-dir $(ASAN_BUILD) -j $(JOBS) --output-on-failure

# Everything: the release build's suite (vectors, interop, property, valgrind
# constant-time) and the same suite again under ASan+UBSan.
check: test test-asan

bench: build
	$(BUILD)/bin/mcsec-bench
	@if [ -x $(BUILD)/bin/mcsec-bench-kms ]; then $(BUILD)/bin/mcsec-bench-kms; fi
	@if [ -f bench/kms_load.sh ]; then sh bench/kms_load.sh $(BUILD); fi

# Long libFuzzer runs of every parser (clang); FUZZ_SECONDS per target (default 120).
fuzz: deps
	./scripts/fuzz.sh

run: build
	@echo "$$($(BUILD)/bin/mcsec --version): built into $(BUILD)/"
	@echo "  $(BUILD)/bin/mcsec        command-line tool (run it for the subcommands)"
	@echo "  $(BUILD)/lib/libmcsec.so  the library (headers in include/mcsec/)"
	@echo "  $(BUILD)/bin/mcsec-bench  benchmark against Debian's libwolfssl (make bench)"
	@echo "The KMS daemon is not built yet; it arrives with the KMS issue."
	@$(BUILD)/bin/mcsec --help

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
