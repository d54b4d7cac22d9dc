#!/bin/sh
# `numaplace run`, `list`, `forget` and the ledger on this machine: the launched process really
# is bound, its claim is its own, failures leave the ledger as it was, concurrent launches never
# over-commit, and claims never outlive their processes.
# usage: test-run.sh NUMAPLACE
set -u
np=$1
. "$(dirname "$0")/lib.sh"

first_cpu=$(python3 -c "import os; print(min(os.sched_getaffinity(0)))")
all_cpus=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status)

# --- the launched process is bound: affinity and memory policy ------------------------------
"$np" run --memory 64M --cpus "$first_cpu" -- sh -c \
	'exec cat /proc/self/status /proc/self/numa_maps' >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && ok || bad "run --cpus: exit status"
grep -q "^Cpus_allowed_list:	$first_cpu\$" "$tmp/out" && ok || bad "run --cpus $first_cpu: affinity"
# the default policy: preferred (MPOL_PREFERRED_MANY) where the kernel has it, else bind
grep -Eq " (prefer \(many\)|bind):0 .*heap" "$tmp/out" && ok || bad "run: default memory policy"

"$np" run --memory 64M --mem-policy bind -- cat /proc/self/numa_maps >"$tmp/out" 2>&1
grep -q " bind:0 .*heap" "$tmp/out" && ok || bad "run --mem-policy bind"
"$np" run --memory 64M --mem-policy interleave -- cat /proc/self/numa_maps >"$tmp/out" 2>&1
grep -q " interleave:0 .*heap" "$tmp/out" && ok || bad "run --mem-policy interleave"
"$np" run --memory 64M --mem-policy none --cpus "$first_cpu" --cpu-binding none -- \
	sh -c 'exec cat /proc/self/status /proc/self/numa_maps' >"$tmp/out" 2>&1
grep -q "^Cpus_allowed_list:	$all_cpus\$" "$tmp/out" && ok || bad "--cpu-binding none"
grep -q " default .*heap" "$tmp/out" && ok || bad "--mem-policy none"
# automatic placement: all CPUs of node 0 on this one-node host
"$np" run --memory 64M -- cat /proc/self/status >"$tmp/out" 2>&1
grep -q "^Cpus_allowed_list:	$(cat /sys/devices/system/node/node0/cpulist 2>/dev/null || echo "$all_cpus")\$" \
	"$tmp/out" && ok || bad "automatic placement: affinity to node 0's CPUs"

# --- the claim is the workload's own: pid and start time -----------------------------------
"$np" run --name sleeper --memory 128M --vcpus 2 -- sleep 30 &
spid=$!
wait_listed sleeper && ok || bad "the workload is listed while it runs"
start=$(sed 's/.*) //' "/proc/$spid/stat" | cut -d' ' -f20)
[ "$(json "[x['pid'] for x in w if x['name'] == 'sleeper'][0]")" = "$spid" ] && ok ||
	bad "the ledger's pid is the workload's"
[ "$(json "[x['start_time'] for x in w if x['name'] == 'sleeper'][0]")" = "$start" ] && ok ||
	bad "the ledger's start time is field 22 of the workload's stat"
[ "$(json "[x['claimed'] for x in w if x['name'] == 'sleeper'][0]")" = \
	"[{'node': 0, 'bytes': 134217728}]" ] && ok || bad "claimed 128 MiB on node 0"
[ "$(json "[x['vcpus'] for x in w if x['name'] == 'sleeper'][0]")" = 2 ] && ok || bad "vcpus"
"$np" info -n >"$tmp/out" 2>&1
grep -Eq "^ +0: +128 +[0-9]+ +2 +1 +-$" "$tmp/out" && ok || bad "info -n shows the claim on node 0"

