# workloads.awk - where running toucher workloads are, in one pass (a process start costs
# milliseconds under emulation; this replaces dozens of them per workload). Input files, in
# any order:
#   a file of "PID ADDR PAGES" lines (the toucher's TOUCHED fields), named by -v touched=FILE
#   /sys/devices/system/node/nodeN/cpulist       for every node
#   /proc/PID/task/TID/status                     for every thread of every workload
#   /proc/PID/numa_maps                           for every workload
# Output, one line per workload of the touched file, '|'-separated:
#   PID|NODES|CPUS|OWN|DISTINCT|ON|PAGES|RESIDENT
# NODES: the nodes of the CPUs the threads may use (space-separated); CPUS: that
# Cpus_allowed_list; OWN: 1 when those CPUs are exactly all the CPUs of NODES; DISTINCT: how
# many different Cpus_allowed_list the threads have; ON: pages of the mapping at ADDR on NODES;
# RESIDENT: the process's pages per node over every mapping, as "node:bytes" words.
function expand(list, set,   n, parts, i, r, lo, hi, c) {
	n = split(list, parts, ",")
	for (i = 1; i <= n; i++) {
		if (parts[i] == "")
			continue
		if (split(parts[i], r, "-") == 2) { lo = r[1] + 0; hi = r[2] + 0 }
		else { lo = parts[i] + 0; hi = lo }
		for (c = lo; c <= hi; c++)
			set[c] = 1
	}
}
FILENAME == touched {
	addr[$1] = $2
	pages[$1] = $3
	order[++nw] = $1
	next
}
FILENAME ~ /\/cpulist$/ {
	node = FILENAME
	sub(/.*\/node/, "", node)
	sub(/\/cpulist$/, "", node)
	nodecpus[node] = $0
	delete s
	expand($0, s)
	for (c in s)
		cpunode[c] = node
	next
}
FILENAME ~ /\/status$/ && $1 == "Cpus_allowed_list:" {
	split(FILENAME, f, "/")
	pid = f[3]
	if (!((pid, $2) in seen)) {
		seen[pid, $2] = 1
		distinct[pid]++
		cpus[pid] = $2
	}
	next
}
FILENAME ~ /\/numa_maps$/ {
	split(FILENAME, f, "/")
	pid = f[3]
	kb = 4
	for (i = 2; i <= NF; i++)
		if ($i ~ /^kernelpagesize_kB=/)
			kb = substr($i, 19)
	for (i = 2; i <= NF; i++) {
		if ($i !~ /^N[0-9]+=/)
			continue
		split(substr($i, 2), a, "=")
		res[pid, a[1]] += a[2] * kb * 1024
		resnodes[a[1]] = 1
		if ($1 == addr[pid])
			mapped[pid, a[1]] = a[2]
	}
}
END {
	for (w = 1; w <= nw; w++) {
		pid = order[w]
		delete s
		delete onnode
		expand(cpus[pid], s)
		for (c in s)
			onnode[cpunode[c]] = 1
		nodes = ""
		own = 1
		on = 0
		for (n = 0; n < 4096; n++) {
			if (!(n in onnode))
				continue
			nodes = nodes (nodes == "" ? "" : " ") n
			on += mapped[pid, n]
			delete t
			expand(nodecpus[n], t)
			for (c in t)
				if (!(c in s))
					own = 0
		}
		resident = ""
		for (n = 0; n < 4096; n++)
			if ((pid, n) in res)
				resident = resident (resident == "" ? "" : " ") sprintf("%d:%.0f", n, res[pid, n])
		printf "%s|%s|%s|%d|%d|%d|%s|%s\n", pid, nodes, cpus[pid], own, distinct[pid], on,
			pages[pid], resident
	}
}
