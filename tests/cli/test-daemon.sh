#!/bin/sh
# `numaplace daemon` on this machine: --once runs one interval and exits cleanly; SIGTERM and
# SIGINT stop it with exit 0 and the ledger whole; --adopt-threshold adopts an unmanaged
# process (never a kernel thread, never an excluded one); groups of a plain-file cgroup tree
# are judged from memory.numa_stat, moved by their cpuset and adopted with --adopt-cgroups,
# and a workload placed near devices keeps their node; decisions are logged on stderr.
# Real moves between nodes need more than one node: the VM suite checks them.
# usage: test-daemon.sh NUMAPLACE NP-THREADS
set -u
np=$1
helper=$2
fail=0
pass=0
tmp=$(mktemp -d)
helpers=
trap 'kill $helpers 2>/dev/null; rm -rf "$tmp"' EXIT
export NUMAPLACE_STATE_DIR="$tmp/state"
export NUMAPLACE_CONFIG= # the built-in defaults, whatever /etc/numaplace holds
db="$NUMAPLACE_STATE_DIR/ledger.db"
# the helpers' name (their comm) is this run's own, so --adopt-only "$name" can only pick
# processes of this run, whatever else runs on the machine (another run of the suite); the
# ledger names a workload after its command line's first word: np-threads-PID still
name="npd-$$"

if [ ! -r /proc/self/numa_maps ]; then
	echo "SKIP: this kernel has no NUMA support (/proc/self/numa_maps is missing)"
	exit 77
fi
for tool in sqlite3 python3; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool is needed to inspect the ledger"
		exit 77
	fi
done
ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
grep_err() {
	if grep -q -- "$1" "$tmp/err"; then ok; else
		bad "$2: stderr lacks '$1'"
		sed 's/^/  | /' "$tmp/err"
	fi
}
integrity() {
	[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] && ok || bad "$1: integrity_check"
}
py() {
	python3 -c "import json; j=json.load(open('$2')); print($1)"
}
start_helper() {
	"$helper" --name "$name" "$@" >"$tmp/helper.out" 2>&1 &
	hpid=$!
	helpers="$helpers $hpid"
	i=0
	while [ $i -lt 200 ] && ! grep -q ready "$tmp/helper.out"; do
		sleep 0.02
		i=$((i + 1))
	done
}

# --- --once: one interval, exit 0; a placed workload is judged and logged ---------------------
start_helper 2 80
placed=$hpid
"$np" place --pid "$placed" >/dev/null 2>&1 && ok || bad "place the first helper"
"$np" daemon --once --interval 0.2 >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "daemon --once: exit status"
grep_err "numaplace daemon: started: every 0.2 s, min gap 300 s, min improvement 0.10, strategy compact" "--once"
# all its memory is on its node: fine (not logged), or held when the CPUs are busy
if grep -q "np-threads-$placed" "$tmp/err"; then
	grep_err "np-threads-$placed (pid $placed): held: 0% (0 B) of its memory off node 0" "--once"
else
	ok
fi
! grep -q "moved from" "$tmp/err" && ok || bad "--once moved something on one node"
integrity "--once"

# --- adoption: an unmanaged process above the threshold is adopted, one per interval ----------
start_helper 3 48
"$np" daemon --once --interval 0.2 --adopt-threshold 32M --adopt-only "$name" \
	--exclude sshd >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "daemon --adopt-threshold: exit status"
grep_err "np-threads-$hpid (pid $hpid): adopted on node 0:" "adoption"
grep_err "np-threads-$hpid (pid $hpid): migrated 0 pages (0 B) to node 0; 0 pages (0 B) could not move" "adoption: migration"
"$np" list --json >"$tmp/list.json"
[ "$(py "[w['strategy'] for w in j['workloads'] if w['pid'] == $hpid]" "$tmp/list.json")" = "['compact']" ] &&
	ok || bad "the adopted process is in the ledger"
node0_cpus=$(cat /sys/devices/system/node/node0/cpulist)
[ "$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$hpid/task/*/status | sort -u)" = "$node0_cpus" ] &&
	ok || bad "every thread of the adopted process is bound"
# below the threshold, excluded, or --dry-run: nothing adopted
start_helper 1 48
small=$hpid
"$np" daemon --once --interval 0.1 --adopt-threshold 1T --adopt-only "$name" 2>"$tmp/err"
! grep -q "adopted" "$tmp/err" && ok || bad "adopted below the threshold"
"$np" daemon --once --interval 0.1 --adopt-threshold 32M --adopt-only "$name" \
	--exclude "$name" 2>"$tmp/err"
