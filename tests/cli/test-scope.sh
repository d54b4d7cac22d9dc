#!/bin/sh
# `numaplace run --scope` against a copy of the plain-file cgroup tree (tests/fixtures/cgroup,
# NUMAPLACE_CGROUP_ROOT): the command runs in numaplace.slice/NAME.scope, whose cpuset.cpus,
# cpuset.mems and cgroup.procs hold its placement and its pid; `list` shows it as a scope with
# its group, `list --json` its kind, group and id, `info -n` counts workloads by kind; once the
# group is empty (cgroup.events) the next transaction prunes the claim and removes the group;
# every refusal leaves the tree and the ledger as they were.
# usage: test-scope.sh NUMAPLACE FIXTURES
set -u
np=$1
fixtures=$2
. "$(dirname "$0")/lib.sh"

cg=$tmp/cg
cp -a "$fixtures/cgroup" "$cg"
top=$cg/sys/fs/cgroup
mkdir "$top/numaplace.slice"
echo "cpuset cpu memory pids" >"$top/numaplace.slice/cgroup.controllers"
echo "memory" >"$top/numaplace.slice/cgroup.subtree_control"
echo "domain" >"$top/numaplace.slice/cgroup.type"
export NUMAPLACE_CGROUP_ROOT=$cg
origin=$top/user.slice/user-1000.slice/session-1.scope

# same_tree WHAT: the tree is what $tmp/tree.before holds, byte for byte
snapshot() {
	rm -rf "$tmp/tree.before"
	cp -a "$cg" "$tmp/tree.before"
}
same_tree() {
	if diff -r "$tmp/tree.before" "$cg" >"$tmp/tree.diff" 2>&1; then ok; else
		bad "$1: the cgroup tree changed"
		head -10 "$tmp/tree.diff"
	fi
}
node0=$(cat /sys/devices/system/node/node0/cpulist)

# --- the command runs in its group, which holds its placement ---------------------------
"$np" run --scope --name web --memory 64M --nodes 0 -- \
	sh -c 'echo "pid $$"; exec cat /proc/self/status' >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "run --scope: exit status ($(cat "$tmp/err"))"
pid=$(sed -n 's/^pid //p' "$tmp/out")
[ -d "$top/numaplace.slice/web.scope" ] && ok || bad "numaplace.slice/web.scope was made"
[ "$(cat "$top/numaplace.slice/web.scope/cgroup.procs")" = "$pid" ] && ok ||
	bad "cgroup.procs holds the command's pid $pid: $(cat "$top/numaplace.slice/web.scope/cgroup.procs")"
[ "$(cat "$top/numaplace.slice/web.scope/cpuset.cpus")" = "$node0" ] && ok ||
	bad "cpuset.cpus is node 0's CPUs"
[ "$(cat "$top/numaplace.slice/web.scope/cpuset.mems")" = 0 ] && ok || bad "cpuset.mems is 0"
grep -q "^Cpus_allowed_list:	$node0\$" "$tmp/out" && ok || bad "the command's affinity"
[ "$(json "[x['kind'] for x in w if x['name'] == 'web'][0]")" = scope ] && ok ||
	bad "list --json: kind scope"
[ "$(json "[x['cgroup'] for x in w if x['name'] == 'web'][0]")" = numaplace.slice/web.scope ] &&
	ok || bad "list --json: cgroup"
[ "$(json "[x['cgroup_id'] for x in w if x['name'] == 'web'][0]")" = \
	"$(stat -c %i "$top/numaplace.slice/web.scope")" ] && ok || bad "list --json: cgroup_id"
[ "$(json "[x['pid'] for x in w if x['name'] == 'web'][0]")" = "$pid" ] && ok ||
	bad "list --json: the command's pid"
# the process has exited, the kernel would say the group is empty: pruned, and removed
echo "populated 0" >"$top/numaplace.slice/web.scope/cgroup.events"
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'web'][0]")" = "group empty" ] && ok ||
	bad "an empty scope is pruned ('group empty')"
[ ! -e "$top/numaplace.slice/web.scope" ] && ok || bad "an empty scope is removed"
[ -d "$top/numaplace.slice" ] && ok || bad "numaplace.slice stays"

# nothing fits: it runs unplaced, in its group all the same, whose cpuset is its parent's
"$np" run --scope --name big --memory 64P -- sh -c 'echo "pid $$"' >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "run --scope unplaced: exit status"
grep_err "no NUMA placement fits: .*; running unplaced" "run --scope unplaced"
[ "$(cat "$top/numaplace.slice/big.scope/cgroup.procs")" = "$(sed -n 's/^pid //p' "$tmp/out")" ] &&
	ok || bad "run --scope unplaced: in its group"
