#!/bin/sh
# Devices on the guest kernel (the vm-devices topology: a PCI expander bridge on node 2 with a
# virtio RNG, NIC and block device behind it; a second NIC on the root bus, whose numa_node is
# -1):
# - info -n --json lists every PCI device but the bridges, each on the node its numa_node
#   file gives (null for -1), with the interface and block device names sys/class links to it;
#   info -n's devices table shows the NIC and disk on node 2;
# - run --near NIC runs the workload on node 2's CPUs with its memory policy and pages on
#   node 2 (/proc/PID/task/*/status, numa_maps), and so does --near /dev/vda;
# - --near the root-bus NIC, an unknown name: usage errors naming the device, nothing run;
# - info -n's memory_tiers row of node 3 is the guest's sysfs (one kernel tier for all nodes;
#   far memory by HMAT); a workload larger than node 2's free memory, --near the NIC with
#   --memory-spill far, runs on node 2's CPU with its pages on nodes 2 and 3 only; without
#   the option a remote DRAM node takes the overflow.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-devices

# The NIC behind the bridge: the interface whose device path holds bus 09.
nic=""
other=""
for n in /sys/class/net/*; do
	case $(readlink "$n") in
	*/0000:09:*) nic=$(basename "$n") ;;
	*/pci0000:00/*) other=$(basename "$n") ;;
	esac
done
[ -n "$nic" ] || fail devices.nic "no interface behind the bridge: $(ls -l /sys/class/net)"
[ -n "$other" ] || fail devices.other "no interface on the root bus: $(ls -l /sys/class/net)"
# The interface's device is virtio1, whose parent is the PCI function.
expect devices.nic.node "$(cat /sys/class/net/$nic/device/../numa_node)" 2

sorted() { echo $* | tr ' ' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//'; }

numaplace info -n --json >/tmp/info.json 2>/tmp/info.err || fail devices.info "$(cat /tmp/info.err)"
json </tmp/info.json >/tmp/info.flat
k=0
count=0
for d in /sys/bus/pci/devices/*; do
	case $(cat "$d/class") in 0x06*) continue ;; esac
	count=$((count + 1))
done
expect devices.count "$(jget /tmp/info.flat 'devices#')" "$count"
while [ $k -lt "$(jget /tmp/info.flat 'devices#')" ]; do
	a=$(jget /tmp/info.flat "devices[$k].address")
	want=$(cat "/sys/bus/pci/devices/$a/numa_node")
	[ "$want" = -1 ] && want=null
	expect "devices.$a.node" "$(jget /tmp/info.flat "devices[$k].node")" "$want"
	names=$(jarray /tmp/info.flat "devices[$k].names")
	sysnames=""
	for n in /sys/class/net/* /sys/class/block/*; do
		[ -e "$n/partition" ] && continue
		case $(readlink "$n") in */$a/*) sysnames="$sysnames${sysnames:+ }$(basename "$n")" ;; esac
	done
	expect "devices.$a.names" "$(sorted $names)" "$(sorted $sysnames)"
	k=$((k + 1))
done
numaplace info -n >/tmp/info.txt
if grep -q "^   2:  0000:09:02.0   network      $nic\$" /tmp/info.txt &&
	grep -q "^   2:  0000:09:03.0   storage      vda\$" /tmp/info.txt; then
	pass devices.table "$(grep -A6 '^devices' /tmp/info.txt | tr '\n' '|')"
else
	fail devices.table "$(cat /tmp/info.txt)"
fi

# near NAME ARG: run a toucher with --near ARG; its CPUs, policy and pages must be node 2's.
near() {
	local name=$1 pid addr
	numaplace run --name "$name" --memory 64M --near "$2" -- toucher 32 --threads 2 \
		>/tmp/$name.out 2>/tmp/$name.err &
	pid=$!
	if ! wait_line /tmp/$name.out TOUCHED 300 $pid; then
		fail "$name.start" "no TOUCHED line: $(cat /tmp/$name.out /tmp/$name.err)"
		return
	fi
	addr=$(touched_field /tmp/$name.out addr)
	expect "$name.cpus" "$(threads_cpus $pid)" "$(cat /sys/devices/system/node/node2/cpulist)"
	case $(maps_policy $pid "$addr") in
	"prefer (many):2" | bind:2) pass "$name.policy" "$(maps_policy $pid "$addr")" ;;
	*) fail "$name.policy" "$(maps_line $pid "$addr")" ;;
	esac
	expect "$name.pages" "$(maps_nodes $pid "$addr" | sed 's/=.*//')" N2
	kill $pid
	wait $pid 2>/dev/null
}
near near-nic "$nic"
near near-dev /dev/vda
near near-pci 0000:09:02.0