! grep -q "adopted" "$tmp/err" && ok || bad "adopted an excluded process"
sqlite3 "$db" .dump >"$tmp/before"
"$np" daemon --once --interval 0.1 --adopt-threshold 32M --adopt-only "$name" --dry-run 2>"$tmp/err"
grep_err "$name (pid $small): would adopt on node 0 (--dry-run)" "--dry-run"
sqlite3 "$db" .dump >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok || bad "--dry-run changed the ledger"
# never a kernel thread: with no name filter and a tiny threshold, nothing of the kernel's
"$np" daemon --once --interval 0.1 --adopt-threshold 0B --dry-run 2>"$tmp/err"
! grep -Eq "\((pid 2)\)|kthreadd|kworker" "$tmp/err" && ok || bad "a kernel thread was considered"

# --- another host (a capture): a dry run that decides for its nodes and changes nothing ------
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
affinity_before=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$small/task/*/status | sort -u)
sqlite3 "$db" .dump >"$tmp/before"
"$np" daemon --once --interval 0.1 --adopt-threshold 32M --adopt-only "$name" \
	--sysfs-root "$fixtures/sysfs/two-node" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "daemon --sysfs-root: exit status"
grep_err "started: every 0.1 s, min gap 300 s, min improvement 0.10, strategy compact, adopting, dry run for the host of '$fixtures/sysfs/two-node'" "--sysfs-root"
# the capture's node 1 has the most memory free (6.5 GiB against 5) and no vCPUs placed (the
# process chosen is the largest unmanaged one of this run's name: $small, the only one)
grep_err "$name (pid $small): would adopt on node 1 (--dry-run)" "--sysfs-root"
! grep -q "adopted on" "$tmp/err" && ok || bad "--sysfs-root adopted a process"
sqlite3 "$db" .dump >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok || bad "--sysfs-root changed the ledger"
[ "$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$small/task/*/status | sort -u)" = "$affinity_before" ] &&
	ok || bad "--sysfs-root bound a process"
"$np" daemon --once --interval 0.1 --synthetic "pack:2 [numa(memory=4GiB)] core:2 pu:1" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "daemon --synthetic: exit status"
grep_err "dry run for the host of 'pack:2 \[numa(memory=4GiB)\] core:2 pu:1'" "--synthetic"
"$np" daemon --once --interval 0.1 --sysfs-root "$tmp/nothing" 2>"$tmp/err"
[ $? -eq 1 ] && ok || bad "daemon --sysfs-root of nothing: exit status 1 expected"
grep_err "numaplace: cannot .*$tmp/nothing" "--sysfs-root of nothing"
! grep -q "started" "$tmp/err" && ok || bad "daemon --sysfs-root of nothing: started"

# --- groups, on a plain-file cgroup tree (NUMAPLACE_CGROUP_ROOT) -------------------------------
# Each group's member is a sleep of this run: the migration of a move touches nothing else.
# A group recorded on node 0 whose memory.numa_stat then says 200 of its 300 MiB are on node 1
# is spilled: the dry run for the two-node capture would move it to node 1; on this host (one
# node) one interval gathers it home, rewriting its cpuset and recording the move.
cg="$tmp/cg"
cp -a "$fixtures/cgroup" "$cg"
sleep 600 &
member=$!
helpers="$helpers $member"
# group PATH MIB [N0 N1]: a group of MIB MiB, N0 and N1 MiB of it on nodes 0 and 1
group() {
	g="$cg/sys/fs/cgroup/$1"
	mkdir -p "$g"
	echo domain >"$g/cgroup.type"
	[ -e "$g/cpuset.cpus" ] || : >"$g/cpuset.cpus"
	[ -e "$g/cpuset.mems" ] || : >"$g/cpuset.mems"
	echo $member >"$g/cgroup.procs"
	echo $member >"$g/cgroup.threads"
	echo "max 100000" >"$g/cpu.max"
	echo $(($2 << 20)) >"$g/memory.current"
	printf 'anon N0=%d N1=%d\nfile N0=0 N1=0\n' $((${3:-$2} << 20)) $((${4:-0} << 20)) \
		>"$g/memory.numa_stat"
}
export NUMAPLACE_CGROUP_ROOT="$cg"
gdb="$tmp/gstate/ledger.db"
group machine.slice/np-vm1 300
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" place --cgroup machine.slice/np-vm1 --nodes 0 \
	>/dev/null 2>"$tmp/err" && ok || bad "place --cgroup np-vm1: $(cat "$tmp/err")"