# --- failures before exec leave the ledger exactly as it was ---------------------------------
dump >"$tmp/before"
expect 1 "unknown command" -- "$np" run --memory 64M -- /nonexistent/command arg
grep_err "cannot run '/nonexistent/command': No such file or directory" "unknown command"
same_ledger "unknown command (the claim is taken back)"
echo 'touch "$1"' >"$tmp/noexec"
chmod 0644 "$tmp/noexec"
expect 1 "not executable" -- "$np" run --memory 64M -- "$tmp/noexec" "$tmp/ran"
grep_err "cannot run '$tmp/noexec': Permission denied" "not executable"
same_ledger "not executable"
# no shell runs a file the kernel cannot execute (execvp's /bin/sh fallback)
chmod 0755 "$tmp/noexec"
expect 1 "no interpreter line" -- "$np" run --memory 64M -- "$tmp/noexec" "$tmp/ran"
grep_err "cannot run '$tmp/noexec': Exec format error" "no interpreter line"
[ ! -e "$tmp/ran" ] && ok || bad "a file without #! ran through a shell"
same_ledger "no interpreter line"
expect 1 "not in PATH" -- env PATH="$tmp" "$np" run --memory 64M -- nosuchcmd
grep_err "cannot run 'nosuchcmd': No such file or directory" "not in PATH"
# found through PATH
echo '#!/bin/sh' >"$tmp/viapath"
echo 'echo found "$@"' >>"$tmp/viapath"
chmod 0755 "$tmp/viapath"
expect 0 "command found in PATH" -- env PATH="/nonexistent:$tmp" "$np" run --memory 64M -- viapath x
grep -qx "found x" "$tmp/out" && ok || bad "command found in PATH: output"
"$np" list >/dev/null # prunes it
dump >"$tmp/before"
expect 2 "missing --" -- "$np" run --memory 64M sleep 1
grep_err "put '--' before the command" "missing --"
expect 2 "no command" -- "$np" run --memory 64M --
expect 2 "no --memory" -- "$np" run -- true
expect 2 "bad size" -- "$np" run --memory 12 -- true
grep_err "not a size" "bad size"
expect 2 "bad size unit" -- "$np" run --memory 1X -- true
# --near: a device this host does not have is refused before anything runs or is recorded
expect 2 "unknown device" -- "$np" run --memory 64M --near eth-nonexistent -- true
grep_err "'eth-nonexistent': no such device" "unknown device"
expect 2 "no such spill tier" -- "$np" run --memory 64M --memory-spill tier9999 -- true
grep_err "no node without CPUs is of that kind or tier" "no such spill tier"
expect 2 "unknown node" -- "$np" run --memory 64M --nodes 999 -- true
grep_err "node 999 not on this host" "unknown node"
expect 2 "bad policy" -- "$np" run --memory 64M --mem-policy strict -- true
expect 2 "bad name" -- "$np" run --memory 64M --name 'a b' -- true
expect 2 "all-digit name" -- "$np" run --memory 64M --name 1234 -- true
expect 1 "name taken" -- "$np" run --memory 64M --name sleeper -- true
grep_err "already named 'sleeper'" "name taken"
expect 3 "nothing fits, --require-placement" -- \
	"$np" run --require-placement --memory 64P -- touch "$tmp/ran"
[ ! -e "$tmp/ran" ] && ok || bad "--require-placement ran the command anyway"
same_ledger "failures before exec"
# without --require-placement it runs unplaced, with a warning
expect 0 "nothing fits: runs unplaced" -- "$np" run --memory 64P -- touch "$tmp/ran"
grep_err "no NUMA placement fits: .*; running unplaced" "unplaced warning"
[ -e "$tmp/ran" ] && ok || bad "unplaced: the command did not run"

# --- forget -------------------------------------------------------------------------------------
expect 1 "forget unknown" -- "$np" forget nosuch
grep_err "no live workload named 'nosuch'" "forget unknown"
expect 0 "forget by name" -- "$np" forget sleeper
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'sleeper'][0]")" = forgotten ] && ok ||
	bad "forgotten workload in list --all"
kill -0 $spid 2>/dev/null && ok || bad "forget stopped the workload"
kill $spid
wait $spid 2>/dev/null
"$np" run --name s2 --memory 64M -- sleep 30 &
spid=$!
wait_listed s2 || bad "s2 listed"
expect 0 "forget by pid" -- "$np" forget $spid
[ "$(json "len([x for x in w if x['live']])")" = 0 ] && ok || bad "forget by pid"
kill $spid
wait $spid 2>/dev/null

# --- dead and reused pids are pruned -------------------------------------------------------------
"$np" run --name victim --memory 64M -- sleep 30 &
vpid=$!
wait_listed victim || bad "victim listed"
kill -9 $vpid
wait $vpid 2>/dev/null
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'victim'][0]")" = exited ] && ok ||
	bad "a killed workload is pruned"
