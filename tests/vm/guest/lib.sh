# lib.sh - helpers shared by the guest checks (busybox sh). Sourced, never run.
#
# Results: `pass NAME DETAIL` and `fail NAME DETAIL` print "PASS NAME: DETAIL" or
# "FAIL NAME: DETAIL" and record the line in $NP_RESULTS, which run-checks.sh counts.
# Topology parameters from the host runner (/etc/vm-topology.env): VM_NODES,
# VM_CPULISTS ("0-1;2-3;..."), VM_MEM_MB ("512;512;..."), VM_DIST ("10 20;20 10").

pass() {
	local name=$1
	shift
	echo "PASS $name: $*" | tee -a "${NP_RESULTS:-/dev/null}"
}
fail() {
	local name=$1
	shift
	echo "FAIL $name: $*" | tee -a "${NP_RESULTS:-/dev/null}"
}
# expect NAME GOT WANT: pass when the two strings are equal.
expect() {
	if [ "$2" = "$3" ]; then
		pass "$1" "$2"
	else
		fail "$1" "got [$2], want [$3]"
	fi
}

# nth LIST I: the I-th (from 0) field of a ';'-separated list.
nth() {
	echo "$1" | awk -F';' -v i="$2" '{ print $(i + 1) }'
}
# expand_list "0-2,5": "0 1 2 5" (kernel list syntax to words).
expand_list() {
	echo "$1" | awk -F, '{
		out = ""
		for (i = 1; i <= NF; i++) {
			if ($i == "") continue
			n = split($i, r, "-")
			lo = r[1]; hi = (n == 2) ? r[2] : r[1]
			for (c = lo + 0; c <= hi + 0; c++) out = out (out == "" ? "" : " ") c
		}
		print out
	}'
}
# node_ids: the guest's node ids, from sysfs.
node_ids() {
	expand_list "$(cat /sys/devices/system/node/online)"
}
# cpu_nodes / mem_nodes: node ids with CPUs / with memory (per the runner's parameters).
cpu_nodes() {
	local i=0 out=""
	while [ $i -lt "$VM_NODES" ]; do
		[ -n "$(nth "$VM_CPULISTS" $i)" ] && out="$out${out:+ }$i"
		i=$((i + 1))
	done
	echo "$out"
}

# json: flatten the JSON document on stdin into path=value lines (see json.awk).
json() {
	awk -f "${NP_VM_DIR:-/test}/json.awk"
}
# jget FLAT PATH: the value at PATH in a flattened document held in the file FLAT.
jget() {
	awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2); exit }' "$1"
}

# status_field PID KEY: a field of /proc/PID/status.
status_field() {
	awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"
}
# threads_cpus PID: Cpus_allowed_list of every thread of PID, one per line, sorted unique.
threads_cpus() {
	local t
	for t in /proc/"$1"/task/*; do
		awk '$1 == "Cpus_allowed_list:" { print $2 }' "$t/status"
	done | sort -u
}
# maps_line PID ADDR: the numa_maps line of the mapping that starts at ADDR (hex, no 0x).
maps_line() {
	grep "^$2 " "/proc/$1/numa_maps"
}
# maps_nodes PID ADDR: that mapping's pages per node as "N0=12 N3=500" (nodes in order).
maps_nodes() {
	maps_line "$1" "$2" | tr ' ' '\n' | grep '^N[0-9]*=' | sort -t= -k1.2n | tr '\n' ' ' |
		sed 's/ $//'
}
# maps_policy PID ADDR: the policy field of that mapping ("bind:1", "interleave:0-1", ...).
# Busybox awk: the policy text "prefer (many):0-1" contains a space.
maps_policy() {
	maps_line "$1" "$2" | sed -e "s/^[0-9a-f]* \(.*\) anon=.*/\1/" -e t -e "s/^[0-9a-f]* \([^ ]*\) .*/\1/"
}

