#!/bin/sh
# The whole test suite, from a fresh clone on Debian 12: install what is
# needed, build with warnings as errors, run every test through ctest.
#
#   contrib/run-tests.sh              normal build in build/
#   SANITIZE=1 contrib/run-tests.sh   ASan + UBSan build in build-san/
set -eu
cd "$(dirname "$0")/.."

sh contrib/deps.sh

if [ "${SANITIZE:-0}" = 1 ]; then
	dir=build-san
	extra="-DPLEDGED_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"
	# Leaks are errors; libetpan and GnuTLS keep a few process-lifetime
	# allocations that are not ours (tests/lsan.supp).
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
	export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
	dir=build
	extra=
fi

# PLEDGED_TEST_HOOKS: the crash tests' fault hooks, never in a package.
cmake -S . -B "$dir" -DPLEDGED_WERROR=ON -DPLEDGED_TEST_HOOKS=ON $extra >/dev/null
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j"$(nproc)"
