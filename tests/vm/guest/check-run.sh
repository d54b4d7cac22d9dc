#!/bin/sh
# `numaplace run` makes its placement real on the guest kernel. For each memory policy
# (bind, preferred, interleave), on a one-node and on a two-node placement, the launched
# toucher (numaplace execs it, so it keeps numaplace's pid):
# - runs every thread on exactly the chosen nodes' CPUs (/proc/PID/task/*/status
#   Cpus_allowed_list; Mems_allowed_list is the cpuset mask and is not looked at);
# - has its touched pages where the policy puts them (/proc/PID/numa_maps N<node>= counts of
#   its mapping): bind and preferred on the chosen nodes only, interleave spread over both
#   nodes of a pair; and the mapping's policy is the one asked for.
# Then: preferred falls back to other nodes when the chosen node is full instead of failing;
# --cpu-binding none leaves every CPU; --nodes places where it is told; a workload already
# holding node 0 pushes the next one elsewhere, and plan then run agree; one workload per node
# with CPUs, each as big as a node's CPUs, started one after the other, land on distinct
# nodes (compact ranks by load per CPU: docs/placement.md, "Successive guests").
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-run
PIDS=""

# launch_touched NAME RUN-ARGS... -- TOUCHER-ARGS...: launch (lib.sh), and read the toucher's
# line. Sets PID, ADDR, PAGES, NODES (chosen nodes, from the CPUs the workload got) and CPUS.
launch_touched() {
	local name=$1
	launch "$@" || return 1
	ADDR=$(touched_field /tmp/$name.out addr)
	PAGES=$(touched_field /tmp/$name.out pages)
	expect "$name.pid" "$(touched_field /tmp/$name.out pid)" "$PID"
}
# planned ARGS...: the node sets `run` may choose, as `plan` (which reads the same ledger)
# ranks them: the best, and with it every runner-up that differs from it only by less than
# 64 MiB of free memory (a tie that memory moving between the two commands may turn: the
# guest's page cache, or the 64 MiB of the workload stopped just before), as "0 1|2 3".
# Node count, CPU count, load and distance must still be the best's (not the CPU list).
planned() {
	numaplace plan --json --explain "$@" | json >/tmp/planned.flat
	awk -F= '
		match($1, /^candidates\[[0-9]+\]\./) {
			c = substr($1, 12, RLENGTH - 13) + 0
			if (c + 1 > n) n = c + 1
			key = substr($1, RLENGTH + 1)
			if (key ~ /^nodes\[/) nodes[c] = nodes[c] (nodes[c] == "" ? "" : " ") $2
			else if (key == "free_bytes") free[c] = $2
			else if (key !~ /^nodes#/ && key != "cpus") other[c] = other[c] " " key "=" $2
		}
		END {
			out = nodes[0]
			for (c = 1; c < n; c++) {
				d = free[0] - free[c]
				if (other[0] == other[c] && d < 64 * 1048576 && d > -64 * 1048576)
					out = out "|" nodes[c]
			}
			print out
		}' /tmp/planned.flat
}
# one_of NAME GOT CHOICES: pass when GOT is one of the '|'-separated CHOICES.
one_of() {
	case "|$3|" in
	*"|$2|"*) pass "$1" "$2 (plan: $3)" ;;
	*) fail "$1" "got [$2], plan chose [$3]" ;;
	esac
}
# check_cpus NAME PID NODES: every thread's CPUs are the CPUs of NODES.
check_cpus() {
	local got
	got=$(threads_cpus "$2")
	expect "$1.cpus" "$(expand_list "$got" | sed 's/ $//') ($(echo "$got" | wc -l) distinct)" \
		"$(node_cpus "$3") (1 distinct)"
	expect "$1.threads" "$(ls /proc/$2/task | wc -l)" 3
}
policy_text() { # policy_text POLICY NODES: what numa_maps prints for it
	local list
	list=$(echo $2 | tr ' ' ',')
	[ "$(echo $2 | wc -w)" -eq 2 ] && [ $(($(echo $2 | cut -d' ' -f2) - $(echo $2 | cut -d' ' -f1))) -eq 1 ] &&
		list=$(echo $2 | tr ' ' '-')
	case $1 in
	bind) echo "bind:$list" ;;
	preferred) echo "prefer (many):$list" ;;
	interleave) echo "interleave:$list" ;;
	esac
}