group machine.slice/np-vm1 300 100 200
sqlite3 "$gdb" .dump >"$tmp/before"
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" daemon --once --interval 0.1 --min-gap 0 \
	--sysfs-root "$fixtures/sysfs/two-node" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "daemon, a spilled group, --sysfs-root: exit status"
grep_err "np-vm1 (group machine.slice/np-vm1): move: 67% (200 MiB) of its memory off node 0, CPUs [0-9]*% busy: spilled.*; node 1: cost" "a spilled group, another host"
grep_err "np-vm1 (group machine.slice/np-vm1): not moved (--dry-run)" "a spilled group, another host"
sqlite3 "$gdb" .dump >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok || bad "a dry run for another host changed the ledger"
[ "$(cat "$cg/sys/fs/cgroup/machine.slice/np-vm1/cpuset.mems")" = 0 ] && ok ||
	bad "a dry run for another host wrote cpuset.mems"
echo 5-9 >"$cg/sys/fs/cgroup/machine.slice/np-vm1/cpuset.cpus" # to see it rewritten
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" daemon --once --interval 0.1 --min-gap 0 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "daemon, a spilled group: exit status"
grep_err "np-vm1 (group machine.slice/np-vm1): move: 67% (200 MiB) of its memory off node 0, CPUs [0-9]*% busy: spilled.*; node 0: cost" "a spilled group"
grep_err "np-vm1 (group machine.slice/np-vm1): stays on node 0; its memory is gathered there" "a spilled group"
[ "$(cat "$cg/sys/fs/cgroup/machine.slice/np-vm1/cpuset.cpus")" = "$node0_cpus" ] && ok ||
	bad "the group's cpuset.cpus is not node 0's CPUs after the move"
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" list --moves --json >"$tmp/moves.json"
[ "$(py "[(m['name'], m['pid'], m['from'], m['to']) for m in j['moves']]" "$tmp/moves.json")" = "[('np-vm1', 0, [0], [0])]" ] &&
	ok || bad "the group's move is not in list --moves"
py "j['moves'][0]['reason']" "$tmp/moves.json" |
	grep -q "^daemon: 67% (200 MiB) of its memory off node 0, CPUs [0-9]*% busy: spilled" &&
	ok || bad "the group's move has not the daemon's reason"

# Placed near devices of node 1 of the devices capture (its memory on node 0): list shows the
# devices, and the move the daemon would make keeps node 1, where a group placed near nothing
# would follow its memory to node 0.
group machine.slice/np-near 100
# no process of this host in it: the capture's nodes are not this host's, its pages cannot move
: >"$cg/sys/fs/cgroup/machine.slice/np-near/cgroup.procs"
NUMAPLACE_STATE_DIR="$tmp/nstate" "$np" place --cgroup machine.slice/np-near \
	--sysfs-root "$fixtures/sysfs/devices" --near eth1 --near vda >/dev/null 2>"$tmp/err" &&
	ok || bad "place --cgroup --near: $(cat "$tmp/err")"
group machine.slice/np-near 100 100 0
NUMAPLACE_STATE_DIR="$tmp/nstate" "$np" list >"$tmp/out"
grep -q "^np-near  *group  *-  *1 near eth1,vda  " "$tmp/out" && ok || bad "list shows no near devices: $(cat "$tmp/out")"
NUMAPLACE_STATE_DIR="$tmp/nstate" "$np" list --json >"$tmp/list.json"
[ "$(py "j['workloads'][0]['near']" "$tmp/list.json")" = "['eth1', 'vda']" ] && ok ||
	bad "list --json has no near devices"
NUMAPLACE_STATE_DIR="$tmp/nstate" "$np" daemon --once --interval 0.1 --min-gap 0 \
	--sysfs-root "$fixtures/sysfs/devices" 2>"$tmp/err"
grep_err "np-near (group machine.slice/np-near): move: 100% (100 MiB) of its memory off node 1, CPUs 0% busy: spilled; node 1: cost 1.00 -> 0.00" "near nodes kept"
sqlite3 "$tmp/nstate/ledger.db" "UPDATE workload SET near = '', near_devices = NULL"
NUMAPLACE_STATE_DIR="$tmp/nstate" "$np" daemon --once --interval 0.1 --min-gap 0 \
	--sysfs-root "$fixtures/sysfs/devices" 2>"$tmp/err"
