#!/bin/sh
# `numaplace stat` on this machine: the kernel's counters of every node, a process's resident
# memory (this shell's, which is not zero), a workload of the ledger by name with its claim,
# --json, and --watch with --count.
# usage: test-stat.sh NUMAPLACE
set -u
np=$1
. "$(dirname "$0")/lib.sh"
nnodes=$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)

# --- the counters: one column per node, numa_hit counted somewhere ----------------------------
expect 0 "stat" -- "$np" stat
grep_out "^pages since boot  *node0" "stat: header"
hit_total=$(awk '$1 == "numa_hit" { print $NF }' "$tmp/out")
[ "${hit_total:-0}" -gt 0 ] && ok || bad "stat: numa_hit total is '${hit_total:-}'"
cols=$(awk '$1 == "numa_hit" { print NF - 2 }' "$tmp/out")
[ "$cols" -eq "$nnodes" ] && ok || bad "stat: $cols node columns, the host has $nnodes nodes"

# --- --pid: this shell's memory, not zero ------------------------------------------------------
expect 0 "stat --pid \$\$" -- "$np" stat --pid $$
grep_out "^MiB of pid $$ (" "stat --pid: header"
res=$(awk '$1 == "resident" { print $NF }' "$tmp/out")
python3 -c "import sys; sys.exit(0 if float('$res') > 0 else 1)" && ok ||
	bad "stat --pid $$: resident total is '$res' MiB"
expect 0 "stat --pid --json" -- "$np" stat --pid $$ --json
[ "$(py "j['version'], j['process']['pid'], j['process']['name'], j['process']['resident_bytes'] > 0" "$tmp/out")" = "1 $$ None True" ] &&
	ok || bad "stat --pid --json: $(cat "$tmp/out")"
[ "$(py "sum(m['resident_bytes'] for m in j['process']['memory']) == j['process']['resident_bytes']" "$tmp/out")" = True ] &&
	ok || bad "stat --pid --json: the nodes do not add up to resident_bytes"

# --- a workload by name: its claim and what it has resident -----------------------------------
"$np" run --name stat-w --memory 64M -- sleep 30 &
wpid=$!
i=0
while [ $i -lt 100 ] && ! "$np" list 2>/dev/null | grep -q "^stat-w "; do
	sleep 0.05
	i=$((i + 1))
done
expect 0 "stat NAME" -- "$np" stat stat-w
grep_out "^MiB of workload stat-w (pid [0-9]*)" "stat NAME: header"
claimed=$(awk '$1 == "claimed" { print $NF }' "$tmp/out")
[ "$claimed" = "64.00" ] && ok || bad "stat NAME: claimed total is '$claimed', expected 64.00"
expect 0 "stat NAME --json" -- "$np" stat stat-w --json
[ "$(py "j['process']['name'], sum(m['claimed_bytes'] for m in j['process']['memory'])" "$tmp/out")" = "stat-w 67108864" ] &&
	ok || bad "stat NAME --json: $(cat "$tmp/out")"
"$np" forget stat-w >/dev/null 2>&1
kill $wpid
wait $wpid 2>/dev/null
expect 1 "stat NAME forgotten" -- "$np" stat stat-w
grep_err "no live workload named 'stat-w' in the ledger" "stat NAME forgotten"

# --- --watch: two tables, the second of the interval; JSON one document a line ----------------
expect 0 "stat --watch 1 --count 2" -- "$np" stat --watch 1 --count 2
[ "$(grep -c '^numa_hit' "$tmp/out")" -eq 2 ] && ok || bad "stat --watch: not two tables"
grep_out "^pages in 1 s " "stat --watch: the second table's header"
expect 0 "stat --watch --json" -- "$np" stat --watch 1 --count 2 --json
[ "$(wc -l <"$tmp/out")" -eq 2 ] && ok || bad "stat --watch --json: not two lines"
head -1 "$tmp/out" >"$tmp/a.json"
tail -1 "$tmp/out" >"$tmp/b.json"
t1=$(py "j['time']" "$tmp/a.json")
t2=$(py "j['time']" "$tmp/b.json")
[ $((t2 - t1)) -ge 1 ] && ok || bad "stat --watch --json: times $t1 then $t2"

# --- a process that is gone -------------------------------------------------------------------
sleep 0 &
gone=$!
wait $gone
expect 1 "stat --pid gone" -- "$np" stat --pid $gone
grep_err "no process with pid $gone" "stat --pid gone"

echo "stat: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