# usage NAME ARG PATTERN: run --near ARG fails with status 2 and a message matching PATTERN.
usage() {
	numaplace run --memory 64M --near "$2" -- true >/tmp/$1.out 2>/tmp/$1.err
	rc=$?
	if [ $rc -eq 2 ] && grep -q "$3" /tmp/$1.err; then
		pass "$1" "$(head -n 1 /tmp/$1.err)"
	else
		fail "$1" "status $rc: $(cat /tmp/$1.err)"
	fi
}
usage near-unattached "$other" "attached to no NUMA node"
usage near-unknown eth9 "'eth9': no such device"

# Memory tiers as the guest's sysfs gives them: one kernel tier for all four nodes; node 3
# (no CPUs) is far memory by HMAT (latency 40 from its initiator node 2, whose own is 10).
numaplace info -n >/tmp/info.txt
tier=$(basename /sys/devices/virtual/memory_tiering/memory_tier* | sed 's/memory_tier//')
expect tiers.one "$(cat /sys/devices/virtual/memory_tiering/memory_tier$tier/nodelist)" 0-3
sed -n '/^devices/,$p' /tmp/info.txt # for the console log (docs/devices.md shows it)
row=$(grep '^   3:  far' /tmp/info.txt)
lat=$(cat /sys/devices/system/node/node3/access0/initiators/read_latency)
bw=$(cat /sys/devices/system/node/node3/access0/initiators/read_bandwidth)
expect tiers.node3 "$(echo $row)" \
	"3: far $tier 2 $bw $(cat /sys/devices/system/node/node3/access0/initiators/write_bandwidth) $lat $(cat /sys/devices/system/node/node3/access0/initiators/write_latency)"

# spill NAME ARGS...: a workload of 450 MiB beside the NIC, more than node 2 has free; prints
# the nodes its pages are on.
spill() {
	local name=$1 pid addr
	shift
	numaplace run --name "$name" --memory 450M --near "$nic" "$@" -- toucher 450 \
		>/tmp/$name.out 2>/tmp/$name.err &
	pid=$!
	if ! wait_line /tmp/$name.out TOUCHED 600 $pid; then
		echo "none: $(cat /tmp/$name.out /tmp/$name.err)"
		return
	fi
	addr=$(touched_field /tmp/$name.out addr)
	echo "$name: numaplace run --memory 450M --near $nic $* -- toucher 450: $(maps_line $pid "$addr")" >&2
	echo "$(threads_cpus $pid) $(maps_policy $pid "$addr" | sed 's/ (many)//') $(maps_nodes $pid "$addr" | sed 's/=[0-9]*//g')"
	kill $pid
	wait $pid 2>/dev/null
}
# With --memory-spill far: node 2's CPU, its memory on node 2 and then node 3, no other.
got=$(spill spill --memory-spill far)
expect spill.far "$got" "2 prefer:2-3 N2 N3"
# Without: a remote DRAM node takes the overflow (the nearest by SLIT: 20 against 25), and
# the workload runs on both nodes' CPUs.
got=$(spill nospill)
case $got in
"0,2 prefer:0,2 N0 N2" | "1-2 prefer:1-2 N1 N2") pass spill.none "$got" ;;
*) fail spill.none "got [$got], want node 2 and a remote DRAM node" ;;
esac
