#!/bin/sh
# `numaplace place --pid --migrate` and `numaplace daemon` on a real multi-node kernel:
# - a running process whose pages are all on node A, placed with --nodes B --migrate: its
#   mapping's pages are on B afterwards, the report counts them, every thread is bound to B's
#   CPUs, and the ledger holds it on B;
# - a workload recorded on node A whose memory is all on node B (spilled) is moved by one
#   daemon interval: afterwards the nodes it is recorded on hold its pages, and the move is in
#   the ledger with the daemon's reason.
. /test/lib.sh
export NUMAPLACE_STATE_DIR=/run/np-adopt

set -- $(cpu_nodes)
A=$1
B=$2
cpuA=$(expand_list "$(cat /sys/devices/system/node/node$A/cpulist)" | cut -d' ' -f1)
cpuB=$(expand_list "$(cat /sys/devices/system/node/node$B/cpulist)" | cut -d' ' -f1)

# pages NODE PID: the process's pages on NODE, all mappings (the threads' stacks may merge
# with the toucher's mapping, so its start address is not a stable key)
pages() {
	tr ' ' '\n' <"/proc/$2/numa_maps" | sed -n "s/^N$1=//p" | awk '{ n += $1 } END { print n + 0 }'
}
# at_least NAME GOT MIN
at_least() {
	[ "$2" -ge "$3" ] && pass "$1" "$2 >= $3" || fail "$1" "$2 < $3"
}
# at_most NAME GOT MAX
at_most() {
	[ "$2" -le "$3" ] && pass "$1" "$2 <= $3" || fail "$1" "$2 > $3"
}

# --- place --pid --migrate moves the pages and binds every thread ----------------------------
taskset -c "$cpuA" toucher 64 --threads 3 >/tmp/ad.out &
pid=$!
if wait_line /tmp/ad.out TOUCHED; then
	at_least adopt.before.on-A "$(pages $A $pid)" 16384
	numaplace place --pid $pid --nodes $B --migrate --json >/tmp/ad.json 2>/tmp/ad.err
	expect adopt.place.status "$?" 0
	json </tmp/ad.json >/tmp/ad.flat
	at_least adopt.after.on-B "$(pages $B $pid)" 16384
	# what could not move stays: a few pages at most (the static binary's shared ones)
	at_most adopt.after.off-B "$(pages $A $pid)" "$(jget /tmp/ad.flat migrate.not_moved_pages)"
	at_least adopt.report.moved "$(jget /tmp/ad.flat migrate.moved_pages)" 16384
	expect adopt.threads "$(threads_cpus $pid)" "$(cat /sys/devices/system/node/node$B/cpulist)"
	expect adopt.threads.count "$(ls /proc/$pid/task | wc -l)" 3
	numaplace list --json | json >/tmp/ad-list.flat
	expect adopt.ledger.nodes "$(jarray /tmp/ad-list.flat 'workloads[0].nodes')" "$B"
	expect adopt.ledger.pid "$(jget /tmp/ad-list.flat 'workloads[0].pid')" "$pid"
else
	fail adopt.start "toucher did not start: $(cat /tmp/ad.out)"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# --- the daemon moves a spilled workload ----------------------------------------------------
taskset -c "$cpuB" toucher 96 --threads 2 >/tmp/sp.out &
pid=$!
if wait_line /tmp/sp.out TOUCHED; then
	# recorded on A, with all its memory on B: spilled
	numaplace place --pid $pid --nodes $A >/dev/null 2>/tmp/sp.err
	expect spill.recorded-on-A "$?" 0
	numaplace daemon --once --interval 0.5 --min-gap 0 2>/tmp/d.err
	expect daemon.status "$?" 0
	sed 's/^/    | /' /tmp/d.err
	if grep -Eq "\(pid $pid\): (moved from node $A to |stays on node $A; its memory is gathered)" /tmp/d.err; then
		pass daemon.moved "$(grep "(pid $pid): move:" /tmp/d.err)"
	else
		fail daemon.moved "no move logged"
	fi
	numaplace list --json | json >/tmp/sp-list.flat
	nodes=$(jarray /tmp/sp-list.flat 'workloads[0].nodes')
	on=0
	for n in $nodes; do
		on=$((on + $(pages $n $pid)))
	done
	at_least daemon.pages-on-recorded-nodes "$on" 24576
	expect daemon.threads "$(expand_list "$(threads_cpus $pid)")" "$(node_cpus "$nodes")"
	expect daemon.moves "$(jget /tmp/sp-list.flat 'workloads[0].moves')" 1
	numaplace list --moves >/tmp/moves.out
	grep -q "daemon: .* of its memory off node $A.*: spilled" /tmp/moves.out &&
		pass daemon.ledger.reason "$(tail -n 1 /tmp/moves.out)" ||
		fail daemon.ledger.reason "$(cat /tmp/moves.out)"
else
	fail spill.start "toucher did not start: $(cat /tmp/sp.out)"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null