"$np" run --name reused --memory 64M -- sleep 30 &
rpid=$!
wait_listed reused || bad "reused listed"
# the same pid with another start time: another program
sqlite3 "$db" "UPDATE workload SET start_time = start_time + 1 WHERE name = 'reused'"
[ "$(json "[x['end_reason'] for x in w if x['name'] == 'reused'][0]")" = "pid reused" ] && ok ||
	bad "a reused pid is pruned"
kill $rpid
wait $rpid 2>/dev/null

# --- SIGKILL at any point: no claim, or one pruned once its pid is gone --------------------------
for d in 0 0.0005 0.001 0.002 0.003 0.005 0.008 0.01 0.02 0.05; do
	"$np" run --memory 64M -- sleep 30 &
	kpid=$!
	sleep $d
	kill -9 $kpid 2>/dev/null
	wait $kpid 2>/dev/null
done
[ "$(json "len([x for x in w if x['live']])")" = 0 ] && ok || bad "claims outlived SIGKILL"
sqlite3 "$db" "PRAGMA integrity_check" | grep -qx ok && ok || bad "ledger integrity after SIGKILL"

# --- state directory and database refused --------------------------------------------------------
chmod 0770 "$NUMAPLACE_STATE_DIR"
expect 1 "group-writable state dir" -- "$np" run --memory 64M -- true
grep_err "is writable by group or others" "group-writable state dir"
chmod 0700 "$NUMAPLACE_STATE_DIR"
ln -s "$NUMAPLACE_STATE_DIR" "$tmp/link"
expect 1 "symlinked state dir" -- "$np" run --state-dir "$tmp/link" --memory 64M -- true
grep_err "is a symlink" "symlinked state dir"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chown nobody "$NUMAPLACE_STATE_DIR"
	expect 1 "foreign-owned state dir" -- "$np" run --memory 64M -- true
	grep_err "is owned by uid" "foreign-owned state dir"
	chown root "$NUMAPLACE_STATE_DIR"
	# an unwritable one, for a user who owns it
	mkdir -m 0500 "$tmp/ro"
	chown nobody "$tmp/ro"
	chmod 0755 "$tmp"
	expect 1 "unwritable state dir" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$np" run --state-dir "$tmp/ro" --memory 64M -- true
	grep_err "is not writable" "unwritable state dir"
else
	echo "note: foreign-owner and unwritable checks need root, 'nobody' and setpriv"
fi
cp "$db" "$tmp/good.db"
head -c 5000 /dev/urandom >"$db"
rm -f "$db-wal" "$db-shm"
cp "$db" "$tmp/corrupt"
expect 1 "corrupt database" -- "$np" run --memory 64M -- true
grep_err "is not a numaplace ledger" "corrupt database"
grep_err "is not a numaplace ledger: not an SQLite database (left untouched)" "corrupt database"
grep -q "not an error" "$tmp/err" && bad "corrupt database: SQLite's 'not an error' printed" || ok
cmp -s "$db" "$tmp/corrupt" && ok || bad "the corrupt database was modified"
expect 1 "corrupt database: list" -- "$np" list
cmp -s "$db" "$tmp/corrupt" && ok || bad "the corrupt database was modified by list"
sqlite3 "$tmp/future.db" "PRAGMA application_id=1313885255; PRAGMA user_version=9; CREATE TABLE t(x)"
cp "$tmp/future.db" "$db"
expect 1 "unknown schema version" -- "$np" list
grep_err "schema version 9" "unknown schema version"
cmp -s "$db" "$tmp/future.db" && ok || bad "the newer database was modified"
cp "$tmp/good.db" "$db"

