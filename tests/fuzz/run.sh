#!/bin/sh
# Fuzz every target (or those named) for SECONDS each and print, per target, the executions,
# the coverage (libFuzzer's final "cov:" edges and "ft:" features) and any crash.
#   tests/fuzz/run.sh SECONDS [TARGET...]
# Builds build-fuzz (clang, -Dfuzz=enabled) if needed. The seed corpus in tests/fuzz/corpus/ is
# read, never written: new inputs go to build-fuzz/fuzz-corpus/TARGET, crashes to
# build-fuzz/fuzz-artifacts/TARGET/. FUZZ_JOBS=N runs N targets at a time (default 1); every
# fuzzer runs under nice.
set -u
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: tests/fuzz/run.sh SECONDS [TARGET...]" >&2; exit 2; }
seconds=$1
shift
src=tests/fuzz
out=build-fuzz
if [ ! -f $out/build.ninja ]; then
	CC=clang meson setup $out -Dfuzz=enabled -Db_lundef=false -Dwerror=true \
		-Dvm_tests=disabled >/dev/null || exit 1
fi
ninja -C $out >/dev/null || exit 1
targets=${*:-$(sed -n "/^fuzz_targets = \[/,/\]/p" $src/meson.build | tr -d "[]=',\n" |
	sed 's/fuzz_targets//')}

fuzz_one() {
	t=$1
	mkdir -p $out/fuzz-corpus/$t $out/fuzz-artifacts/$t
	opts=
	if [ "$t" = synthetic ] || [ "$t" = xml ]; then
		opts="fast_unwind_on_malloc=0:suppressions=$PWD/$src/third-party-lsan.supp"
	fi
	LSAN_OPTIONS=$opts nice -n 19 $out/tests/fuzz/fuzz-$t -max_total_time="$seconds" \
		-timeout=30 -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix=$out/fuzz-artifacts/$t/ \
		$out/fuzz-corpus/$t $src/corpus/$t >$out/fuzz-$t.log 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' $out/fuzz-$t.log)
	cov=$(grep -E '^#[0-9]+.*cov: ' $out/fuzz-$t.log | tail -1 |
		sed 's/.*cov: \([0-9]*\) ft: \([0-9]*\) corp: \([0-9]*\).*/\1 edges, \2 features, corpus \3/')
	crashes=$(ls $out/fuzz-artifacts/$t | grep -c -E '^(crash|leak|timeout|oom)-')
	printf '%-10s %s runs, cov %s, %s crash files (exit %s)\n' "$t" "${runs:-0}" \
		"${cov:-?}" "$crashes" "$status"
}

jobs=${FUZZ_JOBS:-1}
running=0
for t in $targets; do
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
