#!/bin/sh
# Build numaplace in release mode (build-bench/), run the placement benchmark and write its
# tables to bench/results/bench.txt and its plot to bench/results/latency.png.
# Extra arguments go to np-bench (e.g. --quick, --max-nodes 16). See docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
command -v gnuplot >/dev/null 2>&1 || sh scripts/deps.sh
if [ ! -f build-bench/build.ninja ]; then
	meson setup build-bench --buildtype=release -Dtests=disabled -Dvm_tests=disabled >/dev/null
fi
ninja -C build-bench bench/np-bench bench/np-tracegen >/dev/null
mkdir -p bench/results
./build-bench/bench/np-bench --data bench/results "$@" | tee bench/results/bench.txt
gnuplot bench/latency.gp
echo "wrote bench/results/bench.txt, bench/results/latency.png"
