#!/bin/sh
# The guest kernel sees the topology the runner asked QEMU for: node ids, each node's CPU
# list, its distance row, and a MemTotal between half and all of the configured memory (the
# kernel and firmware keep some, most of it on node 0).
. /test/lib.sh

last=$((VM_NODES - 1))
want_online=0
[ $last -gt 0 ] && want_online="0-$last"
expect "topology.online" "$(cat /sys/devices/system/node/online)" "$want_online"

i=0
while [ $i -lt "$VM_NODES" ]; do
	d=/sys/devices/system/node/node$i
	expect "topology.node$i.cpulist" "$(cat $d/cpulist)" "$(nth "$VM_CPULISTS" $i)"
	expect "topology.node$i.distance" "$(cat $d/distance)" "$(nth "$VM_DIST" $i)"
	mb=$(nth "$VM_MEM_MB" $i)
	kb=$(awk '$3 == "MemTotal:" { print $4 }' $d/meminfo)
	if [ "${kb:-0}" -le $((mb * 1024)) ] && [ "${kb:-0}" -ge $((mb * 512)) ]; then
		pass "topology.node$i.memtotal" "${kb} kB of ${mb} MiB"
	else
		fail "topology.node$i.memtotal" "${kb} kB, configured ${mb} MiB"
	fi
	i=$((i + 1))
done
