#!/bin/sh
# `numaplace info -n --json` describes the guest exactly as its kernel does in
# /sys/devices/system/node and /sys/devices/system/cpu: node ids, each node's CPU list,
# MemTotal, distance row, huge pages (size:total:free), and every CPU's node, core and
# package. Free memory moves while the check runs: numaplace's value must lie between
# MemFree + Inactive(file) read just before and just after it, within 4 MiB (the check runs
# on CPU 0, so the memory its own processes take comes from node 0's side of the machine).
. /test/lib.sh

taskset -p -c 0 $$ >/dev/null
free_now() {
	for id in $(node_ids); do
		awk '$3 == "MemFree:" || $3 == "Inactive(file):" { kb += $4 }
			END { printf "%.0f\n", kb * 1024 }' /sys/devices/system/node/node$id/meminfo
	done
}
free_now >/tmp/free.before
numaplace info -n --json >/tmp/info.json 2>/tmp/info.err
rc=$?
free_now >/tmp/free.after
if [ $rc -ne 0 ]; then
	fail info.run "numaplace info -n --json failed: $(cat /tmp/info.err)"
	exit 0
fi
if ! json </tmp/info.json >/tmp/info.flat; then
	fail info.json "not JSON: $(tail -n 1 /tmp/info.flat)"
	exit 0
fi
pass info.json "$(wc -c </tmp/info.json) bytes"

ids=$(node_ids)
n=$(echo "$ids" | wc -w)
expect info.nodes.count "$(jget /tmp/info.flat 'nodes#')" "$n"
expect info.distances_assumed "$(jget /tmp/info.flat distances_assumed)" false

k=0
for id in $ids; do
	d=/sys/devices/system/node/node$id
	p="nodes[$k]"
	expect "info.node$id.node" "$(jget /tmp/info.flat "$p.node")" "$id"
	expect "info.node$id.cpus" "$(jget /tmp/info.flat "$p.cpus")" "$(cat $d/cpulist)"
	kb=$(awk '$3 == "MemTotal:" { print $4 }' $d/meminfo)
	expect "info.node$id.memory_bytes" "$(jget /tmp/info.flat "$p.memory_bytes")" $((kb * 1024))
	dist=""
	j=0
	while [ $j -lt "$n" ]; do
		dist="$dist${dist:+ }$(jget /tmp/info.flat "$p.distances[$j]")"
		j=$((j + 1))
	done
	expect "info.node$id.distances" "$dist" "$(cat $d/distance)"
	hp=""
	for h in $(ls -d $d/hugepages/hugepages-*kB 2>/dev/null | sed 's/.*-\([0-9]*\)kB$/\1/' | sort -n); do
		f=$d/hugepages/hugepages-${h}kB
		hp="$hp${hp:+ }$((h * 1024)):$(cat $f/nr_hugepages):$(cat $f/free_hugepages)"
	done
	got=""
	j=0
	while [ $j -lt "$(jget /tmp/info.flat "$p.hugepages#")" ]; do
		q="$p.hugepages[$j]"
		got="$got${got:+ }$(jget /tmp/info.flat "$q.size_bytes"):$(jget /tmp/info.flat "$q.total_pages")"
		got="$got:$(jget /tmp/info.flat "$q.free_pages")"
		j=$((j + 1))
	done
	expect "info.node$id.hugepages" "$got" "$hp"
	got=$(jget /tmp/info.flat "$p.free_bytes")
	a=$(sed -n "$((k + 1))p" /tmp/free.before)
	b=$(sed -n "$((k + 1))p" /tmp/free.after)
	lo=$a
	hi=$b
	[ "$a" -gt "$b" ] && lo=$b && hi=$a
	if [ -n "$got" ] && [ "$got" -ge $((lo - (4 << 20))) ] && [ "$got" -le $((hi + (4 << 20))) ]; then
		pass "info.node$id.free_bytes" "$got (sysfs before $a, after $b)"
	else
		fail "info.node$id.free_bytes" "got [$got], sysfs MemFree + Inactive(file) before $a, after $b"
	fi
	k=$((k + 1))
done

cpus=$(expand_list "$(cat /sys/devices/system/cpu/online)")
expect info.cpus.count "$(jget /tmp/info.flat 'cpu_topology#')" "$(echo "$cpus" | wc -w)"
k=0
bad=""
for c in $cpus; do
	t=/sys/devices/system/cpu/cpu$c/topology
	node=$(ls -d /sys/devices/system/cpu/cpu$c/node* | sed 's/.*node//')
	want="$c $(cat $t/core_id) $(cat $t/physical_package_id) $node"
	got="$(jget /tmp/info.flat "cpu_topology[$k].cpu") $(jget /tmp/info.flat "cpu_topology[$k].core")"
	got="$got $(jget /tmp/info.flat "cpu_topology[$k].socket") $(jget /tmp/info.flat "cpu_topology[$k].node")"
	[ "$got" = "$want" ] || bad="$bad cpu$c:[$got]!=[$want]"
	k=$((k + 1))
done
if [ -z "$bad" ]; then
	pass info.cpus "cpu, core, socket and node of every CPU match sysfs"
else
	fail info.cpus "$bad"
fi

# The human table: numa_info's memsize column is MemTotal in MiB.
numaplace info -n >/tmp/info.txt 2>&1
for id in $ids; do
	kb=$(awk '$3 == "MemTotal:" { print $4 }' /sys/devices/system/node/node$id/meminfo)
	got=$(awk -v id="$id:" '/^numa_info/ { t = 1; next } t && $1 == id { print $2; exit }' \
		/tmp/info.txt)
	expect "info.table.node$id.memsize" "$got" $((kb / 1024))
done
