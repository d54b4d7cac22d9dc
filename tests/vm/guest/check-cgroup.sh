#!/bin/sh
# `numaplace place --cgroup` (and --unit, --container, --vm) on the guest's real cgroup v2
# hierarchy (mounted by /init):
# - a group of three touchers started inside it on node 0's CPUs: a dry run reads its
#   memory.current, its memory.numa_stat (at least 90% of it on node 0), its three processes
#   and threads, and says nearly all of it would move to the last node with CPUs;
# - the same group named as a systemd unit, a podman container and a libvirt VM would name it
#   (created by hand with those names) is found and measured;
# - a threaded group, '..', a symlink and a missing group are refused, and nothing changed;
# - without --dry-run the placement is refused until the ledger records groups, and the
#   hierarchy is as it was (no cpuset enabled, cpuset.mems untouched);
# - the cpuset writer (np-cgroup-apply) on another group of three: cpuset.mems.effective is
#   the target, at least 90% of memory.numa_stat is there after, every member and a child
#   forked after run on its CPUs, and taskset to node 0's CPUs does not take a member out.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-cgroup
CG=/sys/fs/cgroup

if ! grep -qw cpuset $CG/cgroup.controllers 2>/dev/null ||
	! grep -qw memory $CG/cgroup.controllers; then
	fail cgroup.controllers "no cgroup2 with cpuset and memory: $(cat $CG/cgroup.controllers 2>&1)"
	exit 0
fi
echo +memory >$CG/cgroup.subtree_control
echo +cpu >$CG/cgroup.subtree_control 2>/dev/null

