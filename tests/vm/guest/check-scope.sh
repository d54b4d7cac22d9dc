#!/bin/sh
# `numaplace run --scope` on the guest's real cgroup v2 hierarchy (mounted by /init):
# - `run --scope --name sc --nodes 2 -- sh -c ...` makes numaplace.slice (missing before) and
#   numaplace.slice/sc.scope; the command's /proc/self/cgroup is that group, its
#   cpuset.mems.effective is 2 and cpuset.cpus.effective node 2's CPUs; a child forked later
#   runs on node 2's CPUs, a taskset to every CPU of the host leaves it on node 2's, one to
#   CPU 0 alone is refused by the kernel; pages a child touches are on node 2;
# - `list` shows it as a scope with its group and pid;
# - once it has exited, the next transaction (`list`) prunes it ("group empty") and removes
#   the group; numaplace.slice stays;
# - a placement refused after the process entered its group (a name the ledger refuses) moves
#   it back, removes the group, and a parent made for it, and leaves every
#   cgroup.subtree_control as it was.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-scope
CG=/sys/fs/cgroup
NODE=2

if ! grep -qw cpuset $CG/cgroup.controllers 2>/dev/null; then
	fail scope.controllers "no cgroup2 with cpuset: $(cat $CG/cgroup.controllers 2>&1)"
	exit 0
fi
cpus2=$(cat /sys/devices/system/node/node$NODE/cpulist)
ncpus=$(grep -c '^processor' /proc/cpuinfo)
expect scope.no-slice-before "$([ -e $CG/numaplace.slice ] && echo present || echo absent)" absent

# The command: where it is, then a child, tasksets, a toucher; then it waits.
cat >/tmp/cpus.sh <<'EOF'
awk '$1 == "Cpus_allowed_list:" { print $2 }' /proc/self/status
EOF
cat >/tmp/inside.sh <<EOF
g=\$(sed -n 's/^0:://p' /proc/self/cgroup)
echo "\$g" >/tmp/sc.group
cat $CG\$g/cpuset.mems.effective >/tmp/sc.mems
cat $CG\$g/cpuset.cpus.effective >/tmp/sc.cpus
sh /tmp/cpus.sh >/tmp/sc.child
taskset -c 0-$((ncpus - 1)) sh /tmp/cpus.sh >/tmp/sc.taskset-all 2>&1
taskset -c 0 sh -c 'echo ran' >/tmp/sc.taskset-0 2>&1
echo \$? >/tmp/sc.taskset-0.rc
toucher 16 >/tmp/sc.toucher &
echo \$! >/tmp/sc.toucher.pid
echo ready >/tmp/sc.ready
exec sleep 600
EOF
numaplace run --scope --name sc --nodes $NODE --memory 32M -- sh /tmp/inside.sh \
	>/tmp/sc.out 2>/tmp/sc.err &
SC=$!
if ! wait_line /tmp/sc.ready ready 300 $SC; then
	fail scope.start "$(cat /tmp/sc.out /tmp/sc.err)"
	exit 0
fi
expect scope.group "$(cat /tmp/sc.group)" /numaplace.slice/sc.scope
expect scope.slice-made "$([ -d $CG/numaplace.slice ] && echo made)" made
expect scope.procs-has-pid "$(grep -cx "$SC" $CG/numaplace.slice/sc.scope/cgroup.procs)" 1
expect scope.mems-effective "$(cat /tmp/sc.mems)" $NODE
expect scope.cpus-effective "$(cat /tmp/sc.cpus)" "$cpus2"
expect scope.child-cpus "$(cat /tmp/sc.child)" "$cpus2"
expect scope.taskset-all-cpus "$(cat /tmp/sc.taskset-all)" "$cpus2"
expect scope.taskset-cpu0-refused \
	"$([ "$(cat /tmp/sc.taskset-0.rc)" != 0 ] && ! grep -q ran /tmp/sc.taskset-0 && echo refused)" \
	refused
expect scope.slice-hands-cpuset \
	"$(grep -cw cpuset $CG/numaplace.slice/cgroup.subtree_control)" 1
tp=$(cat /tmp/sc.toucher.pid)
if wait_line /tmp/sc.toucher TOUCHED 300 "$tp"; then
	addr=$(touched_field /tmp/sc.toucher addr)
	pages=$(touched_field /tmp/sc.toucher pages)
	expect scope.child-pages "$(pages_on "$tp" "$addr" $NODE) of $pages on node $NODE ($(maps_nodes "$tp" "$addr"))" \
		"$pages of $pages on node $NODE ($(maps_nodes "$tp" "$addr"))"
	expect scope.child-in-group "$(sed -n 's/^0:://p' /proc/$tp/cgroup)" /numaplace.slice/sc.scope
else
	fail scope.child-pages "no TOUCHED line: $(cat /tmp/sc.toucher)"
fi

numaplace list >/tmp/list.out 2>&1
row=$(awk '$1 == "sc"' /tmp/list.out)
expect scope.list-kind "$(echo "$row" | awk '{ print $2 }')" scope
expect scope.list-pid "$(echo "$row" | awk '{ print $3 }')" "$SC"
expect scope.list-nodes "$(echo "$row" | awk '{ print $4 }')" $NODE
expect scope.list-group "$(echo "$row" | grep -o ' numaplace\.slice/sc\.scope  sh /tmp/inside\.sh$')" \
	" numaplace.slice/sc.scope  sh /tmp/inside.sh"
numaplace info -n >/tmp/info.out 2>&1
expect scope.info-kinds "$(grep '^workloads:' /tmp/info.out)" "workloads: 1 (scope 1)"

# It ends: the next transaction prunes the claim and removes the group.
kill "$tp" "$SC" 2>/dev/null
wait "$SC" 2>/dev/null
n=0
while [ -d $CG/numaplace.slice/sc.scope ] && [ $n -lt 50 ]; do
	numaplace list >/dev/null 2>&1
	sleep 0.1
	n=$((n + 1))
done
expect scope.group-removed "$([ -e $CG/numaplace.slice/sc.scope ] && echo present || echo removed)" \
	removed
numaplace list --all >/tmp/list.out 2>&1
expect scope.pruned "$(awk '$1 == "sc" { print $9, $10 }' /tmp/list.out)" "group empty"
expect scope.no-live-claim "$(numaplace list | awk 'NR > 1' | wc -l)" 0
expect scope.slice-stays "$([ -d $CG/numaplace.slice ] && echo stays)" stays

# Refused after entering the group (an all-digit name is not a workload name): undone.
cat $CG/cgroup.subtree_control $CG/numaplace.slice/cgroup.subtree_control >/tmp/subtree.before
numaplace run --scope --name 1234 --nodes $NODE --memory 32M -- true >/tmp/bad.out 2>&1
expect scope.bad-name-status $? 2
expect scope.bad-name-group "$([ -e $CG/numaplace.slice/1234.scope ] && echo present || echo absent)" \
	absent
numaplace run --scope --parent np-new.slice --name 1234 --nodes $NODE --memory 32M -- true \
	>/tmp/bad2.out 2>&1
expect scope.bad-name-parent-status $? 2
expect scope.bad-name-parent-removed "$([ -e $CG/np-new.slice ] && echo present || echo absent)" \
	absent
cat $CG/cgroup.subtree_control $CG/numaplace.slice/cgroup.subtree_control >/tmp/subtree.after
expect scope.bad-name-subtree-control "$(cmp -s /tmp/subtree.before /tmp/subtree.after && echo same)" \
	same
expect scope.bad-name-no-claim "$(numaplace list | awk 'NR > 1' | wc -l)" 0
