#!/bin/sh
# Launch cost of `numaplace run` against `numactl --cpunodebind=0 --membind=0`, both running
# /bin/true: the best of ROUNDS rounds of N launches each, alternating, in microseconds per
# launch. The ledger lives in a fresh tmpfs state directory, as /run/numaplace does.
# usage: run-cost.sh NUMAPLACE [N] [ROUNDS]
set -eu
np=$1
n=${2:-300}
rounds=${3:-5}
state=$(mktemp -d /dev/shm/numaplace-bench.XXXXXX)
trap 'rm -rf "$state"' EXIT
export NUMAPLACE_STATE_DIR="$state/state"

per_launch() {
	t0=$(date +%s%N)
	i=0
	while [ $i -lt "$n" ]; do
		"$@"
		i=$((i + 1))
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / n / 1000))
}

best_np=999999999
best_nc=999999999
best_true=999999999
r=0
while [ $r -lt "$rounds" ]; do
	a=$(per_launch "$np" run --nodes 0 --memory 64M -- true)
	b=$(per_launch numactl --cpunodebind=0 --membind=0 true)
	c=$(per_launch true)
	[ "$a" -lt "$best_np" ] && best_np=$a
	[ "$b" -lt "$best_nc" ] && best_nc=$b
	[ "$c" -lt "$best_true" ] && best_true=$c
	r=$((r + 1))
done
echo "numaplace run: $best_np us per launch"
echo "numactl:       $best_nc us per launch"
echo "true alone:    $best_true us per launch (shell builtin: loop overhead)"
echo "ratio:         $(awk "BEGIN { printf \"%.2f\", $best_np / $best_nc }")"