[ ! -e "$top/numaplace.slice/big.scope/cpuset.cpus" ] && [ ! -e "$top/numaplace.slice/big.scope/cpuset.mems" ] &&
	ok || bad "run --scope unplaced: no cpuset written"
echo "populated 0" >"$top/numaplace.slice/big.scope/cgroup.events"
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'big'][0]")" = "group empty" ] && ok ||
	bad "run --scope unplaced: pruned once empty"

# --- list and info while a scope and a process run -------------------------------------
"$np" run --scope --name sleeper --memory 64M --vcpus 2 -- sleep 30 &
spid=$!
"$np" run --name plain --memory 32M -- sleep 30 &
ppid=$!
wait_listed sleeper && ok || bad "the scope is listed while it runs"
wait_listed plain && ok || bad "the process is listed while it runs"
"$np" list >"$tmp/out" 2>&1
head -n 1 "$tmp/out" | grep -Eq '^NAME +KIND +PID +NODES +CPUS +VCPUS +POLICY +AGE +MOVES +MEMORY \(claimed/resident\) +GROUP +COMMAND$' &&
	ok || bad "list: the header has KIND and GROUP: $(head -n 1 "$tmp/out")"
grep -Eq "^sleeper +scope +$spid +0 +$node0 +2 .* numaplace\.slice/sleeper\.scope +sleep 30\$" \
	"$tmp/out" && ok || bad "list: the scope's row"
grep -Eq "^plain +process +$ppid +0 +$node0 +1 .* - +sleep 30\$" "$tmp/out" && ok ||
	bad "list: the process's row (no group)"
[ "$(cat "$top/numaplace.slice/sleeper.scope/cgroup.procs")" = "$spid" ] && ok ||
	bad "the scope's cgroup.procs"
"$np" info -n >"$tmp/out" 2>&1
grep -q "^workloads: 2 (process 1, scope 1)\$" "$tmp/out" && ok ||
	bad "info -n counts the workloads by kind: $(grep workloads: "$tmp/out")"
"$np" info --json >"$tmp/info.json" 2>&1
[ "$(python3 -c "import json; j=json.load(open('$tmp/info.json'))['workloads']; print(j['total'], j['process'], j['scope'], j['group'])")" = "2 1 1 0" ] &&
	ok || bad "info --json: workloads by kind"

# --- refusals: the tree and the ledger as they were ------------------------------------
# what the kernel shows after the runs above (a plain file keeps only the last word written)
echo "cpuset memory" >"$top/numaplace.slice/cgroup.subtree_control"
snapshot
dump >"$tmp/before"
expect 1 "a group of that name" -- "$np" run --scope --name sleeper --memory 64M -- true
grep_err "numaplace: cannot start 'true' in a group of its own: group 'numaplace.slice/sleeper.scope' already exists" \
	"a group of that name"
same_tree "a group of that name"
same_ledger "a group of that name"
expect 1 "a parent that cannot be made" -- \
	"$np" run --scope --parent nothere/x --memory 64M -- true
grep_err "numaplace: cannot start 'true' in a group of its own: no such group 'nothere' to make 'x' in" \
	"a parent that cannot be made"
same_tree "a parent that cannot be made"
same_ledger "a parent that cannot be made"
expect 1 "a threaded parent" -- "$np" run --scope --parent threaded --memory 64M -- true
grep_err "'threaded' is a threaded group: it cannot hold a group of processes" "a threaded parent"
same_tree "a threaded parent"
expect 1 "outside the mount" -- "$np" run --scope --parent /sys --memory 64M -- true
grep_err "outside the cgroup mount /sys/fs/cgroup" "outside the mount"
same_tree "outside the mount"
cp "$top/cgroup.controllers" "$tmp/controllers"
cp "$top/cgroup.subtree_control" "$tmp/subtree_control"
echo "cpu io memory pids" >"$top/cgroup.controllers"
echo "cpu memory pids" >"$top/cgroup.subtree_control"
snapshot
expect 1 "cpuset not offered" -- "$np" run --scope --memory 64M -- true
grep_err "numaplace: cannot start 'true' in a group of its own: the cpuset controller is not available in group '/' (not in its cgroup.controllers)" \
	"cpuset not offered"
same_tree "cpuset not offered"
same_ledger "cpuset not offered"
cp "$tmp/controllers" "$top/cgroup.controllers"
cp "$tmp/subtree_control" "$top/cgroup.subtree_control"
mkdir -p "$tmp/v1/proc/self"
echo "31 25 0:27 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset" >"$tmp/v1/proc/self/mountinfo"
expect 1 "cgroup v1 only" -- env NUMAPLACE_CGROUP_ROOT="$tmp/v1" \
	"$np" run --scope --memory 64M -- true
grep_err "numaplace: cannot start 'true' in a group of its own: only cgroup v1 is mounted" \
	"cgroup v1 only"
