#!/bin/sh
# 16 `numaplace run`s started at once, each a toucher that touches the memory it asked for:
# - every one is placed and runs (memory is not the limit: each is a sixth of the smallest
#   node's free memory);
# - each workload's pages are on its own nodes and its CPUs are its nodes' CPUs;
# - no node is over-committed: on every node, the memory the workloads claim and the memory
#   they hold are within what the node had free before they started;
# - the load is balanced as compact documents (fewest vCPUs per CPU first): for any two nodes
#   a and b with CPUs, count(a) / cpus(a) <= (count(b) + 1) / cpus(b), which is what placing
#   each workload on the lightest node leaves;
# - `numaplace list --json` shows the 16 with the pids, nodes and CPUs the kernel shows, the
#   memory claimed, and per node the same resident memory as /proc/PID/numa_maps.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-concurrency
N=16

min=0
for n in $(cpu_nodes); do
	f=$(node_free $n)
	[ $min -eq 0 ] || [ $f -lt $min ] && min=$f
done
for n in $(node_ids); do
	echo "$n $(node_free $n)" >>/tmp/free.before
done
mib=$(((min >> 20) / 6))
echo "INFO $N workloads of $mib MiB; free before (node bytes): $(tr '\n' ' ' </tmp/free.before)"

# No ledger yet: the launches race to create it as well as for placement (concurrent first
# opens once failed with "PRAGMA journal_mode=WAL: database is locked", 2 in 96 here).
echo "INFO launching at uptime $(cut -d" " -f1 /proc/uptime)"
: >/tmp/pids
i=0
while [ $i -lt $N ]; do
	numaplace run --name w$i --require-placement --memory ${mib}M --vcpus 1 -- \
		toucher $mib --threads 2 >/tmp/w$i.out 2>/tmp/w$i.err &
	echo $! >>/tmp/pids
	i=$((i + 1))
done
i=0
started=0
while [ $i -lt $N ]; do
	if wait_line /tmp/w$i.out TOUCHED 600 "$(sed -n "$((i + 1))p" /tmp/pids)"; then
		started=$((started + 1))
	else
		echo "INFO w$i did not start: $(cat /tmp/w$i.out /tmp/w$i.err)"
	fi
	i=$((i + 1))
done
echo "INFO all started at uptime $(cut -d" " -f1 /proc/uptime)"
expect concurrency.started "$started" $N

# Per workload: pages and CPUs on its own nodes.
: >/tmp/touched
i=0
for pid in $(cat /tmp/pids); do
	sed -n 's/^TOUCHED pid=\([0-9]*\) addr=\([0-9a-f]*\) pages=\([0-9]*\).*/\1 \2 \3/p' \
		/tmp/w$i.out >>/tmp/touched
	i=$((i + 1))
done
workloads /tmp/touched >/tmp/where
bad=""
: >/tmp/resident
: >/tmp/placed
while IFS='|' read -r pid nodes cpus own distinct on pages resident; do
	[ "$own" = 1 ] && [ "$distinct" = 1 ] || bad="$bad pid$pid:cpus=$cpus,nodes=$nodes,threads-differ=$distinct"
	[ "$on" = "$pages" ] || bad="$bad pid$pid:$on-of-$pages-pages-on-[$nodes]"
	for r in $resident; do
		echo "${r%%:*} ${r#*:}" >>/tmp/resident
	done
	echo "$pid $nodes $cpus" >>/tmp/placed
done </tmp/where
[ -z "$bad" ] && pass concurrency.own-nodes "every workload's pages and CPUs are its nodes'" ||
	fail concurrency.own-nodes "$bad"
echo "INFO placements (count nodes): $(awk '{ $1 = ""; $NF = ""; print }' /tmp/placed | sort | uniq -c | tr -s ' ' | tr '\n' ';')"

# Balance: count(a) * cpus(b) <= (count(b) + 1) * cpus(a) for all nodes a, b with CPUs.
for n in $(cpu_nodes); do
	echo "$n $(awk -v n=$n '{ for (i = 2; i < NF; i++) c += $i == n } END { print c + 0 }' \
		/tmp/placed) $(echo $(node_cpus $n) | wc -w)"
