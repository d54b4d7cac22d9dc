#!/bin/sh
# Devices on the guest kernel (the vm-devices topology: a PCI expander bridge on node 2 with a
# virtio RNG, NIC and block device behind it; a second NIC on the root bus, whose numa_node is
# -1):
# - info -n --json lists every PCI device but the bridges, each on the node its numa_node
#   file gives (null for -1), with the interface and block device names sys/class links to it;
#   info -n's devices table shows the NIC and disk on node 2;
# - run --near NIC runs the workload on node 2's CPUs with its memory policy and pages on
#   node 2 (/proc/PID/task/*/status, numa_maps), and so does --near /dev/vda;
# - --near the root-bus NIC, an unknown name: usage errors naming the device, nothing run.
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