grep_err "np-near (group machine.slice/np-near): move: 100% (100 MiB) of its memory off node 1, CPUs 0% busy: spilled; node 0: cost 1.00 -> 0.00" "near nothing"

# --adopt-cgroups: the largest group below the pattern the ledger does not hold, at least the
# threshold's RSS; a dry run adopts nothing; one per interval; below the threshold never.
group machine.slice/np-vm2 400
group machine.slice/np-vm3 10
sqlite3 "$gdb" .dump >"$tmp/before"
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" daemon --once --interval 0.1 --adopt-cgroups 'machine.slice/np-vm*' \
	--adopt-threshold 50M --adopt-only "$name-none" --dry-run 2>"$tmp/err"
grep_err "started: .*, adopting, adopting groups, dry run" "--adopt-cgroups --dry-run"
grep_err "group machine.slice/np-vm2: would adopt on node 0 (--dry-run)" "--adopt-cgroups --dry-run"
sqlite3 "$gdb" .dump >"$tmp/after"
cmp -s "$tmp/before" "$tmp/after" && ok || bad "--adopt-cgroups --dry-run changed the ledger"
for i in 1 2; do
	NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" daemon --once --interval 0.1 \
		--adopt-cgroups 'machine.slice/np-vm*' --adopt-cgroups 'system.slice/nothing*' \
		--adopt-threshold 50M --adopt-only "$name-none" 2>"$tmp/err.$i"
	[ $? -eq 0 ] && ok || bad "--adopt-cgroups, interval $i: exit status"
done
mv "$tmp/err.1" "$tmp/err"
grep_err "np-vm2 (group machine.slice/np-vm2): adopted on node 0: 400 MiB (memory.current), 0.0 CPUs used, 1 vCPU: " "--adopt-cgroups"
! grep -q "adopted" "$tmp/err.2" && ok || bad "--adopt-cgroups adopted below the threshold: $(cat "$tmp/err.2")"
[ "$(cat "$cg/sys/fs/cgroup/machine.slice/np-vm2/cpuset.mems")" = 0 ] && ok ||
	bad "the adopted group's cpuset.mems is not 0"
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" list --json >"$tmp/list.json"
[ "$(py "sorted(w['name'] for w in j['workloads'])" "$tmp/list.json")" = "['np-vm1', 'np-vm2']" ] &&
	ok || bad "the ledger does not hold np-vm1 and np-vm2 only"
# A group whose cpuset cannot be written (this tree has no cpuset files for it) is tried once:
# the next intervals adopt the next largest instead.
group machine.slice/np-bad 800
rm "$cg/sys/fs/cgroup/machine.slice/np-bad/cpuset.cpus" "$cg/sys/fs/cgroup/machine.slice/np-bad/cpuset.mems"
group machine.slice/np-ok 100
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" daemon --interval 0.1 --adopt-cgroups 'machine.slice/np-*' \
	2>"$tmp/err" &
dpid=$!
i=0
while [ $i -lt 300 ] && ! grep -q "np-ok (group machine.slice/np-ok): adopted" "$tmp/err"; do
	sleep 0.05
	i=$((i + 1))
done
kill -TERM $dpid
wait $dpid
grep_err "group machine.slice/np-bad: not adopted (not tried again): " "a refused group"
grep_err "np-ok (group machine.slice/np-ok): adopted on node 0" "the next group"
[ "$(grep -c "np-bad" "$tmp/err")" -eq 1 ] && ok || bad "a refused group was tried again: $(cat "$tmp/err")"
# --adopt-threshold RSS:CPU% with --adopt-cgroups: a group's CPU use is its cpu.stat's
# usage_usec between two looks. The idle group is the larger but never uses the CPU% asked; the
# busy one (3 s of CPU time every 0.05 s written) is adopted, its CPUs used logged; a group
# without cpu.stat counts 0 CPUs.
group machine.slice/cpu-idle 900
echo "usage_usec 5000000" >"$cg/sys/fs/cgroup/machine.slice/cpu-idle/cpu.stat"
group machine.slice/cpu-none 950
group machine.slice/cpu-busy 100
echo "usage_usec 1000" >"$cg/sys/fs/cgroup/machine.slice/cpu-busy/cpu.stat"
NUMAPLACE_STATE_DIR="$tmp/gstate" "$np" daemon --interval 0.1 --adopt-cgroups 'machine.slice/cpu-*' \
	--adopt-threshold 50M:50 --adopt-only "$name-none" 2>"$tmp/err" &
