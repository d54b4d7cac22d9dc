#!/bin/sh
# `numaplace daemon` and cgroup v2 groups on the guest's real hierarchy:
# - a group recorded on node G (`place --cgroup --nodes G`, its cpuset written) whose
#   cpuset.mems was then set to node 0 by hand, so that the memory of the three touchers
#   started in it is all on node 0: one daemon interval (node 0's CPUs reserved in the
#   configuration, so that the daemon cannot simply follow the memory there) judges it spilled
#   from memory.numa_stat and gathers it home: cpuset.mems is G again, at least 90% of
#   memory.numa_stat is on node G, and the move is in `list --moves` with the daemon's reason;
# - a group below --adopt-cgroups that the ledger does not hold is adopted by the next
#   interval: the ledger holds it (kind group, its path), its cpuset.mems is the nodes
#   recorded, and at least 90% of its memory.numa_stat is there.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-daemon-cgroup
CG=/sys/fs/cgroup

if ! grep -qw cpuset $CG/cgroup.controllers 2>/dev/null ||
	! grep -qw memory $CG/cgroup.controllers; then
	fail dcg.controllers "no cgroup2 with cpuset and memory: $(cat $CG/cgroup.controllers 2>&1)"
	exit 0
fi
echo +memory >$CG/cgroup.subtree_control
mkdir -p $CG/np-dcg
echo +memory >$CG/np-dcg/cgroup.subtree_control

# start_in DIR N CPUS: N touchers of 32 MiB started inside group DIR on CPUS.
start_in() {
	local i=0
	while [ $i -lt "$2" ]; do
		sh -c "echo \$\$ >'$CG/$1/cgroup.procs'; exec taskset -c $3 toucher 32" \
			>/tmp/$i.$(basename $1).out &
		wait_line /tmp/$i.$(basename $1).out TOUCHED 300 $! ||
			fail dcg.start "$(cat /tmp/$i.$(basename $1).out)"
		i=$((i + 1))
	done
}
stop_in() {
	kill $(cat "$CG/$1/cgroup.procs") 2>/dev/null
}
# stat_on DIR NODES: bytes of memory.numa_stat (anon + file) on NODES ("2", "0 1"); "all": all
stat_on() {
	awk -v want=" $2 " '$1 == "anon" || $1 == "file" {
		for (i = 2; i <= NF; i++) {
			split($i, kv, "=")
			n = substr(kv[1], 2)
			if (want == " all " || index(want, " " n " ")) sum += kv[2]
		}
	} END { print sum + 0 }' "$CG/$1/memory.numa_stat"
}
# most_on NAME DIR NODES: at least 90% of the group's memory.numa_stat is on NODES
most_on() {
	local on all
	on=$(stat_on "$2" "$3")
	all=$(stat_on "$2" all)
	if [ "$all" -gt 0 ] && [ $((on * 10)) -ge $((all * 9)) ]; then
		pass "$1" "$on of $all bytes on node(s) $3"
	else
		fail "$1" "$on of $all bytes on node(s) $3, want >= 90%"
		sed "s/^/INFO $1: /" "$CG/$2/memory.numa_stat" | head -n 2
	fi
}

set -- $(cpu_nodes)
shift $(($# - 1))
G=$1
cpus0=$(cat /sys/devices/system/node/node0/cpulist)
cpusG=$(cat /sys/devices/system/node/node$G/cpulist)

# node 0's CPUs reserved: the daemon's snapshot has no CPUs there (root takes its
# configuration only from a file only root can write)
mkdir -p /run/np-dcg-conf
chmod 755 /run/np-dcg-conf
printf '[placement]\nreserved-cpus = %s\n' "$cpus0" >/run/np-dcg-conf/numaplace.conf
chmod 644 /run/np-dcg-conf/numaplace.conf
export NUMAPLACE_CONFIG=/run/np-dcg-conf/numaplace.conf

# --- a group recorded on node G with its memory on node 0 is gathered home -------------------
mkdir -p $CG/np-dcg/spill
numaplace place --cgroup np-dcg/spill --nodes $G --memory 96M --vcpus 1 >/tmp/place.out 2>&1
expect dcg.place.status "$?" 0
expect dcg.place.mems "$(cat $CG/np-dcg/spill/cpuset.mems)" "$G"
# what a stale tool or a hand would do: the group's memory confined to node 0
echo 0 >$CG/np-dcg/spill/cpuset.mems
start_in np-dcg/spill 3 "$cpusG"
most_on dcg.before.on-0 np-dcg/spill 0

numaplace daemon --once --interval 0.5 --min-gap 0 2>/tmp/d.err
expect dcg.daemon.status "$?" 0
sed 's/^/INFO dcg.daemon: /' /tmp/d.err
if grep -q "(group np-dcg/spill): move: .* of its memory off node $G.*spilled; node $G: cost [0-9.]* -> 0.00" /tmp/d.err; then
	pass dcg.daemon.decided "$(grep '(group np-dcg/spill): move:' /tmp/d.err)"
else
	fail dcg.daemon.decided "no move of the group to node $G logged"
fi
expect dcg.after.mems "$(cat $CG/np-dcg/spill/cpuset.mems)" "$G"
expect dcg.after.cpus "$(cat $CG/np-dcg/spill/cpuset.cpus)" "$cpusG"
most_on dcg.after.on-G np-dcg/spill "$G"
numaplace list --moves >/tmp/moves.out 2>&1
sed 's/^/INFO dcg.moves: /' /tmp/moves.out
if grep -q "spill  *0  *$G  *$G  *daemon: [0-9]*% (.*) of its memory off node $G.*: spilled; node $G: cost [0-9.]* -> 0.00" /tmp/moves.out; then
	pass dcg.moves "the move with its reason"
else
	fail dcg.moves "no daemon move of spill from $G to $G in list --moves"
fi
numaplace list --json | json >/tmp/list.flat
expect dcg.ledger.name "$(jget /tmp/list.flat 'workloads[0].name' | tr -d '"')" spill
stop_in np-dcg/spill

# --- a group below --adopt-cgroups is adopted ---------------------------------------------------
mkdir -p $CG/np-dcg/adopt
start_in np-dcg/adopt 2 "$cpusG"
numaplace daemon --once --interval 0.5 --adopt-cgroups 'np-dcg/*' 2>/tmp/a.err
expect dcg.adopt.status "$?" 0
sed 's/^/INFO dcg.adopt: /' /tmp/a.err
if grep -q "adopt (group np-dcg/adopt): adopted on node" /tmp/a.err; then
	pass dcg.adopt.logged "$(grep 'adopted on' /tmp/a.err)"
else
	fail dcg.adopt.logged "no adoption of np-dcg/adopt logged"
fi
numaplace list --json | json >/tmp/list.flat
i=0
while [ $i -lt 4 ] && [ "$(jget /tmp/list.flat "workloads[$i].name" | tr -d '"')" != adopt ]; do
	i=$((i + 1))
done
nodes=$(jarray /tmp/list.flat "workloads[$i].nodes")
expect dcg.adopt.name "$(jget /tmp/list.flat "workloads[$i].name" | tr -d '"')" adopt
expect dcg.adopt.mems "$(expand_list "$(cat $CG/np-dcg/adopt/cpuset.mems)")" "$nodes"
most_on dcg.adopt.on-nodes np-dcg/adopt "$nodes"
stop_in np-dcg/adopt