# --- concurrency: 40 launches at once where only 5 fit ------------------------------------------
# A captured sysfs tree of this host's node 0 with 5.5 GiB free: each workload claims 1 GiB
# (less what `sleep` has resident, a few hundred KiB), so 5 fit and the 6th finds 0.5 GiB.
root="$tmp/sysfs"
nd=/sys/devices/system/node
mkdir -p "$root$nd/node0" "$root/sys/devices/system/cpu"
echo 0 >"$root$nd/online"
echo 0 >"$root$nd/possible"
echo 0 >"$root$nd/has_cpu"
echo 0 >"$root$nd/has_memory"
cpus=$(cat $nd/node0/cpulist 2>/dev/null || echo "$all_cpus")
echo "$cpus" >"$root$nd/node0/cpulist"
echo "$cpus" >"$root/sys/devices/system/cpu/online"
echo "$cpus" >"$root/sys/devices/system/cpu/possible"
echo 10 >"$root$nd/node0/distance"
printf 'Node 0 MemTotal:       16777216 kB\nNode 0 MemFree:         5767168 kB\nNode 0 Inactive(file):        0 kB\n' \
	>"$root$nd/node0/meminfo"
# --memory-kind hbm on a host without HBM: nothing fits, with the reason (run's own rules)
expect 3 "hbm, no HBM node, --require-placement" -- "$np" run --sysfs-root "$root" \
	--require-placement --memory 64M --memory-kind hbm -- touch "$tmp/hbm-ran"
grep_err "no NUMA placement fits: this host has no HBM node\$" "no HBM node"
[ ! -e "$tmp/hbm-ran" ] && ok || bad "--memory-kind hbm, no HBM node: the command ran"
expect 0 "hbm, no HBM node: runs unplaced" -- "$np" run --sysfs-root "$root" --memory 64M \
	--memory-kind hbm -- touch "$tmp/hbm-ran"
grep_err "this host has no HBM node; running unplaced" "no HBM node: unplaced warning"
[ -e "$tmp/hbm-ran" ] && ok || bad "--memory-kind hbm unplaced: the command did not run"
expect 2 "unknown memory kind" -- "$np" run --memory 64M --memory-kind nvm -- true
grep_err "'nvm': dram, hbm or any" "unknown memory kind"
export NUMAPLACE_STATE_DIR="$tmp/state40"
i=0
while [ $i -lt 40 ]; do
	("$np" run --sysfs-root "$root" --require-placement --memory 1G -- sleep 8 \
		>/dev/null 2>"$tmp/err.$i"
	echo $? >"$tmp/code.$i") &
	i=$((i + 1))
done
# Wait (on a loaded machine too) until every launch has decided: the 35 that do not fit have
# exited, and the 5 that fit have become their sleep.
n=0
while [ $n -lt 200 ] && [ "$(ls "$tmp"/code.* 2>/dev/null | wc -l)" -lt 35 ]; do
	sleep 0.1
	n=$((n + 1))
done
live=$(json "len([x for x in w if x['live']])")
[ "$live" = 5 ] && ok || bad "40 launches: $live live claims while they run, expected 5"
json "all(x['claimed'] == [{'node': 0, 'bytes': 1 << 30}] for x in w)" | grep -qx True && ok ||
	bad "40 launches: every claim is 1 GiB on node 0"
json "' '.join(str(x['pid']) for x in w if x['live'])" >"$tmp/pids"
for p in $(cat "$tmp/pids"); do
	n=0
	while [ $n -lt 100 ] && ! grep -q '^sleep$' "/proc/$p/comm" 2>/dev/null; do
		sleep 0.1
		n=$((n + 1))
	done
	grep -q '^sleep$' "/proc/$p/comm" 2>/dev/null && ok || bad "claim $p is not a running sleep"
