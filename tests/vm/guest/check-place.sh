#!/bin/sh
# `numaplace place --pid --migrate` adopts a running process and really moves its pages:
# - a toucher started outside numaplace on node 0's CPUs has its pages on node 0 (first
#   touch); placed with --nodes T --migrate, its mapping is entirely on T afterwards
#   (numa_maps before and after), every thread runs on T's CPUs, the JSON report's "after"
#   is the process's numa_maps, and `list` shows it on T with its resident memory there;
# - placed again elsewhere, it keeps its ledger row and `list` counts one move;
# - placed without --nodes, its pages and threads end up on the nodes it was given.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-place

# resident_json FLAT PATH: the node:bytes words of a [{"node":N,"bytes":B},...] array.
resident_json() {
	awk -F= -v k="$2" '
		index($1, k "[") == 1 && $1 ~ /\.node$/ { n = $2 }
		index($1, k "[") == 1 && $1 ~ /\.bytes$/ { out = out (out == "" ? "" : " ") n ":" $2 }
		END { print out }' "$1"
}
# start NAME CPUS: an unmanaged toucher on CPUS; sets PID, ADDR, PAGES.
start() {
	taskset -c "$2" toucher 64 --threads 3 >/tmp/$1.out &
	PID=$!
	if ! wait_line /tmp/$1.out TOUCHED 300 $PID; then
		fail "$1.start" "toucher did not start: $(cat /tmp/$1.out)"
		return 1
	fi
	ADDR=$(touched_field /tmp/$1.out addr)
	PAGES=$(touched_field /tmp/$1.out pages)
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

set -- $(cpu_nodes)
shift $(($# - 1))
target=$1
if start adopt "$(cat /sys/devices/system/node/node0/cpulist)"; then
	expect place.before "$(maps_nodes $PID $ADDR)" "N0=$PAGES"
	place place.migrate --pid $PID --nodes $target --migrate --memory 64M
	expect place.migrate.status $? 0
	expect place.migrate.nodes "$(jarray /tmp/place.migrate.flat nodes)" $target
	expect place.migrate.after "$(maps_nodes $PID $ADDR)" "N$target=$PAGES"
	expect place.migrate.cpus "$(threads_cpus $PID)" "$(cat /sys/devices/system/node/node$target/cpulist)"
	moved=$(jget /tmp/place.migrate.flat migrate.moved_pages)
	[ "${moved:-0}" -ge "$PAGES" ] && pass place.migrate.report "moved_pages=$moved" ||
		fail place.migrate.report "moved_pages=$moved, the mapping alone has $PAGES"
	expect place.migrate.report.after "$(resident_json /tmp/place.migrate.flat migrate.after)" \
		"$(proc_resident $PID)"
	numaplace list --json | json >/tmp/list.flat
	expect place.list.nodes "$(jarray /tmp/list.flat 'workloads[0].nodes') $(jget /tmp/list.flat 'workloads[0].pid')" \
		"$target $PID"
	expect place.list.resident "$(resident_json /tmp/list.flat 'workloads[0].resident')" \
		"$(proc_resident $PID)"

	# Again, to node 0: the same row, one move.
	place place.again --pid $PID --nodes 0 --migrate --memory 64M
	expect place.again.status $? 0
	expect place.again.after "$(maps_nodes $PID $ADDR)" "N0=$PAGES"
	numaplace list --json | json >/tmp/list.flat
	expect place.again.list "$(jget /tmp/list.flat 'workloads#') $(jget /tmp/list.flat 'workloads[0].pid') $(jarray /tmp/list.flat 'workloads[0].nodes') moves=$(jget /tmp/list.flat 'workloads[0].moves')" \
		"1 $PID 0 moves=1"
	kill $PID
	wait $PID 2>/dev/null
fi

# Automatic: wherever it goes, pages and threads go together.
if start auto "$(cat /sys/devices/system/node/node0/cpulist)"; then
	place place.auto --pid $PID --migrate
	expect place.auto.status $? 0
	nodes=$(jarray /tmp/place.auto.flat nodes)
	expect place.auto.pages "$(pages_on $PID $ADDR "$nodes") on [$nodes]" "$PAGES on [$nodes]"
	expect place.auto.cpus "$(expand_list "$(threads_cpus $PID)")" "$(node_cpus "$nodes")"
	kill $PID
	wait $PID 2>/dev/null
fi