echo "22 1 0:21 / /sys rw - sysfs sysfs rw" >"$tmp/v1/proc/self/mountinfo"
expect 1 "no cgroup2 mount" -- env NUMAPLACE_CGROUP_ROOT="$tmp/v1" \
	"$np" run --scope --memory 64M -- true
grep_err "numaplace: cannot start 'true' in a group of its own: no cgroup2 filesystem is mounted" \
	"no cgroup2 mount"
same_ledger "no cgroup2 mount"
expect 2 "--parent without --scope" -- "$np" run --parent x --memory 64M -- true
grep_err "give --scope" "--parent without --scope"
# the command cannot be run: the claim taken back, the process back home, the group removed
expect 1 "exec fails" -- "$np" run --scope --name gone --memory 64M -- /nonexistent/cmd
grep_err "cannot run '/nonexistent/cmd': No such file or directory" "exec fails"
[ ! -e "$top/numaplace.slice/gone.scope" ] && ok || bad "exec fails: the group is removed"
[ -n "$(cat "$origin/cgroup.procs")" ] && ok || bad "exec fails: moved back to its group"
same_ledger "exec fails"

# --- placed again as its group: the same row moves, still a scope ----------------------
# what the kernel shows in a group with a memory controller (taken from the fixture's)
for f in memory.current memory.numa_stat cgroup.threads cgroup.type; do
	cp "$top/machine.slice/libpod-3f2a9c0e1d.scope/$f" "$top/numaplace.slice/sleeper.scope/"
done
echo "$spid" >"$top/numaplace.slice/sleeper.scope/cgroup.procs"
expect 0 "place --cgroup of a scope" -- \
	"$np" place --cgroup numaplace.slice/sleeper.scope --nodes 0 --memory 64M --vcpus 2
grep -q "^placed group numaplace.slice/sleeper.scope on node 0" "$tmp/out" && ok ||
	bad "place --cgroup of a scope: $(cat "$tmp/out" "$tmp/err")"
[ "$(json "[(x['kind'], x['moves'], x['pid']) for x in w if x['name'] == 'sleeper'][0]")" = \
	"('scope', 1, $spid)" ] && ok || bad "the scope's row was moved, not replaced"

# --- the daemon judges and moves a scope as the group it is ---------------------------------
printf 'anon N0=0 N1=104857600\nfile N0=0 N1=0\n' >"$top/numaplace.slice/sleeper.scope/memory.numa_stat"
"$np" daemon --once --interval 0.1 --min-gap 0 --sysfs-root "$fixtures/sysfs/two-node" \
	>"$tmp/out" 2>"$tmp/err"
grep_err "sleeper (scope numaplace.slice/sleeper.scope): move: 100% (100 MiB) of its memory off node 0" \
	"the daemon judges a scope by its group"
grep_err "sleeper (scope numaplace.slice/sleeper.scope): not moved (--dry-run)" \
	"the daemon judges a scope by its group"
cp "$top/machine.slice/libpod-3f2a9c0e1d.scope/memory.numa_stat" "$top/numaplace.slice/sleeper.scope/"

# --- the scope ends: pruned with its group, its claim gone -----------------------------
kill "$spid" "$ppid"
wait "$spid" "$ppid" 2>/dev/null
echo "populated 0" >"$top/numaplace.slice/sleeper.scope/cgroup.events"
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'sleeper'][0]")" = "group empty" ] &&
	ok || bad "the ended scope is pruned"
[ ! -e "$top/numaplace.slice/sleeper.scope" ] && ok || bad "the ended scope's group is removed"
[ "$(json "len([x for x in w if x['live']])")" = 0 ] && ok || bad "no live claim is left"

# --- forget: a scope's group goes with its claim once no process is in it -----------------
"$np" run --scope --name keep --memory 64M -- sleep 30 &
kpid=$!
wait_listed keep && ok || bad "the scope to keep is listed while it runs"
expect 0 "forget a scope still running" -- "$np" forget keep
[ "$(cat "$tmp/err")" = "numaplace: forgot 'keep'; its group 'numaplace.slice/keep.scope' still holds processes: it stays" ] &&
	ok || bad "forget a scope still running: stderr: $(cat "$tmp/err")"
[ -d "$top/numaplace.slice/keep.scope" ] && ok || bad "a running scope's group was removed"
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'keep'][0]")" = "forgotten" ] && ok ||
	bad "forget a scope still running: its claim stays"
