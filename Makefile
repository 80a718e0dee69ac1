# SPDX-License-Identifier: Apache-2.0
# Front door for the README commands; the real build is CMake in build/.

BUILD      ?= build
ASAN_BUILD ?= build/asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps configure build check test test-asan bench fuzz run demo clean format

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

# The KMS daemon in the foreground with a demo domain in var/kms (gitignored); Ctrl-C stops it.
run: build
	@echo "$$($(BUILD)/bin/mcsec --version): starting the demo KMS (Ctrl-C stops it)"
	@echo "  URL      http://127.0.0.1:8080/keymanagement/identity/v1/"
	@echo "  KMS URI  kms.demo.mcsec.example (demo domain in var/kms)"
	@echo "  token    $(BUILD)/bin/mcsec kms token --data-dir var/kms --user sip:alice@demo.mcsec.example"
	@echo "  try      curl -X POST -H \"Authorization: Bearer TOKEN\" http://127.0.0.1:8080/keymanagement/identity/v1/init"
	@mkdir -p var
	$(BUILD)/bin/mcsec-kmsd --demo --data-dir var/kms --listen 127.0.0.1:8080

# The key distribution end to end on loopback (kmsd + nginx, GMS, MCX server, three UEs).
demo: build
	sh scripts/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
