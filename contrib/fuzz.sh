#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan) and run each for
# SECONDS (default 60), seeded from tests/fuzz/corpus/<target>/ where it
# exists.  Any finding fails the run and leaves the crash file in
# build-fuzz/.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}

sh contrib/deps.sh
CC=clang cmake -S . -B build-fuzz -DPLEDGED_FUZZ=ON -DPLEDGED_SANITIZE=ON \
    -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)"
# Full stacks for leaks: libetpan is not built with frame pointers, and
# its known leaks (tests/lsan.supp) are suppressed by function name.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
for bin in build-fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=tests/fuzz/corpus/$name
	work=build-fuzz/corpus-$name
	mkdir -p "$work"
	set -- "$work"
	[ -d "$seeds" ] && set -- "$work" "$seeds"
	echo "fuzz: $name for ${secs}s" >&2
	(cd build-fuzz && "../$bin" -max_total_time="$secs" -rss_limit_mb=2048 \
	    -timeout=10 -print_final_stats=1 $(for d in "$@"; do echo "../$d"; done) \
	    2>"$name.log") || {
		tail -50 "build-fuzz/$name.log" >&2
		echo "fuzz: $name found a problem" >&2
		exit 1
	}
	grep -E '^stat::number_of_executed_units' "build-fuzz/$name.log" >&2 || true
done
echo "fuzz: all targets clean" >&2