kill "$kpid"
wait "$kpid" 2>/dev/null
"$np" run --scope --name done --memory 64M -- true >/dev/null 2>&1 && ok || bad "run --scope true"
: >"$top/numaplace.slice/done.scope/cgroup.procs" # what the kernel shows once it exited
expect 0 "forget an empty scope" -- "$np" forget done
[ ! -s "$tmp/err" ] && ok || bad "forget an empty scope: stderr: $(cat "$tmp/err")"
[ ! -e "$top/numaplace.slice/done.scope" ] && ok || bad "an empty scope's group stays after forget"
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'done'][0]")" = "forgotten" ] && ok ||
	bad "forget an empty scope: its claim stays"
# a group numaplace did not make stays, empty or not
mkdir "$top/system.slice/idle.service"
for f in memory.current memory.numa_stat cgroup.threads cgroup.type cgroup.controllers; do
	cp "$top/machine.slice/libpod-3f2a9c0e1d.scope/$f" "$top/system.slice/idle.service/"
done
: >"$top/system.slice/idle.service/cpuset.cpus"
: >"$top/system.slice/idle.service/cpuset.mems"
: >"$top/system.slice/idle.service/cgroup.procs"
expect 0 "place --cgroup of an empty group" -- \
	"$np" place --cgroup system.slice/idle.service --nodes 0 --memory 64M --vcpus 1
expect 0 "forget a group" -- "$np" forget idle.service
[ ! -s "$tmp/err" ] && ok || bad "forget a group: stderr: $(cat "$tmp/err")"
[ -d "$top/system.slice/idle.service" ] && ok || bad "forget removed a group numaplace did not make"

# --- concurrency: 10 run --scope and 10 place --cgroup at once where only 5 fit ------------
# A sysfs tree of this host's node 0 with 5.5 GiB free; every workload claims 1 GiB (the groups
# of the copy hold no process, so nothing is resident), so 5 fit, whichever kind wins the lock.
if [ -r /sys/devices/system/node/node0/cpulist ]; then
	root=$tmp/sysfs
	nd=/sys/devices/system/node
	mkdir -p "$root$nd/node0" "$root/sys/devices/system/cpu"
	for f in online possible has_cpu has_memory; do echo 0 >"$root$nd/$f"; done
	cpus=$(cat $nd/node0/cpulist)
	echo "$cpus" >"$root$nd/node0/cpulist"
	echo "$cpus" >"$root/sys/devices/system/cpu/online"
	echo "$cpus" >"$root/sys/devices/system/cpu/possible"
	echo 10 >"$root$nd/node0/distance"
	printf 'Node 0 MemTotal:       16777216 kB\nNode 0 MemFree:         5767168 kB\nNode 0 Inactive(file):        0 kB\n' \
		>"$root$nd/node0/meminfo"
	export NUMAPLACE_STATE_DIR="$tmp/state20"
	i=0
	while [ $i -lt 10 ]; do
		g=$top/machine.slice/c$i.scope
		mkdir "$g"
		for f in memory.current cgroup.type; do
			cp "$top/machine.slice/libpod-3f2a9c0e1d.scope/$f" "$g/"
		done
		printf 'anon N0=0\nfile N0=0\n' >"$g/memory.numa_stat"
		for f in cgroup.procs cgroup.threads cpuset.cpus cpuset.mems; do : >"$g/$f"; done
		i=$((i + 1))
	done
	i=0
	while [ $i -lt 10 ]; do
		("$np" place --cgroup machine.slice/c$i.scope --sysfs-root "$root" --memory 1G \
			--vcpus 1 >"$tmp/out.p$i" 2>"$tmp/err.p$i"
		echo $? >"$tmp/code.p$i") &
		("$np" run --scope --name s$i --sysfs-root "$root" --require-placement --memory 1G \
			-- true >"$tmp/out.s$i" 2>"$tmp/err.s$i"
		echo $? >"$tmp/code.s$i") &
		i=$((i + 1))
	done
	wait
	placed=$(grep -lx 0 "$tmp"/code.* | wc -l)
	nofit=$(grep -lx 3 "$tmp"/code.* | wc -l)
	[ "$placed" -eq 5 ] && ok || bad "20 at once: $placed placed, expected 5: $(cat "$tmp"/err.* | sort | uniq -c)"
	[ "$nofit" -eq 15 ] && ok || bad "20 at once: $nofit exited 3, expected 15"
	# the scopes' commands exited, their groups (plain directories here) hold the pid written:
	# every claim is still live, and together they fit the node
	"$np" list --json >"$tmp/list20.json"
	python3 -c "import json
w = json.load(open('$tmp/list20.json'))['workloads']
claimed = sum(c['bytes'] for x in w for c in x['claimed'])
assert len(w) == 5, [x['name'] for x in w]
assert claimed == 5 << 30 and claimed <= 5767168 << 10, claimed
assert {x['kind'] for x in w} <= {'group', 'scope'}, w" && ok ||
		bad "20 at once: list --json: $(cat "$tmp/list20.json")"
	unset NUMAPLACE_STATE_DIR
fi

echo "scope: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