done >/tmp/counts
unbalanced=$(awk '{ id[NR] = $1; k[NR] = $2; c[NR] = $3 }
	END {
		for (a = 1; a <= NR; a++)
			for (b = 1; b <= NR; b++)
				if (k[a] * c[b] > (k[b] + 1) * c[a])
					printf " node%d:%d/%d vs node%d:%d/%d", id[a], k[a], c[a], id[b], k[b], c[b]
	}' /tmp/counts)
[ -z "$unbalanced" ] && pass concurrency.balanced "workloads/CPUs per node: $(awk '{ printf "%d:%d/%d ", $1, $2, $3 }' /tmp/counts)" ||
	fail concurrency.balanced "$unbalanced"

echo "INFO checked at uptime $(cut -d" " -f1 /proc/uptime)"
# list agrees with the kernel.
numaplace list --json >/tmp/list.json 2>/tmp/list.err
if json </tmp/list.json >/tmp/list.flat; then
	expect concurrency.list.count "$(jget /tmp/list.flat 'workloads#')" $N
	# One line per workload: pid|nodes|cpus|resident node:bytes words|claimed bytes in total,
	# and the claims per node into /tmp/claimed.
	awk -F= '
		match($1, /^workloads\[[0-9]+\]/) {
			w = substr($1, 11, RLENGTH - 11) + 0
			if (w + 1 > n) n = w + 1
			key = substr($1, RLENGTH + 2)
			if (key == "pid") pid[w] = $2
			else if (key == "cpus") cpus[w] = $2
			else if (key ~ /^nodes\[/) nodes[w] = nodes[w] (nodes[w] == "" ? "" : " ") $2
			else if (key ~ /^resident\[[0-9]+\]\.node$/) rn = $2
			else if (key ~ /^resident\[[0-9]+\]\.bytes$/)
				res[w] = res[w] (res[w] == "" ? "" : " ") rn ":" $2
			else if (key ~ /^claimed\[[0-9]+\]\.node$/) cn = $2
			else if (key ~ /^claimed\[[0-9]+\]\.bytes$/) {
				cl[w] += $2
				print cn, $2 >"/tmp/claimed"
			}
		}
		END {
			for (w = 0; w < n; w++)
				printf "%s|%s|%s|%s|%.0f\n", pid[w], nodes[w], cpus[w], res[w], cl[w]
		}' /tmp/list.flat >/tmp/listed
	touch /tmp/claimed
	# Join with what the kernel shows (/tmp/where, by pid).
	bad=$(awk -F'|' -v want=$((mib << 20)) '
		FILENAME == ARGV[1] { k[$1] = $2 "|" $3 "|" $8; next }
		{
			if (!($1 in k)) { printf " pid%s:not-running", $1; next }
			got = $2 "|" $3 "|" $4
			if (got != k[$1]) printf " pid%s:list[%s]!=kernel[%s]", $1, got, k[$1]
			if ($5 != want) printf " pid%s:claimed=%s", $1, $5
		}' /tmp/where /tmp/listed)
	[ -z "$bad" ] && pass concurrency.list "pids, nodes, CPUs, claimed and resident memory match the kernel" ||
		fail concurrency.list "$bad"
else
	fail concurrency.list "not JSON: $(cat /tmp/list.err)"
fi

# No node over-committed: claims and resident memory per node within what it had free.
over=""
while read -r n f; do
	res=$(awk -v n=$n '$1 == n { s += $2 } END { printf "%.0f", s }' /tmp/resident)
	cl=$(awk -v n=$n '$1 == n { s += $2 } END { printf "%.0f", s }' /tmp/claimed)
	[ "$res" -le "$f" ] || over="$over node$n:resident=$res>$f"
	[ "$cl" -le "$f" ] || over="$over node$n:claimed=$cl>$f"
done </tmp/free.before
[ -z "$over" ] && pass concurrency.no-overcommit "claimed and resident memory per node within its free memory before" ||
	fail concurrency.no-overcommit "$over"

for pid in $(cat /tmp/pids); do
	kill $pid 2>/dev/null
done
for pid in $(cat /tmp/pids); do
	wait $pid 2>/dev/null
done