done
wait
placed=$(grep -lx 0 "$tmp"/code.* | wc -l)
nofit=$(grep -lx 3 "$tmp"/code.* | wc -l)
[ "$placed" -eq 5 ] && ok || bad "40 launches: $placed placed, expected 5"
[ "$nofit" -eq 35 ] && ok || bad "40 launches: $nofit exited 3, expected 35"
for c in "$tmp"/code.*; do
	case $(cat "$c") in
	0 | 3) ;;
	*) echo "  launch ${c##*.}: exit $(cat "$c"): $(cat "$tmp/err.${c##*.}")" ;;
	esac
done
grep -h "no NUMA placement fits" "$tmp"/err.* | wc -l | grep -qx 35 && ok ||
	bad "40 launches: the no-fit message"
[ "$(json "len([x for x in w if x['live']])")" = 0 ] && ok || bad "claims outlived the workloads"
[ "$(json "len(w)")" = 5 ] && ok || bad "40 launches: history holds the 5 placed"

# --- concurrency: 40 exclusive launches at once where K whole cores are free -------------------
# The same tree with this host's CPU topology (hwloc reads the cores from it) and memory for
# all: each launch asks for 1 vCPU on whole cores, so K (this host's cores of node 0) get one
# core each, no core twice, and the rest find none free.
xroot="$tmp/sysfs-excl"
cp -r "$root" "$xroot"
printf 'Node 0 MemTotal:       67108864 kB\nNode 0 MemFree:        67108864 kB\nNode 0 Inactive(file):        0 kB\n' \
	>"$xroot$nd/node0/meminfo"
: >"$tmp/cores"
for c in $(python3 -c "
import sys
out = []
for part in '$cpus'.split(','):
    a, _, b = part.partition('-')
    out += range(int(a), int(b or a) + 1)
print(' '.join(map(str, out)))"); do
	t=/sys/devices/system/cpu/cpu$c/topology
	mkdir -p "$xroot/sys/devices/system/cpu/cpu$c/topology"
	for f in "$t"/*; do
		cat "$f" >"$xroot/sys/devices/system/cpu/cpu$c/topology/${f##*/}" 2>/dev/null
	done
	echo "$(cat "$t/physical_package_id") $(cat "$t/core_id")" >>"$tmp/cores"
done
K=$(sort -u "$tmp/cores" | wc -l)
export NUMAPLACE_STATE_DIR="$tmp/state-excl"
rm -f "$tmp"/code.* "$tmp"/err.*
i=0
while [ $i -lt 40 ]; do
	("$np" run --sysfs-root "$xroot" --require-placement --cpu-binding exclusive --memory 16M \
		-- sleep 8 >/dev/null 2>"$tmp/err.$i"
	echo $? >"$tmp/code.$i") &
	i=$((i + 1))
done
n=0
while [ $n -lt 300 ] && [ "$(ls "$tmp"/code.* 2>/dev/null | wc -l)" -lt $((40 - K)) ]; do
	sleep 0.1
	n=$((n + 1))
done
live=$(json "len([x for x in w if x['live']])")
[ "$live" = "$K" ] && ok || bad "40 exclusive launches: $live live claims, expected $K (cores)"
# every grant is one whole core of this host (its topology's core_cpus_list), none twice
json "' '.join(x.get('exclusive_cpus', '-') for x in w if x['live'])" >"$tmp/grants"
json "len(set(x.get('exclusive_cpus') for x in w if x['live'])) == len([x for x in w if x['live']])" |
	grep -qx True && ok || bad "40 exclusive launches: a core granted twice: $(cat "$tmp/grants")"
for g in $(cat "$tmp/grants"); do
	first=${g%%[-,]*}
	want=$(cat "/sys/devices/system/cpu/cpu$first/topology/thread_siblings_list" 2>/dev/null)
	[ "$g" = "$want" ] && ok || bad "exclusive grant $g is not the whole core $want"
done
json "all(x.get('exclusive_cpus') == x['cpus'] for x in w if x['live'])" | grep -qx True && ok ||
	bad "40 exclusive launches: bound CPUs differ from the grant"
wait
placed=$(grep -lx 0 "$tmp"/code.* | wc -l)
nofit=$(grep -lx 3 "$tmp"/code.* | wc -l)
[ "$placed" -eq "$K" ] && ok || bad "40 exclusive launches: $placed placed, expected $K"
[ "$nofit" -eq $((40 - K)) ] && ok || bad "40 exclusive launches: $nofit exited 3, expected $((40 - K))"
for c in "$tmp"/code.*; do
	case $(cat "$c") in
	0 | 3) ;;
	*) echo "  exclusive launch ${c##*.}: exit $(cat "$c"): $(cat "$tmp/err.${c##*.}")" ;;
	esac
done
grep -h "no NUMA placement fits: no set of nodes has 1 free whole core for 1 vCPU (none is free)" \
	"$tmp"/err.* | wc -l | grep -qx $((40 - K)) && ok ||
	bad "40 exclusive launches: the no-fit message: $(sort "$tmp"/err.* | uniq -c | head -3)"

# --- an exclusive grant, then shared launches: they leave its core out --------------------------
if [ "$K" -ge 2 ]; then
	"$np" run --sysfs-root "$xroot" --name excl1 --cpu-binding exclusive --memory 16M -- sleep 30 &
	xpid=$!
	wait_listed excl1
	grant=$(json "[x for x in w if x['name'] == 'excl1' and x['live']][0]['exclusive_cpus']")
	[ "$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$xpid/status)" = "$grant" ] && ok ||
		bad "exclusive launch: bound to $(sed -n 's/^Cpus_allowed_list:\t//p' /proc/$xpid/status), granted $grant"
	"$np" list >"$tmp/out"
	grep -q "^excl1 .* $grant excl " "$tmp/out" && ok || bad "list: no 'excl' mark: $(cat "$tmp/out")"
	# its core is no capacity for shared sets, and its vCPU no load
	"$np" plan --nodes 0 --memory 16M --json --explain >"$tmp/out"
	python3 -c "
import json
def n(s):
    return sum(int(b or a) - int(a) + 1 for a, _, b in (p.partition('-') for p in s.split(',')))
c = json.load(open('$tmp/out'))['candidates'][0]
assert c['ncpus'] == n('$cpus') - n('$grant') and c['placed_vcpus'] == 0, c" && ok ||
		bad "plan beside an exclusive workload: $(cat "$tmp/out")"
	for how in "" "--nodes 0"; do
		got=$("$np" run --sysfs-root "$xroot" --memory 16M $how -- \
			sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status)
		python3 -c "
import sys
def cpus(s):
    out = set()
    for p in s.split(','):
        a, _, b = p.partition('-')
        out |= set(range(int(a), int(b or a) + 1))
    return out
sys.exit(0 if '$got' and not (cpus('$got') & cpus('$grant')) else 1)" && ok ||
			bad "shared run $how: CPUs $got, which hold the grant $grant"
	done
	# every core held: a new grant finds none, but the holder placed again gets its own back
	"$np" run --sysfs-root "$xroot" --name excl2 --cpu-binding exclusive --memory 16M -- sleep 30 &
	xpid2=$!
	wait_listed excl2
	# info -n on this host: node 0's held CPUs are both grants, and their vCPUs no shared load
	grant2=$(json "[x for x in w if x['name'] == 'excl2' and x['live']][0]['exclusive_cpus']")
	held=$(python3 -c "
def cpus(s):
    out = set()
    for p in s.split(','):
        a, _, b = p.partition('-')
        out |= set(range(int(a), int(b or a) + 1))
    return out
c, runs = sorted(cpus('$grant') | cpus('$grant2')), []
for x in c:
    if runs and runs[-1][1] == x - 1:
        runs[-1][1] = x
    else:
        runs.append([x, x])
print(','.join(str(a) if a == b else '%d-%d' % (a, b) for a, b in runs))")
	"$np" info -n >"$tmp/out"
	sed -n '/^numa_placement/,/^workloads:/p' "$tmp/out" | grep -q "^   0: .* 0  *2  $held\$" && ok ||
		bad "info -n: node 0 should hold $held exclusively, 0 shared vCPUs: $(cat "$tmp/out")"
	"$np" info --json >"$tmp/out"
	python3 -c "
import json
p = json.load(open('$tmp/out'))['placement'][0]
assert p['node'] == 0 and p['exclusive_cpus'] == '$held' and p['vcpus'] == 0, p" && ok ||
		bad "info --json: node 0 should hold $held exclusively: $(cat "$tmp/out")"
	if [ "$K" -eq 2 ]; then
		expect 3 "exclusive launch with every core held" -- "$np" run --sysfs-root "$xroot" \
			--cpu-binding exclusive --require-placement --memory 16M -- true
		grep_err "no set of nodes has 1 free whole core for 1 vCPU (none is free)" \
			"exclusive launch with every core held"
	fi
	expect 0 "place --pid of an exclusive workload again" -- "$np" place --sysfs-root "$xroot" \
		--pid $xpid --cpu-binding exclusive --memory 16M --json
	python3 -c "import json; j = json.load(open('$tmp/out')); assert j['moved'] and j['exclusive_cpus'] == '$grant', j" &&
		ok || bad "place --pid again: not its own core back: $(cat "$tmp/out")"
	kill $xpid $xpid2
	wait $xpid $xpid2 2>/dev/null
fi

echo "run: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
