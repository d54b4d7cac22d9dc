#!/bin/sh
# Build numaplace in release mode (build-bench/), run the placement benchmark and write
#   bench/results/bench.txt        the tables (machine, latency, growth, quality, targets)
#   bench/results/latency.png      latency against node count, log scale
#   bench/results/crosscheck.txt   np-bench's figures against `numaplace simulate --report`
# Extra arguments go to np-bench (e.g. --quick, --max-nodes 16). See docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
command -v gnuplot >/dev/null 2>&1 || sh scripts/deps.sh
if [ ! -f build-bench/build.ninja ]; then
	meson setup build-bench --buildtype=release -Dtests=disabled -Dvm_tests=disabled >/dev/null
fi
ninja -C build-bench bench/np-bench bench/np-tracegen src/cli/numaplace >/dev/null
out=bench/results
mkdir -p $out
./build-bench/bench/np-bench --data $out "$@" | tee $out/bench.txt
gnuplot bench/latency.gp

# The quality figures are those of `numaplace simulate --report`: replay the same traces with
# the command on the same hosts (exported as hwloc XML) and compare everything but the times.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=build-bench
: >$out/crosscheck.txt
for case in "16snc compact xen numad first-fit spread exhaustive" "256 compact"; do
	set -- $case
	host=$1
	shift
	$bin/bench/np-bench --export-xml "$host" "$tmp/$host.xml"
	$bin/bench/np-tracegen --host "$host" --seed 1 >"$tmp/trace"
	for s in "$@"; do
		$bin/src/cli/numaplace simulate --topology "$tmp/$host.xml" --strategy "$s" \
			--report <"$tmp/trace" | sed -n '/^report:/,$p' >"$tmp/cli"
		$bin/bench/np-bench --report "$host" 1 "$s" >"$tmp/bench"
		for f in cli bench; do
			sed 's/search [0-9.]* us in total, [0-9.]* us per decision, //' "$tmp/$f" \
				>"$tmp/$f.cmp"
		done
		if cmp -s "$tmp/cli.cmp" "$tmp/bench.cmp"; then
			echo "same figures: host $host, seed 1, $s" >>$out/crosscheck.txt
		else
			echo "DIFFERENT figures: host $host, seed 1, $s" >>$out/crosscheck.txt
			diff "$tmp/cli.cmp" "$tmp/bench.cmp" >>$out/crosscheck.txt || true
		fi
	done
done
cat $out/crosscheck.txt
echo "wrote $out/bench.txt, $out/latency.png, $out/crosscheck.txt"
