#!/bin/sh
# `numaplace plan` on the guest's real topology and free memory:
# - a small request fits one node with CPUs, and the CPUs given are that node's;
# - a request bigger than any node gets the closest two nodes that have the memory (a pair,
#   not two far nodes), and --explain's mean_distance is that pair's real distance;
# - memory a running process already holds on node 0 pushes the next request elsewhere;
# - a cpuset cgroup confines the plan to the cgroup's nodes;
# - a request for huge pages goes to the only node that has them free;
# - a request larger than the machine does not fit: exit status 3, placement null.
. /test/lib.sh

# plan NAME ARGS...: run plan --json into /tmp/NAME.json and flatten it into /tmp/NAME.flat.
plan() {
	name=$1
	shift
	numaplace plan --json "$@" >/tmp/$name.json 2>/tmp/$name.err
	rc=$?
	json </tmp/$name.json >/tmp/$name.flat || fail "$name.json" "not JSON: $(cat /tmp/$name.err)"
	return $rc
}
# placed NAME: the nodes of the placement in /tmp/NAME.flat
placed() {
	jarray /tmp/$1.flat placement.nodes
}

plan plan.small --memory 64M --vcpus 1
rc=$?
nodes=$(placed plan.small)
expect plan.small.status "$rc" 0
expect plan.small.nnodes "$(echo $nodes | wc -w)" 1
if [ -n "$nodes" ]; then
	expect plan.small.has-cpus "$(test -n "$(cat /sys/devices/system/node/node$nodes/cpulist)" && echo yes)" yes
	expect plan.small.cpus "$(expand_list "$(jget /tmp/plan.small.flat placement.cpus)")" \
		"$(node_cpus "$nodes")"
fi

# Bigger than any node, clear of every node's and pair's free memory.
big=$(two_node_size 2)
[ -n "$big" ] || fail plan.big.size "no request size fits two nodes only (free MiB per node: $(node_table | awk '{ printf "%d:%d ", $1, $2 / 1048576 }'))"
bounds=$(pair_distance_bounds $((big << 20)) 2)
plan plan.big --memory ${big}M --vcpus 2 --explain
rc=$?
nodes=$(placed plan.big)
expect plan.big.status "$rc" 0
expect plan.big.nnodes "$(echo $nodes | wc -w)" 2
if [ "$(echo $nodes | wc -w)" -eq 2 ]; then
	set -- $nodes $bounds
	d=$(distance $1 $2)
	# Closer than the bounds read a moment before is no fault: memory freed meanwhile.
	if [ "$d" -le "${4:-999}" ]; then
		pass plan.big.close "${big} MiB: distance($1,$2)=$d, the closest pair with the memory"
	else
		fail plan.big.close "${big} MiB: distance($1,$2)=$d, closest fitting pairs are at $3..$4"
	fi
	expect plan.big.cpus "$(expand_list "$(jget /tmp/plan.big.flat placement.cpus)")" \
		"$(node_cpus "$nodes")"
	expect plan.big.explain.best "$(jarray /tmp/plan.big.flat 'candidates[0].nodes')" "$nodes"
	# mean of distance(i,j) over the 4 ordered pairs, relative to the local 10
	want=$(awk -v d="$d" 'BEGIN { printf "%.3f", (20 + 2 * d) / 4 / 10 }')
	got=$(awk -v v="$(jget /tmp/plan.big.flat 'candidates[0].mean_distance')" \
		'BEGIN { printf "%.3f", v }')
	expect plan.big.explain.mean_distance "$got" "$want"
fi

# Node 0 mostly taken by a running process (first-touch allocation on CPU 0): a request that
# no longer fits there must go elsewhere.
free0=$(node_free 0)
hold=$(((free0 >> 20) - 96))
taskset -c 0 toucher $hold >/tmp/hold.out &
pid=$!
if wait_line /tmp/hold.out TOUCHED 300 $pid; then
	addr=$(touched_field /tmp/hold.out addr)
	pass plan.hold.node0 "pid $pid holds ${hold} MiB: $(maps_nodes $pid $addr)"
	plan plan.after-hold --memory 160M --vcpus 1
	rc=$?
	nodes=$(placed plan.after-hold)
	expect plan.after-hold.status "$rc" 0
	case " $nodes " in
	*" 0 "*) fail plan.after-hold.elsewhere "chose [$nodes] with node 0 free $(node_free 0)" ;;
	*) pass plan.after-hold.elsewhere "chose [$nodes], node 0 has $(node_free 0) bytes free" ;;
	esac
else
	fail plan.hold.node0 "toucher did not start: $(cat /tmp/hold.out)"
fi
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# A cpuset cgroup holding the last two nodes with CPUs: plan sees only them.
cg=/sys/fs/cgroup
if grep -qw cpuset $cg/cgroup.controllers 2>/dev/null; then
	set -- $(cpu_nodes)
	shift $(($# - 2))
	allowed="$1 $2"
	echo +cpuset >$cg/cgroup.subtree_control
	mkdir -p $cg/np-plan
	echo "$(cat /sys/devices/system/node/node$1/cpulist),$(cat /sys/devices/system/node/node$2/cpulist)" \
		>$cg/np-plan/cpuset.cpus
	echo "$1,$2" >$cg/np-plan/cpuset.mems
	echo $$ >$cg/np-plan/cgroup.procs
	plan plan.cgroup --memory 64M --vcpus 1
	plan plan.cgroup-big --memory 600M --vcpus 2
	rc=$?
	echo $$ >$cg/cgroup.procs
	rmdir $cg/np-plan
	nodes=$(placed plan.cgroup)
	case " $allowed " in
	*" $nodes "*) pass plan.cgroup.inside "chose [$nodes] of [$allowed]" ;;
	*) fail plan.cgroup.inside "chose [$nodes], cgroup allows [$allowed]" ;;
	esac
	# Fits when the two nodes have the memory between them (600 MiB, kept clear of the
	# boundary by the runner's topologies: 4node ~1000 MiB free, 8node ~510 MiB).
	sum=$(($(node_free $1) + $(node_free $2)))
	if [ $sum -gt $((600 << 20)) ]; then
		want="status 0, placement [$allowed]"
	else
		want="status 3, placement [null]"
	fi
	got=$(jget /tmp/plan.cgroup-big.flat placement)
	[ -z "$got" ] && got=$(placed plan.cgroup-big)
	expect plan.cgroup.big "status $rc, placement [$got]" "$want"
else
	fail plan.cgroup "no cpuset controller in the guest's cgroup2"
fi

# Huge pages reserved on one node only (the last with CPUs): a request for them goes there.
set -- $(cpu_nodes)
shift $(($# - 1))
hp=/sys/devices/system/node/node$1/hugepages/hugepages-2048kB/nr_hugepages
if [ -w $hp ]; then
	echo 8 >$hp
	if [ "$(cat $hp)" = 8 ]; then
		plan plan.hugepages --memory 16M --vcpus 1 --hugepages 8x2M
		expect plan.hugepages "status $? nodes [$(placed plan.hugepages)]" "status 0 nodes [$1]"
	else
		fail plan.hugepages "the kernel reserved $(cat $hp) of 8 huge pages on node $1"
	fi
	echo 0 >$hp
else
	fail plan.hugepages "$hp is not writable"
fi

plan plan.nofit --memory 64G --vcpus 1
rc=$?
expect plan.nofit.status "$rc" 3
expect plan.nofit.placement "$(jget /tmp/plan.nofit.flat placement)" null
reason=$(jget /tmp/plan.nofit.flat reason)
[ -n "$reason" ] && pass plan.nofit.reason "$reason" || fail plan.nofit.reason "empty"
