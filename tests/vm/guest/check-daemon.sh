#!/bin/sh
# `numaplace daemon` really rebalances a workload whose memory was pushed off its nodes: a
# workload run on node A (preferred policy) touches 128 MiB and moves it all to node B with
# move_pages(2), as if A had filled up. One daemon interval (--min-gap 0: it was placed
# seconds ago) moves it: afterwards its pages are all on the nodes the ledger gives it, its
# threads run on those nodes' CPUs, the daemon's log names it as spilled, and `list` counts
# the move.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-daemon

set -- $(cpu_nodes)
a=$1
shift $(($# - 1))
b=$1
numaplace run --name pushed --nodes $a --memory 128M --vcpus 1 -- \
	toucher 128 --threads 2 --push $b >/tmp/w.out 2>/tmp/w.err &
pid=$!
if ! wait_line /tmp/w.out TOUCHED 300 $pid; then
	fail daemon.start "no TOUCHED line: $(cat /tmp/w.out /tmp/w.err)"
	exit 0
fi
addr=$(touched_field /tmp/w.out addr)
pages=$(touched_field /tmp/w.out pages)
expect daemon.pushed "$(maps_nodes $pid $addr)" "N$b=$pages"

numaplace daemon --once --interval 1 --min-gap 0 2>/tmp/daemon.err
expect daemon.status $? 0
sed 's/^/INFO daemon: /' /tmp/daemon.err
grep -q "pushed (pid $pid): move: .*: spilled" /tmp/daemon.err && pass daemon.log "decided to move it as spilled" ||
	fail daemon.log "no move of pid $pid as spilled in the daemon's log"

numaplace list --json | json >/tmp/list.flat
nodes=$(jarray /tmp/list.flat 'workloads[0].nodes')
expect daemon.moves "$(jget /tmp/list.flat 'workloads[0].moves')" 1
expect daemon.pages "$(pages_on $pid $addr "$nodes") on [$nodes] ($(maps_nodes $pid $addr))" \
	"$pages on [$nodes] ($(maps_nodes $pid $addr))"
expect daemon.cpus "$(expand_list "$(threads_cpus $pid)")" "$(node_cpus "$nodes")"
kill $pid
wait $pid 2>/dev/null