dpid=$!
i=0
u=1000
while [ $i -lt 300 ] && ! grep -q "cpu-busy (group machine.slice/cpu-busy): adopted" "$tmp/err"; do
	u=$((u + 3000000))
	printf 'usage_usec %d\nuser_usec 0\nsystem_usec 0\n' $u >"$cg/sys/fs/cgroup/machine.slice/cpu-busy/cpu.stat"
	sleep 0.05
	i=$((i + 1))
done
kill -TERM $dpid
wait $dpid
grep_err "cpu-busy (group machine.slice/cpu-busy): adopted on node 0: 100 MiB (memory.current), [1-9][0-9.]* CPUs used, 1 vCPU: " "a busy group"
! grep -q "cpu-idle\|cpu-none" "$tmp/err" && ok || bad "a group below the CPU% was adopted: $(cat "$tmp/err")"
! grep -qi "cpu.stat" "$tmp/err" && ok || bad "a group without cpu.stat was noisy: $(cat "$tmp/err")"
# Which adoptions each combination turns on, flags and [daemon] keys alike: --adopt-cgroups alone
# groups only, --adopt-threshold alone processes only, both both.
adoptions() { # WHAT EXPECTED ARGS...: the started line's adoptions
	what=$1 want=$2
	shift 2
	NUMAPLACE_STATE_DIR="$tmp/astate" "$np" "$@" --once --interval 0.1 --dry-run 2>"$tmp/err"
	got=$(sed -n 's/^numaplace daemon: started: .*strategy [a-z-]*\(.*\), dry run$/\1/p' "$tmp/err")
	[ "$got" = "$want" ] && ok || bad "$what: adoptions '$got', not '$want': $(cat "$tmp/err")"
}
adoptions "--adopt-cgroups alone" ", adopting groups" daemon --adopt-cgroups 'machine.slice/none*'
adoptions "--adopt-threshold alone" ", adopting" daemon --adopt-threshold 1G
adoptions "both flags" ", adopting, adopting groups" daemon --adopt-threshold 1G --adopt-cgroups 'x*'
printf '[daemon]\nadopt-cgroups = machine.slice/*\n' >"$tmp/groups.conf"
adoptions "adopt-cgroups alone in [daemon]" ", adopting groups" --config "$tmp/groups.conf" daemon
printf '[daemon]\nadopt-threshold = 1G:50\nadopt-cgroups = machine.slice/*\n' >"$tmp/both.conf"
adoptions "both keys in [daemon]" ", adopting, adopting groups" --config "$tmp/both.conf" daemon
printf '[daemon]\nadopt-threshold =\nadopt-cgroups = machine.slice/*\n' >"$tmp/empty.conf"
adoptions "an empty adopt-threshold in [daemon]" ", adopting groups" --config "$tmp/empty.conf" daemon
unset NUMAPLACE_CGROUP_ROOT

# --- SIGTERM and SIGINT: exit 0, the ledger whole ---------------------------------------------
for sig in TERM INT; do
	"$np" daemon --interval 0.1 >"$tmp/out" 2>"$tmp/err" &
	dpid=$!
	sleep 0.5
	kill -$sig $dpid
	wait $dpid
	code=$?
	[ $code -eq 0 ] && ok || bad "SIG$sig: exit $code"
	grep_err "stopped by SIG$sig" "SIG$sig"
	integrity "SIG$sig"
done

# --- usage --------------------------------------------------------------------------------------
"$np" daemon --interval 0 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "--interval 0: usage error"
"$np" daemon --adopt-threshold x 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "--adopt-threshold x: usage error"
"$np" daemon --min-improvement 2 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "--min-improvement 2: usage error"
"$np" daemon --adopt-cgroups /sys/fs/cgroup/x 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "--adopt-cgroups /sys/fs/cgroup/x: usage error"
grep_err "numaplace daemon: --adopt-cgroups '/sys/fs/cgroup/x': a pattern of group paths relative to the cgroup2 mount, e.g. 'machine.slice/\*'" "--adopt-cgroups /x"

kill $helpers 2>/dev/null
echo "daemon: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
