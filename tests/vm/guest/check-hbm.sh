#!/bin/sh
# HBM on the guest kernel (the vm-hbm topology, a two-socket Xeon Max in flat mode in small:
# DRAM nodes 0 and 1 with one CPU each, CPU-less nodes 2 and 3 beside them, whose HMAT
# bandwidth from their initiator, 0 and 1, is four times the DRAM's):
# - info -n's memory_tiers rows name nodes 2 and 3 hbm, with the guest's access0 figures;
# - run --memory-kind hbm runs the workload on a DRAM node's CPU with its memory policy and
#   pages on the HBM node beside that CPU's node, and nowhere else (preferred and bind);
# - plan --explain says which HBM node holds the memory;
# - a workload larger than the HBM nodes' free memory does not fit (plan: exit 3, the reason);
# - with the default policy, what a workload touches beyond its HBM node goes to the DRAM
#   node of its CPU (the kernel's fallback), not to the other socket.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-hbm
acc=/sys/devices/system/node

numaplace info -n >/tmp/info.txt 2>/tmp/info.err || fail hbm.info "$(cat /tmp/info.err)"
sed -n '/^memory_tiers/,$p' /tmp/info.txt # for the console log (docs/devices.md shows it)
# One kernel tier for every node, as on a Xeon Max: the kind comes from HMAT alone.
tier=$(basename /sys/devices/virtual/memory_tiering/memory_tier* | sed 's/memory_tier//')
expect hbm.tiers "$(cat /sys/devices/virtual/memory_tiering/memory_tier$tier/nodelist)" 0-3
for n in 2 3; do
	f=$acc/node$n/access0/initiators
	i=$(ls -d $f/node* 2>/dev/null | sed 's/.*node//' | head -n 1)
	want="$n: hbm $tier $i $(cat $f/read_bandwidth) $(cat $f/write_bandwidth)"
	want="$want $(cat $f/read_latency) $(cat $f/write_latency)"
	expect "hbm.kind.$n" \
		"$(sed -n '/^memory_tiers/,$p' /tmp/info.txt | grep "^   $n:  " | awk '{ $1 = $1; print }')" \
		"$want"
done

# The HBM node beside the node of CPU list $1: 2 for node 0's CPU, 3 for node 1's.
beside() {
	case $(nodes_of_cpus "$1") in
	0) echo 2 ;;
	1) echo 3 ;;
	*) echo "?" ;;
	esac
}

# hbm NAME MIB ARGS...: a workload claiming 64 MiB on HBM that touches MIB MiB; prints its
# CPUs, its policy and the nodes its pages are on.
hbm() {
	local name=$1 mib=$2 pid addr
	shift 2
	numaplace run --name "$name" --memory 64M --memory-kind hbm "$@" -- toucher "$mib" \
		>/tmp/$name.out 2>/tmp/$name.err &
	pid=$!
	if ! wait_line /tmp/$name.out TOUCHED 600 $pid; then
		echo "none: $(cat /tmp/$name.out /tmp/$name.err)"
		return
	fi
	addr=$(touched_field /tmp/$name.out addr)
	echo "$name: numaplace run --memory 64M --memory-kind hbm $* -- toucher $mib: $(maps_line $pid "$addr")" >&2
	echo "$(threads_cpus $pid) $(maps_policy $pid "$addr" | sed 's/ (many)//') $(maps_nodes $pid "$addr" | sed 's/=[0-9]*//g')"
	kill $pid
	wait $pid 2>/dev/null
}

for policy in preferred bind; do
	got=$(hbm "hbm-$policy" 32 --mem-policy $policy)
	cpu=${got%% *}
	h=$(beside "$cpu")
	case $policy in preferred) p=prefer ;; *) p=bind ;; esac
	expect "hbm.run.$policy" "$got" "$cpu $p:$h N$h"
done

numaplace plan --memory 64M --memory-kind hbm --explain >/tmp/plan.out 2>&1
cpus=$(sed -n 's/^nodes .* (cpus \(.*\))$/\1/p' /tmp/plan.out)
h=$(beside "$cpus")
expect hbm.explain "$(grep '^memory:' /tmp/plan.out)" \
	"memory: on HBM node $h (this host's HBM nodes: 2-3), CPUs of node $(nodes_of_cpus "$cpus")"

numaplace plan --memory 600M --memory-kind hbm >/tmp/big.out 2>/tmp/big.err
rc=$?
if [ $rc -eq 3 ] && grep -q "no set of nodes has 600 MiB free on HBM nodes and 1 CPU" /tmp/big.err; then
	pass hbm.too-big "$(cat /tmp/big.err)"
else
	fail hbm.too-big "status $rc: $(cat /tmp/big.out /tmp/big.err)"
fi

# 400 MiB touched on an HBM node of 256 MiB: the rest goes to the DRAM node of its CPU.
got=$(hbm hbm-overflow 400)
cpu=${got%% *}
h=$(beside "$cpu")
d=$(nodes_of_cpus "$cpu")
case $got in
"$cpu prefer:$h N$d N$h" | "$cpu prefer:$h N$h N$d") pass hbm.overflow "$got" ;;
*) fail hbm.overflow "got [$got], want CPU $cpu, prefer:$h, pages on nodes $h and $d" ;;
esac
