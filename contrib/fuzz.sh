#!/bin/sh
# Build the libFuzzer targets (clang, ASan + UBSan), then for each target:
#
#  1. replay its corpus, tests/fuzz/corpus/<target>/, kept in the
#     repository: every input that ever found new coverage (or a crash,
#     once fixed) runs again, and any crash, leak or timeout fails;
#  2. fuzz for SECONDS (default 60; 0 replays only), starting from that
#     corpus and from build-fuzz/corpus-<target>/, where new inputs land.
#
# Any finding fails the run and leaves the crash file in build-fuzz/.
#
#   sh contrib/fuzz.sh [SECONDS]          CI: replay, then 60 s each
#   sh contrib/fuzz.sh merge              fold build-fuzz/corpus-<target>/
#                                         into the kept corpora, minimised
#
# The kept corpora stay small (a few hundred files per target, none over
# 64 KiB): "merge" keeps only the inputs that add coverage (-merge=1),
# counting edges only (-use_counters=0: hit-count buckets would keep
# thousands), and is how a long campaign's findings are brought into the
# repository.
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
maxlen=65536

sh contrib/deps.sh
CC=clang cmake -S . -B build-fuzz -DPLEDGED_FUZZ=ON -DPLEDGED_SANITIZE=ON \
    -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$(nproc)"
# Full stacks for leaks: libetpan is not built with frame pointers, and
# its known leaks (tests/lsan.supp) are suppressed by function name.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"

# run TARGET LOG ARGS...: the target from build-fuzz/, paths relative to it.
run() {
	bin=$1 log=$2
	shift 2
	(cd build-fuzz && "./$bin" -rss_limit_mb=2048 -timeout=10 "$@" \
	    2>"$log") || {
		tail -50 "build-fuzz/$log" >&2
		echo "fuzz: $bin found a problem (build-fuzz/$log)" >&2
		exit 1
	}
}

for path in build-fuzz/fuzz_*; do
	[ -x "$path" ] || continue
	name=$(basename "$path")
	kept=tests/fuzz/corpus/$name
	work=build-fuzz/corpus-$name
	mkdir -p "$work"
	if [ "$secs" = merge ]; then
		mkdir -p "$kept" "build-fuzz/merged-$name"
		rm -f "build-fuzz/merged-$name"/*
		run "$name" "$name.merge.log" -merge=1 -use_counters=0 \
		    -max_len=$maxlen "merged-$name" "../$kept" "corpus-$name"
		# Hand-written seeds keep their names (they say what they
		# test); what fuzzing found is named by its SHA-1, as
		# libFuzzer writes it, and is replaced by the merge.
		find "$kept" -type f -regex '.*/[0-9a-f]\{40\}' -delete
		cp -R "build-fuzz/merged-$name"/. "$kept"/
		for f in "$kept"/*; do
			case ${f##*/} in *[!0-9a-f]*) ;; *) continue ;; esac
			rm -f "$kept/$(sha1sum <"$f" | cut -c1-40)"
		done
		echo "fuzz: $name: $(ls "$kept" | wc -l) inputs kept" >&2
		continue
	fi
	if [ -d "$kept" ]; then
		echo "fuzz: $name: replaying $(ls "$kept" | wc -l) inputs" >&2
		run "$name" "$name.replay.log" -runs=0 -max_len=$maxlen \
		    "../$kept"
	fi
	[ "$secs" -gt 0 ] || continue
	echo "fuzz: $name for ${secs}s" >&2
	set -- "../$work"
	[ -d "$kept" ] && set -- "../$work" "../$kept"
	run "$name" "$name.log" -max_total_time="$secs" -print_final_stats=1 \
	    "$@"
	grep -E '^stat::number_of_executed_units' "build-fuzz/$name.log" >&2 ||
		true
done
echo "fuzz: all targets clean" >&2
