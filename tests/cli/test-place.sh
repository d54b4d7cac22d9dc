#!/bin/sh
# `numaplace place --pid` on this machine: every thread of a running process is bound, its
# claim is recorded under its pid and start time, --migrate reports what had to move (nothing,
# on one node), --dry-run changes nothing, and refusals (no such process, a kernel thread, a
# zombie, another user's process) leave the ledger as it was.
# usage: test-place.sh NUMAPLACE NP-THREADS
set -u
np=$1
helper=$2
. "$(dirname "$0")/lib.sh"
# affinity of every thread of $1, one line each
affinities() {
	for s in /proc/"$1"/task/*/status; do
		sed -n 's/^Cpus_allowed_list:\t//p' "$s"
	done
}
start_helper() {
	"$helper" "$@" >"$tmp/helper.out" &
	hpid=$!
	i=0
	while [ $i -lt 200 ] && ! grep -q ready "$tmp/helper.out"; do
		sleep 0.02
		i=$((i + 1))
	done
}

first_cpu=$(python3 -c "import os; print(min(os.sched_getaffinity(0)))")
node0_cpus=$(cat /sys/devices/system/node/node0/cpulist)

# --- every thread is bound, the claim is recorded ---------------------------------------------
start_helper 4 16
[ "$(ls /proc/$hpid/task | wc -l)" -eq 5 ] && ok || bad "the helper runs 5 threads"
expect 0 "place --cpus" -- "$np" place --pid "$hpid" --cpus "$first_cpu"
grep_out "placed pid $hpid (np-threads-$hpid) on node 0, cpus $first_cpu" "place --cpus"
grep_out "5 threads bound" "place --cpus"
[ "$(affinities "$hpid" | sort -u)" = "$first_cpu" ] && ok ||
	bad "every thread is bound to cpu $first_cpu: $(affinities "$hpid" | tr '\n' ' ')"
[ "$(affinities "$hpid" | wc -l)" -eq 5 ] && ok || bad "5 threads checked"
"$np" list --json >"$tmp/list.json"
start=$(sed 's/.*) //' "/proc/$hpid/stat" | cut -d' ' -f20)
[ "$(py "[w['start_time'] for w in j['workloads'] if w['pid'] == $hpid]" "$tmp/list.json")" = "[$start]" ] &&
	ok || bad "the claim is recorded under the pid and its start time"
[ "$(py "[w['cpus'] for w in j['workloads'] if w['pid'] == $hpid]" "$tmp/list.json")" = "['$first_cpu']" ] &&
	ok || bad "the ledger holds the CPUs"
[ "$(py "[w['policy'] for w in j['workloads'] if w['pid'] == $hpid]" "$tmp/list.json")" = "['none']" ] &&
	ok || bad "policy none: another process's memory policy is left as it is"
# memory defaults to the resident size: at least the 16 MiB it touched, claimed on node 0
claimed=$(py "[w['claimed'][0]['bytes'] for w in j['workloads'] if w['pid'] == $hpid][0]" "$tmp/list.json")
[ "$claimed" -ge 16777216 ] && ok || bad "claimed $claimed bytes, expected at least 16 MiB"
[ "$(py "[w['vcpus'] for w in j['workloads'] if w['pid'] == $hpid]" "$tmp/list.json")" = \
	"[$(python3 -c "import os; print(min(5, os.cpu_count()))")]" ] && ok ||
	bad "vCPUs: its 5 threads, at most the host's CPUs"

# --- --migrate: placing it again is a move; nothing needs to move on one node -----------------
expect 0 "place --migrate" -- "$np" place --pid "$hpid" --migrate
grep_out "moved pid $hpid (np-threads-$hpid) on node 0, cpus $node0_cpus" "place again"
grep_out "migrate: 0 pages to move" "place --migrate"
[ "$(affinities "$hpid" | sort -u)" = "$node0_cpus" ] && ok || bad "bound to node 0's CPUs"
expect 0 "place --migrate --json" -- "$np" place --pid "$hpid" --migrate --json
cp "$tmp/out" "$tmp/place.json"
got=$(py "j['migrate']['to_move_pages'], j['migrate']['moved_pages'], j['migrate']['not_moved_pages'], j['migrate']['kernel_not_moved_pages']" "$tmp/place.json")
[ "$got" = "0 0 0 0" ] && ok ||
	bad "--migrate reports 0 pages to move, moved and not moved: $got"
[ "$(py "j['migrate']['after'] == j['migrate']['before']" "$tmp/place.json")" = True ] && ok ||
	bad "resident memory per node unchanged"
"$np" list --json >"$tmp/list.json"
[ "$(py "[(w['name'], w['moves']) for w in j['workloads'] if w['pid'] == $hpid]" "$tmp/list.json")" = \
	"[('np-threads-$hpid', 2)]" ] && ok || bad "one row, two moves"
expect 0 "list --moves" -- "$np" list --moves
grep_out "np-threads-$hpid  *$hpid  *0  *0  *place --pid: nodes 0 -> 0, cpus $first_cpu -> $node0_cpus" "list --moves"

# --- --dry-run changes nothing ----------------------------------------------------------------
taskset -a -p -c "$first_cpu" "$hpid" >/dev/null
dump >"$tmp/before"
expect 0 "dry run" -- "$np" place --pid "$hpid" --dry-run --migrate
grep_out "would place pid $hpid" "dry run"
grep_out "migrate: 0 pages to move" "dry run --migrate"
expect 0 "dry run --json" -- "$np" place --pid "$hpid" --dry-run --json
[ "$(py "j['name'], j['moved'], j['dry_run']" "$tmp/out")" = "np-threads-$hpid True True" ] && ok ||
	bad "dry run --json of a recorded process: its recorded name: $(py "j['name']" "$tmp/out")"
[ "$(affinities "$hpid" | sort -u)" = "$first_cpu" ] && ok || bad "dry run: affinity unchanged"
same_ledger "dry run"
rm -rf "$tmp/none"
expect 0 "dry run without a ledger" -- "$np" place --pid "$hpid" --dry-run --state-dir "$tmp/none"
[ ! -e "$tmp/none" ] && ok || bad "a dry run created a ledger"

# --- refusals leave the ledger as it was ------------------------------------------------------
dump >"$tmp/before"
sh -c 'exit 0' &
gone=$!
wait $gone
expect 1 "no such process" -- "$np" place --pid "$gone"
grep_err "no process with pid $gone" "no such process"
expect 1 "kernel thread" -- "$np" place --pid 2
grep_err "pid 2 is a kernel thread ('kthreadd')" "kernel thread"
expect 2 "unknown device" -- "$np" place --pid $$ --near eth-nonexistent
grep_err "'eth-nonexistent': no such device" "unknown device"
sh -c 'sleep 0 & echo $! >"$1"; exec sleep 30' sh "$tmp/zombie" >/dev/null 2>&1 &
zparent=$!
i=0
while [ $i -lt 100 ] && ! grep -q "^State:.Z" "/proc/$(cat "$tmp/zombie" 2>/dev/null || echo 0)/status" 2>/dev/null; do
	sleep 0.02
	i=$((i + 1))
done
expect 1 "zombie" -- "$np" place --pid "$(cat "$tmp/zombie")"
grep_err "has exited (a zombie)" "zombie"
kill "$zparent"
if [ "$(id -u)" -eq 0 ]; then
	expect 1 "another user's process" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$np" place --pid "$hpid" --state-dir "$tmp/nobody"
	grep_err "cannot place pid $hpid ('np-threads'): permission denied (it belongs to uid 0" \
		"another user's process"
else
	echo "note: not root; another user's process not checked"
fi
expect 2 "no --pid" -- "$np" place --memory 1G
grep_err "--pid or --cgroup (--unit, --container, --vm) is required" "no --pid"
expect 2 "bad pid" -- "$np" place --pid x
same_ledger "refusals"
[ "$(affinities "$hpid" | sort -u)" = "$first_cpu" ] && ok || bad "refusals: affinity unchanged"

# --- the process exits: its claim goes at the next transaction --------------------------------
kill "$hpid"
wait "$hpid" 2>/dev/null
"$np" list --all --json >"$tmp/list.json"
[ "$(py "[w['end_reason'] for w in j['workloads'] if w['pid'] == $hpid]" "$tmp/list.json")" = "['exited']" ] &&
	ok || bad "pruned once it exits"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] && ok || bad "integrity_check"

echo "place: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