# wait_line FILE PATTERN [TENTHS [PID]]: wait until FILE has a line matching PATTERN (default
# 30 s), or until process PID has ended without writing it.
wait_line() {
	local n=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -ge "${3:-300}" ] && return 1
		if [ -n "$4" ] && ! kill -0 "$4" 2>/dev/null; then
			grep -q "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
	done
}
# launch NAME RUN-ARGS... -- TOUCHER-ARGS...: start `numaplace run` in the background (its
# pid in PID, added to PIDS), output in /tmp/NAME.out and .err; wait for the toucher's TOUCHED
# line (a failed NAME.start when it never comes).
launch() {
	local name=$1
	shift
	numaplace run --name "$name" "$@" >/tmp/$name.out 2>/tmp/$name.err &
	PID=$!
	PIDS="$PIDS $PID"
	if ! wait_line /tmp/$name.out TOUCHED 300 $PID; then
		fail "$name.start" "no TOUCHED line: $(cat /tmp/$name.out /tmp/$name.err)"
		return 1
	fi
}
# stop_all: kill and reap the processes launch started.
stop_all() {
	for p in $PIDS; do
		kill $p 2>/dev/null
		wait $p 2>/dev/null
	done
	PIDS=""
}
# touched_field FILE KEY: a key=value field of the toucher's TOUCHED line.
touched_field() {
	sed -n "s/^TOUCHED .*$2=\([0-9a-f]*\).*/\1/p" "$1" | head -n 1
}

