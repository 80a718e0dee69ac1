#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make fuzz: builds every tests/fuzz/test_fuzz_<name>.c as a libFuzzer target
# (clang, ASan+UBSan) and runs each for FUZZ_SECONDS (default 120) on a copy
# of its committed corpus tests/fuzz/corpus/<name>/. Crashing inputs are kept
# in build/fuzz/findings/<name>/; add them to the corpus once fixed.
set -eu

build=${FUZZ_BUILD:-build/fuzz}
seconds=${FUZZ_SECONDS:-120}
root=$(cd "$(dirname "$0")/.." && pwd)

CC=clang cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMCSEC_LIBFUZZER=ON -DMCSEC_WOLFSSL=OFF >/dev/null
cmake --build "$build" --target fuzzers -j "$(nproc)"

status=0
for bin in "$build"/tests/test_fuzz_*; do
    [ -x "$bin" ] || continue
    name=${bin##*/test_fuzz_}
    work="$build/corpus/$name"
    findings="$build/findings/$name"
    mkdir -p "$work" "$findings"
    if [ -d "$root/tests/fuzz/corpus/$name" ]; then
        cp -n "$root/tests/fuzz/corpus/$name"/* "$work"/ 2>/dev/null || true
    fi
    echo "fuzz: $name for ${seconds}s"
    if ! "$bin" -max_total_time="$seconds" -print_final_stats=1 \
            -artifact_prefix="$findings/" "$work"; then
        echo "fuzz: $name FOUND A FAILURE; inputs in $findings" >&2
        status=1
    fi
done
exit $status