# group DIR: create DIR below the mount with memory accounting handed down to it.
group() {
	local p=""
	for part in $(echo "$1" | tr '/' ' '); do
		p="$p${p:+/}$part"
		mkdir -p "$CG/$p"
		[ "$p" = "$1" ] && continue
		echo +memory >"$CG/$p/cgroup.subtree_control"
		echo +cpu >"$CG/$p/cgroup.subtree_control" 2>/dev/null
	done
}
# start_in DIR N CPUS: N touchers of 32 MiB started inside group DIR on CPUS.
start_in() {
	local i=0
	while [ $i -lt "$2" ]; do
		sh -c "echo \$\$ >'$CG/$1/cgroup.procs'; exec taskset -c $3 toucher 32" \
			>/tmp/t.$i.out &
		wait_line /tmp/t.$i.out TOUCHED 300 $! || fail cgroup.start "$(cat /tmp/t.$i.out)"
		i=$((i + 1))
	done
}
# stop_in DIR: end the processes of group DIR (their memory freed for the next group).
stop_in() {
	local n=0
	kill $(cat "$CG/$1/cgroup.procs") 2>/dev/null
	while [ -n "$(cat "$CG/$1/cgroup.procs")" ] && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
# place NAME ARGS...: numaplace place --json ARGS into /tmp/NAME.flat; returns its status.
place() {
	local name=$1 rc
	shift
	numaplace place --json "$@" >/tmp/$name.json 2>/tmp/$name.err
	rc=$?
	json </tmp/$name.json >/tmp/$name.flat 2>/dev/null
	[ $rc -eq 0 ] || echo "INFO $name: status $rc: $(cat /tmp/$name.err)"
	return $rc
}
field() {
	sed -n "s/^$2=//p" "/tmp/$1.flat" | tr -d '"'
}
# on_node FLAT KEY NODE: bytes of array KEY on NODE.
on_node() {
	awk -F= -v k="$2" -v want="$3" '
		index($1, k "[") == 1 && $1 ~ /\.node$/ { n = $2 }
		index($1, k "[") == 1 && $1 ~ /\.bytes$/ && n == want { print $2 }' "/tmp/$1.flat"
}
# measured NAME PATH: the dry run of NAME reports group PATH, 3 processes, at least 90% of the
# 96 MiB its touchers wrote (seen: 94.5 MiB in memory.current on the 4-node guest), 90% of it
# on node 0 and 90% of it to move.
measured() {
	local cur n0 move
	expect $1.status $? 0
	expect $1.cgroup "$(field $1 cgroup)" "$2"
	expect $1.processes "$(field $1 processes)" 3
	expect $1.threads "$(field $1 threads)" 3
	cur=$(field $1 memory_current)
	n0=$(on_node $1 resident 0)
	move=$(field $1 migrate.to_move_bytes)
	[ $((${cur:-0} * 10)) -ge $((96 * 9 << 20)) ] && pass $1.memory "$cur" ||
		fail $1.memory "memory.current $cur, want >= 90% of 96 MiB"
	[ $((${n0:-0} * 10)) -ge $((cur * 9)) ] && pass $1.node0 "$n0 of $cur on node 0" ||
		fail $1.node0 "$n0 of $cur on node 0"
	[ $((${move:-0} * 10)) -ge $((cur * 9)) ] && pass $1.to_move "$move" ||
		fail $1.to_move "$move of $cur to move"
}

set -- $(cpu_nodes)
shift $(($# - 1))
target=$1
cpus0=$(cat /sys/devices/system/node/node0/cpulist)

group np/grp
start_in np/grp 3 "$cpus0"
place cg.dry --cgroup np/grp --nodes $target --dry-run
measured cg.dry np/grp
# the text report, for docs/cgroups.md
numaplace place --cgroup np/grp --nodes $target --dry-run | sed 's/^/INFO cg.text: /'
place cg.abs --cgroup $CG/np/grp --nodes $target --dry-run
expect cg.abs.cgroup "$(field cg.abs cgroup)" np/grp
expect cg.vcpus "$(field cg.dry vcpus)" 3
echo "50000 100000" >$CG/np/grp/cpu.max 2>/dev/null &&
	{ place cg.quota --cgroup np/grp --dry-run; expect cg.quota.vcpus "$(field cg.quota vcpus)" 1; }
stop_in np/grp

# the names users know, made by hand as systemd, podman and libvirt would
for spec in "unit:np-web:system.slice/np-web.service" \
	"container:3f2a9c:machine.slice/libpod-3f2a9c0e1d77.scope" \
	"vm:db-1:machine.slice/machine-qemu\\x2d7\\x2ddb\\x2d1.scope"; do
	kind=${spec%%:*}
	rest=${spec#*:}
	name=${rest%%:*}
	path=${rest#*:}
	group "$path"
	start_in "$path" 3 "$cpus0"
	place cg.$kind --$kind "$name" --nodes $target --dry-run
	measured cg.$kind "$path"
	stop_in "$path"
done
mkdir $CG/machine.slice/libpod-3f2a9c5555.scope
place cg.ambiguous --container 3f2a9c --dry-run
expect cg.ambiguous.status $? 1
grep -q "ambiguous: 2 groups match" /tmp/cg.ambiguous.err && pass cg.ambiguous.err ok ||
	fail cg.ambiguous.err "$(cat /tmp/cg.ambiguous.err)"

# refusals, and the hierarchy unchanged by them and by a placement not yet recorded
mkdir -p $CG/np/thr/t && echo threaded >$CG/np/thr/t/cgroup.type
ln -s $CG/np /tmp/np-link
before=$(cat $CG/cgroup.subtree_control $CG/np/cgroup.subtree_control)
for bad in "np/thr/t:threaded group" "np/../..:'..' is not allowed" \
	"/tmp/np-link/grp:outside the cgroup mount" "np/nope:no such group" \
	"np/grp:cannot record a group yet"; do
	g=${bad%%:*}
	want=${bad#*:}
	dry=--dry-run
	[ "$g" = np/grp ] && dry=
	numaplace place --cgroup "$g" $dry >/tmp/bad.out 2>/tmp/bad.err
	rc=$?
	[ $rc -eq 1 ] && grep -q "$want" /tmp/bad.err && pass "cg.refused.$g" "$(cat /tmp/bad.err)" ||
		fail "cg.refused.$g" "status $rc: $(cat /tmp/bad.err)"
done
expect cg.unchanged "$(cat $CG/cgroup.subtree_control $CG/np/cgroup.subtree_control)" "$before"
[ ! -e $CG/np/grp/cpuset.mems ] && pass cg.no-cpuset "cpuset not enabled" ||
	fail cg.no-cpuset "cpuset.mems appeared: $(cat $CG/np/grp/cpuset.mems)"
[ ! -e "$NUMAPLACE_STATE_DIR" ] && pass cg.ledger "no ledger created" ||
	fail cg.ledger "$(ls -la $NUMAPLACE_STATE_DIR)"

# the cpuset writer itself (np__cgroup_apply(), what place --cgroup applies once the ledger
# records groups): the pages move with cpuset.mems, the members and a child forked later run
# on the new CPUs, and an affinity outside them does not take a member out
group np/app
start_in np/app 3 "$cpus0"
tcpus=$(cat /sys/devices/system/node/node$target/cpulist)
np-cgroup-apply np/app "$tcpus" $target >/tmp/apply.out 2>&1
expect cg.apply.status $? 0
echo "INFO cg.apply: $(cat /tmp/apply.out | tr '\n' ' ')"
expect cg.apply.subtree "$(grep -ow cpuset $CG/np/cgroup.subtree_control)" cpuset
expect cg.apply.mems "$(cat $CG/np/app/cpuset.mems.effective)" $target
expect cg.apply.cpus "$(cat $CG/np/app/cpuset.cpus.effective)" "$tcpus"
after=$(sed -n 's/^AFTER //p' /tmp/apply.out)
on_t=0 all=0
for w in $after; do
	all=$((all + ${w#*:}))
	[ "${w%%:*}" = $target ] && on_t=$((on_t + ${w#*:}))
done
[ $all -gt 0 ] && [ $((on_t * 10)) -ge $((all * 9)) ] && pass cg.apply.moved "$on_t of $all on node $target" ||
	fail cg.apply.moved "$on_t of $all on node $target ($after)"
for p in $(cat $CG/np/app/cgroup.procs); do
	expect cg.apply.member.$p "$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$p/status)" "$tcpus"
done
child=$(sh -c "echo \$\$ >$CG/np/app/cgroup.procs; sh -c 'grep -E \"^(Cpus|Mems)_allowed_list\" /proc/self/status'" | cut -f2 | paste -sd' ')
expect cg.apply.child "$child" "$tcpus $target"
p=$(head -1 $CG/np/app/cgroup.procs)
taskset -p -c "$cpus0" $p >/dev/null 2>&1
expect cg.apply.escape "$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$p/status)" "$tcpus"

kill $(cat $CG/np/grp/cgroup.procs $CG/np/app/cgroup.procs $CG/system.slice/np-web.service/cgroup.procs \
	$CG/machine.slice/*.scope/cgroup.procs 2>/dev/null) 2>/dev/null
wait