for policy in bind preferred interleave; do
	for size in one two; do
		name=$policy-$size
		mem=64M
		if [ $size = two ]; then
			mem=$(two_node_size 2)M
			[ "$mem" = M ] && fail "$name.size" "no request size fits two nodes only" && continue
		fi
		bounds=$(pair_distance_bounds $((${mem%M} << 20)) 2)
		echo "INFO $name: free MiB per node: $(node_table | awk '{ printf "%d:%d ", $1, $2 / 1048576 }')"
		want_nodes=$(planned --memory $mem --vcpus 2)
		launch_touched $name --memory $mem --vcpus 2 --mem-policy $policy -- \
			toucher 64 --threads 3 || continue
		nodes=$(nodes_of_cpus "$(status_field $PID Cpus_allowed_list)")
		one_of "$name.nodes" "$nodes" "$want_nodes"
		check_cpus $name $PID "$nodes"
		expect "$name.policy" "$(maps_policy $PID $ADDR)" "$(policy_text $policy "$nodes")"
		expect "$name.pages" "$(pages_on $PID $ADDR "$nodes") of $PAGES on [$nodes] ($(maps_nodes $PID $ADDR))" \
			"$PAGES of $PAGES on [$nodes] ($(maps_nodes $PID $ADDR))"
		if [ $size = two ] && [ "$(echo $nodes | wc -w)" -eq 2 ]; then
			set -- $nodes $bounds
			d=$(distance $1 $2)
			# Closer than the bounds read a moment before is no fault: memory freed by
			# the previous workload made a closer pair fit (its pages are checked above).
			[ "$d" -le "${4:-999}" ] &&
				pass "$name.close" "$mem: distance($1,$2)=$d, the closest pair with the memory (bounds $3..$4)" ||
				fail "$name.close" "$mem: distance($1,$2)=$d, closest fitting pairs are at $3..$4"
		fi
		if [ $policy = interleave ] && [ $size = two ]; then
			set -- $nodes
			a=$(pages_on $PID $ADDR $1)
			b=$(pages_on $PID $ADDR $2)
			# Interleaving goes page by page, or 2 MiB huge page by huge page (512 pages):
			# each node gets half, within two huge pages (the mapping is not aligned).
			d=$((a - b))
			[ $d -lt 0 ] && d=$((-d))
			[ $d -le 1024 ] && pass "$name.spread" "N$1=$a N$2=$b" ||
				fail "$name.spread" "N$1=$a N$2=$b: not interleaved"
		fi
		stop_all
	done
done

# preferred falls back: a workload that touches more than its node has free keeps running,
# its node full and the rest of its pages on other nodes.
free_max=0
for n in $(cpu_nodes); do
	f=$(node_free $n)
	[ $f -gt $free_max ] && free_max=$f
done
over=$(((free_max >> 20) + 64))
if launch_touched preferred-spill --memory 64M --vcpus 1 --mem-policy preferred -- toucher $over --threads 3; then
	nodes=$(nodes_of_cpus "$(status_field $PID Cpus_allowed_list)")
	on=$(pages_on $PID $ADDR "$nodes")
	if [ $on -gt 0 ] && [ $on -lt $PAGES ] && kill -0 $PID; then
		pass preferred-spill.fallback "$on of $PAGES pages on [$nodes], the rest elsewhere ($(maps_nodes $PID $ADDR))"
	else
		fail preferred-spill.fallback "$on of $PAGES pages on [$nodes] ($(maps_nodes $PID $ADDR))"
	fi
fi
stop_all

# --cpu-binding none: the workload keeps every CPU.
if launch_touched nobind --memory 64M --vcpus 1 --cpu-binding none -- toucher 16 --threads 3; then
	expect nobind.cpus "$(threads_cpus $PID)" "$(cat /sys/devices/system/cpu/online)"
fi
stop_all

# --nodes: explicit placement on the last node with CPUs.
set -- $(cpu_nodes)
shift $(($# - 1))
last=$1
if launch_touched explicit --nodes $last --memory 64M --vcpus 1 --mem-policy bind -- toucher 32 --threads 3; then
	check_cpus explicit $PID $last
	expect explicit.pages "$(pages_on $PID $ADDR $last)" "$PAGES"
fi
stop_all

# A workload holding node 0 (its CPUs fully loaded by vCPUs) pushes the next one elsewhere;
# plan, reading the same ledger, says where, and run goes there.
n0=$(echo $(node_cpus 0) | wc -w)
if launch_touched holder --nodes 0 --memory 64M --vcpus $n0 -- toucher 16 --threads 3; then
	want=$(planned --memory 64M --vcpus $n0)
	case " $want " in
	*[" |"]0[" |"]*) fail push.plan "plan chose [$want] with node 0 held" ;;
	*) pass push.plan "plan chose [$want]" ;;
	esac
	if launch_touched pushed --memory 64M --vcpus $n0 -- toucher 16 --threads 3; then
		one_of push.run "$(nodes_of_cpus "$(status_field $PID Cpus_allowed_list)")" "$want"
	fi
fi
stop_all

set -- $(cpu_nodes)
count=$#
per=$(echo $(node_cpus $1) | wc -w)
got=""
i=0
while [ $i -lt $count ]; do
	launch_touched seq$i --memory 32M --vcpus $per -- toucher 8 --threads 3 || break
	got="$got $(nodes_of_cpus "$(status_field $PID Cpus_allowed_list)")"
	i=$((i + 1))
done
expect successive.distinct "$(echo $got | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')" \
	"$(cpu_nodes)"
stop_all