# jarray FLAT PATH: the elements of the array at PATH, space-separated ("" for null or []).
jarray() {
	awk -v k="$2" '
		index($0, k "[") == 1 {
			rest = substr($0, length(k) + 2)
			if (rest ~ /^[0-9]+\]=/) {
				sub(/^[0-9]+\]=/, "", rest)
				out = out (out == "" ? "" : " ") rest
			}
		}
		END { print out }' "$1"
}
# distance A B: the kernel's distance from node A to node B.
distance() {
	awk -v b="$2" -v ids="$(node_ids)" 'BEGIN { n = split(ids, id, " "); for (i = 1; i <= n; i++) col[id[i]] = i }
		{ print $(col[b]) }' "/sys/devices/system/node/node$1/distance"
}
# node_cpus LIST: the CPUs of the nodes in LIST (words), in kernel list syntax (words).
node_cpus() {
	local id
	for id in $1; do
		expand_list "$(cat /sys/devices/system/node/node$id/cpulist)"
	done | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//'
}
# node_free ID: MemFree + Inactive(file) of a node, in bytes.
node_free() {
	awk '$3 == "MemFree:" || $3 == "Inactive(file):" { kb += $4 }
		END { printf "%.0f\n", kb * 1024 }' "/sys/devices/system/node/node$1/meminfo"
}
# proc_resident PID: the process's resident memory per node from numa_maps, as "node:bytes"
# words in node order (every mapping, each page counted at its kernelpagesize_kB).
proc_resident() {
	awk '{
		kb = 4
		for (i = 1; i <= NF; i++)
			if ($i ~ /^kernelpagesize_kB=/) kb = substr($i, 19)
		for (i = 1; i <= NF; i++)
			if ($i ~ /^N[0-9]+=/) {
				split(substr($i, 2), a, "=")
				b[a[1]] += a[2] * kb * 1024
			}
	} END { for (n in b) printf "%d:%.0f\n", n, b[n] }' "/proc/$1/numa_maps" | sort -n |
		tr '\n' ' ' | sed 's/ $//'
}
# workloads FILE: run workloads.awk on the touchers listed in FILE ("PID ADDR PAGES" lines).
workloads() {
	local files="" pid
	for pid in $(awk '{ print $1 }' "$1"); do
		files="$files /proc/$pid/task/*/status /proc/$pid/numa_maps"
	done
	awk -v touched="$1" -f "${NP_VM_DIR:-/test}/workloads.awk" "$1" \
		/sys/devices/system/node/node*/cpulist $files
}
# node_table: one line per node, by id: "ID FREE NCPUS D0 D1 ..." (free = MemFree +
# Inactive(file) in bytes, the distance row), read in one process.
node_table() {
	awk '
		function id(f) { sub(/.*\/node/, "", f); sub(/\/.*/, "", f); return f + 0 }
		FILENAME ~ /meminfo$/ && ($3 == "MemFree:" || $3 == "Inactive(file):") {
			free[id(FILENAME)] += $4 * 1024
		}
		FILENAME ~ /cpulist$/ {
			n = split($0, parts, ",")
			for (i = 1; i <= n; i++) {
				if (parts[i] == "") continue
				if (split(parts[i], r, "-") == 2) cpus[id(FILENAME)] += r[2] - r[1] + 1
				else cpus[id(FILENAME)]++
			}
		}
		FILENAME ~ /distance$/ { dist[id(FILENAME)] = $0 }
		END {
			for (n in dist)
				printf "%d %.0f %d %s\n", n, free[n], cpus[n], dist[n]
		}' /sys/devices/system/node/node*/meminfo /sys/devices/system/node/node*/cpulist \
		/sys/devices/system/node/node*/distance | sort -n
}
# pair_distance_bounds BYTES VCPUS: "LO HI", the smallest distance between two nodes that
# together may have BYTES free (within 16 MiB: free memory moves) and VCPUS CPUs, and the
# smallest between two that surely have it. A placement on two nodes is the closest pair
# that fits when its distance lies in [LO, HI].
pair_distance_bounds() {
	node_table | awk -v need="$1" -v vcpus="$2" '
		{ id[NR] = $1; free[NR] = $2; cpus[NR] = $3; for (j = 4; j <= NF; j++) d[NR, j - 3] = $j }
		END {
			slack = 16 * 1048576
			for (a = 1; a <= NR; a++)
				for (b = a + 1; b <= NR; b++) {
					if (cpus[a] + cpus[b] < vcpus) continue
					f = free[a] + free[b]
					if (f >= need - slack && (lo == "" || d[a, b] < lo)) lo = d[a, b]
					if (f >= need + slack && (hi == "" || d[a, b] < hi)) hi = d[a, b]
				}
			print lo, hi
		}'
}
# two_node_size VCPUS: a request size in MiB that no single node with VCPUS CPUs has free and
# some pair of nodes (with VCPUS CPUs between them) can, at least 16 MiB away from every such
# node's and every pair's free memory, so that memory moving by a few MiB between two commands
# changes no answer. A node with fewer CPUs cannot hold the request alone, however much memory
# it has free (the 8-node guest's memory-only node has the most). Empty when there is no such
# size.
two_node_size() {
	node_table | awk -v vcpus="$1" '
		{ free[NR] = int($2 / 1048576); cpus[NR] = $3 }
		END {
			for (a = 1; a <= NR; a++) {
				if (cpus[a] >= vcpus && free[a] > single) single = free[a]
				for (b = a + 1; b <= NR; b++)
					if (cpus[a] + cpus[b] >= vcpus) sum[++n] = free[a] + free[b]
			}
			for (s = single + 16; ; s += 4) {
				ok = 1
				fits = 0
				for (i = 1; i <= n; i++) {
					if (sum[i] > s - 16 && sum[i] < s + 16) ok = 0
					if (sum[i] >= s + 16) fits = 1
				}
				if (!fits) exit
				if (ok) { print s; exit }
			}
		}'
}

# pages_on PID ADDR NODES: pages of the mapping on the nodes NODES (words).
pages_on() {
	local sum=0 n c
	for n in $3; do
		c=$(maps_line "$1" "$2" | tr ' ' '\n' | sed -n "s/^N$n=//p")
		sum=$((sum + ${c:-0}))
	done
	echo $sum
}
# nodes_of_cpus LIST: the nodes whose CPUs are in the kernel list LIST.
nodes_of_cpus() {
	local c
	for c in $(expand_list "$1"); do
		ls -d /sys/devices/system/cpu/cpu$c/node* | sed 's/.*node//'
	done | sort -nu | tr '\n' ' ' | sed 's/ $//'
}
