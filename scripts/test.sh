#!/bin/sh
# Run every test suite and end with one line 'N passed, N failed' summing all of these runs:
#   build       every suite (unit, cli, fuzz corpus replay, vm, ...)
#   build-asan  unit, cli and fuzz replay under AddressSanitizer + UndefinedBehaviorSanitizer
#   build       unit, cli and fuzz replay again under valgrind memcheck (--setup valgrind)
set -u
cd "$(dirname "$0")/.."
sh scripts/deps.sh || exit 1
sh scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }

ok_total=0
bad_total=0
# run_meson LOG ARGS...: one meson test run; adds its Ok and Fail/Unexpected Pass/Timeout
# counts to the totals (a run that fails with none of those counts as one failure).
run_meson() {
	log=$1
	shift
	start=$(date +%s)
	meson test "$@" --print-errorlogs --num-processes 2 >"$log" 2>&1
	status=$?
	cat "$log"
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$log")
	bad=0
	for k in 'Fail' 'Unexpected Pass' 'Timeout'; do
		n=$(sed -n "s/^$k: *\([0-9]*\).*/\1/p" "$log")
		bad=$((bad + ${n:-0}))
	done
	[ "$status" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	echo "== meson test $*: ${ok:-0} passed, $bad failed in $(($(date +%s) - start)) s"
	ok_total=$((ok_total + ${ok:-0}))
	bad_total=$((bad_total + bad))
}

run_meson build/test-summary.txt -C build

# Sanitizers: a second configuration; any report aborts the test (no recovery).
export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if [ ! -f build-asan/build.ninja ]; then
	meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
		-Dc_args=-fno-sanitize-recover=all >/dev/null || bad_total=$((bad_total + 1))
fi
if ninja -C build-asan >build-asan.log 2>&1; then
	run_meson build-asan/test-summary.txt -C build-asan --suite unit --suite cli --suite fuzz
else
	cat build-asan.log
	echo "== build-asan: build failed"
	bad_total=$((bad_total + 1))
fi
rm -f build-asan.log

if command -v valgrind >/dev/null; then
	run_meson build/test-valgrind.txt -C build --setup valgrind --suite unit --suite cli \
		--suite fuzz
fi

echo "$ok_total passed, $bad_total failed"
[ "$bad_total" -eq 0 ]
