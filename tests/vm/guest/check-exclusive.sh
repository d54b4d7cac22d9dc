#!/bin/sh
# `numaplace run --cpu-binding exclusive` on the guest kernel (docs/placement.md, "Exclusive
# cores"):
# - an exclusive launch on node 0 runs every thread on exactly its core (the first core of
#   node 0: /sys/devices/system/cpu/cpuN/topology/thread_siblings_list), and the ledger
#   records that core (list --json exclusive_cpus, list's "excl" mark);
# - a later shared launch on node 0 (--nodes) runs on node 0's other CPUs (all of them when
#   the core was node 0's only one), and a searched shared launch avoids the core;
# - a second exclusive launch on node 0 gets the next core, or, when node 0 has no other,
#   nothing fits (exit 3, "no set of nodes has 1 free whole core").
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-exclusive
PIDS=""

# to_list: CPU numbers (words on stdin) in kernel list syntax ("0-2,5").
to_list() {
	tr ' ' '\n' | grep . | sort -n | awk '
		NR == 1 { s = e = $1; next }
		$1 == e + 1 { e = $1; next }
		{ out = out (out == "" ? "" : ",") s (s == e ? "" : "-" e); s = e = $1 }
		END { if (NR) out = out (out == "" ? "" : ",") s (s == e ? "" : "-" e); print out }'
}
# minus A B: the words of A that are not in B, as a list.
minus() {
	for c in $1; do
		case " $2 " in
		*" $c "*) ;;
		*) echo "$c" ;;
		esac
	done | to_list
}
# recorded NAME: the exclusive_cpus the ledger holds for live workload NAME.
recorded() {
	numaplace list --json | json >/tmp/list.flat
	awk -F= -v n="$1" '
		$1 ~ /^workloads\[[0-9]+\]\.name$/ && $2 == n { i = $1; sub(/\.name$/, "", i) }
		i != "" && $1 == i ".exclusive_cpus" { print $2; exit }' /tmp/list.flat
}

n0=$(node_cpus 0)
set -- $n0
core=$(cat /sys/devices/system/cpu/cpu$1/topology/thread_siblings_list)
core_words=$(expand_list "$core")
echo "INFO node 0 CPUs: $n0; its first core: $core"

if launch x1 --nodes 0 --cpu-binding exclusive --memory 32M --vcpus 1 -- toucher 16 --threads 3; then
	expect exclusive.cpus "$(threads_cpus $PID)" "$core"
	expect exclusive.recorded "$(recorded x1)" "$core"
	numaplace list >/tmp/list.txt
	grep -q "^x1 .* $core excl " /tmp/list.txt && pass exclusive.list "$(grep '^x1 ' /tmp/list.txt)" ||
		fail exclusive.list "no '$core excl' in: $(cat /tmp/list.txt)"

	rest=$(minus "$n0" "$core_words")
	[ -n "$rest" ] || rest=$(echo $n0 | to_list)
	if launch s1 --nodes 0 --memory 32M --vcpus 1 -- toucher 16 --threads 3; then
		expect shared.nodes "$(threads_cpus $PID)" "$rest"
	fi
	if launch s2 --memory 32M --vcpus 1 -- toucher 16 --threads 3; then
		got=$(threads_cpus $PID)
		left=$(minus "$(expand_list "$got")" "$core_words")
		expect shared.searched "$left" "$got"
	fi

	set -- $(minus "$n0" "$core_words" | tr ',' ' ')
	if [ $# -gt 0 ]; then
		next=$(cat /sys/devices/system/cpu/cpu$(expand_list "$1" | cut -d' ' -f1)/topology/thread_siblings_list)
		if launch x2 --nodes 0 --cpu-binding exclusive --memory 32M --vcpus 1 -- toucher 16 --threads 3; then
			expect exclusive.second "$(threads_cpus $PID)" "$next"
		fi
	else
		numaplace run --nodes 0 --cpu-binding exclusive --require-placement --memory 32M -- \
			true >/tmp/x2.out 2>/tmp/x2.err
		expect exclusive.none.exit $? 3
		grep -q "no set of nodes has 1 free whole core for 1 vCPU" /tmp/x2.err &&
			pass exclusive.none "$(cat /tmp/x2.err)" || fail exclusive.none "$(cat /tmp/x2.err)"
	fi
fi
stop_all
