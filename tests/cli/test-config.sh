#!/bin/sh
# The host configuration file (docs/config.md): every key read and shown by `numaplace config`,
# the precedence built-in < file < environment < flag as the commands apply it, and each bad
# file refused with its exact message, before anything runs: the ledger untouched, the command
# not started.
# usage: test-config.sh NUMAPLACE
set -u
np=$1
. "$(dirname "$0")/lib.sh"
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
conf="$tmp/numaplace.conf"

# check_err EXPECTED DESCRIPTION: the last command's stderr is exactly EXPECTED
check_err() {
	if [ "$(cat "$tmp/err")" = "$1" ]; then ok; else
		bad "$2: stderr differs"
		printf '  expected: %s\n' "$1"
		sed 's/^/  got:      /' "$tmp/err"
	fi
}
# check_out EXPECTED DESCRIPTION: the last command's stdout is exactly EXPECTED
check_out() {
	if [ "$(cat "$tmp/out")" = "$1" ]; then ok; else
		bad "$2: stdout differs"
		printf '  expected: %s\n' "$1"
		sed 's/^/  got:      /' "$tmp/out"
	fi
}
# value SECTION KEY: the value of a key in `config --json`'s last output
value() {
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["settings"][sys.argv[2]][sys.argv[3]]; print(s["value"], s["origin"], s.get("line", ""))' "$tmp/out" "$1" "$2"
}

# --- every key is read, and shown with its line ----------------------------------------------
cat >"$conf" <<EOF
# every key, with values that differ from the built-in ones
[placement]
strategy = spread
mem-policy = interleave
  cpu-binding = none ; indented, with a comment
reserved-cpus = 0-1,48-49

[ledger]
state-dir = $tmp/from-file

[daemon]
interval = 2.5
min-gap = 60
min-improvement = 0.25
adopt-threshold = 512M:30
exclude = sshd,systemd
adopt-only = qemu-system-x86
adopt-cgroups = machine.slice/*,system.slice/docker-*.scope
EOF
expect 0 "config --json with every key" -- env -u NUMAPLACE_STATE_DIR "$np" --config "$conf" config --json
for kv in "placement strategy:spread file 3" "placement mem-policy:interleave file 4" \
	"placement cpu-binding:none file 5" "placement reserved-cpus:0-1,48-49 file 6" \
	"ledger state-dir:$tmp/from-file file 9" "daemon interval:2.5 file 12" \
	"daemon min-gap:60 file 13" "daemon min-improvement:0.25 file 14" \
	"daemon adopt-threshold:512 MiB:30 file 15" "daemon exclude:sshd,systemd file 16" \
	"daemon adopt-only:qemu-system-x86 file 17" \
	"daemon adopt-cgroups:machine.slice/*,system.slice/docker-*.scope file 18"; do
	sec=${kv%% *}
	rest=${kv#* }
	key=${rest%%:*}
	want=${rest#*:}
	got=$(value "$sec" "$key")
	if [ "$got" = "$want" ]; then ok; else bad "[$sec] $key: '$got', expected '$want'"; fi
done
if grep -q '"version": 1' "$tmp/out"; then ok; else bad "config --json has no version 1"; fi

# The text form names the file and line of each setting, the built-in ones as such.
printf '[daemon]\nmin-gap = 10\n' >"$tmp/small.conf"
expect 0 "config, text" -- env -u NUMAPLACE_STATE_DIR "$np" --config "$tmp/small.conf" config
if grep -qx "min-gap = 10  *; $tmp/small.conf:2" "$tmp/out" &&
	grep -qx 'strategy = compact  *; built-in' "$tmp/out" &&
	grep -qx "; file: $tmp/small.conf (named by --config)" "$tmp/out"; then ok; else
	bad "config's text output"
	sed 's/^/  | /' "$tmp/out"
fi

# A missing default file is the built-in defaults; an empty NUMAPLACE_CONFIG reads no file.
expect 0 "NUMAPLACE_CONFIG empty" -- "$np" config --json
if [ "$(value placement strategy)" = "compact built-in " ]; then ok; else bad "empty NUMAPLACE_CONFIG"; fi
# NUMAPLACE_CONFIG names the file; --config wins over it.
expect 0 "NUMAPLACE_CONFIG names the file" -- env NUMAPLACE_CONFIG="$conf" "$np" config --json
if [ "$(value placement strategy)" = "spread file 3" ]; then ok; else bad "NUMAPLACE_CONFIG"; fi
expect 0 "--config over NUMAPLACE_CONFIG" -- env NUMAPLACE_CONFIG="$conf" "$np" --config "$tmp/small.conf" config --json
if [ "$(value placement strategy)" = "compact built-in " ]; then ok; else bad "--config over NUMAPLACE_CONFIG"; fi

# The example file, every key uncommented, is valid and says the built-in values.
sed 's/^#\([a-z]\)/\1/' "$(dirname "$0")/../../data/numaplace.conf" >"$tmp/example.conf"
expect 0 "the example, uncommented" -- env -u NUMAPLACE_STATE_DIR "$np" --config "$tmp/example.conf" config --json
mv "$tmp/out" "$tmp/example.json"
expect 0 "the built-in settings" -- env -u NUMAPLACE_STATE_DIR "$np" config --json
if python3 -c 'import json,sys
a = json.load(open(sys.argv[1]))["settings"]
b = json.load(open(sys.argv[2]))["settings"]
keys = [(s, k) for s in b for k in b[s] if k != "state-dir"]
sys.exit(not all(a[s][k]["value"] == b[s][k]["value"] and a[s][k]["origin"] == "file" for s, k in keys))' \
	"$tmp/example.json" "$tmp/out"; then ok; else bad "the example file's values are not the built-in ones"; fi

# --- precedence: file < environment < flag -------------------------------------------------------
# strategy: spread takes both nodes of two-node; the flag's compact takes one.
plan="plan --sysfs-root $fixtures/sysfs/two-node --memory 1G"
expect 0 "plan, strategy from the file" -- "$np" --config "$conf" $plan
if head -1 "$tmp/out" | grep -q '^nodes 0-1 '; then ok; else bad "strategy = spread not used: $(head -1 "$tmp/out")"; fi
expect 0 "plan, --strategy over the file" -- "$np" --config "$conf" $plan --strategy compact
if head -1 "$tmp/out" | grep -q '^nodes 1 '; then ok; else bad "--strategy compact not used: $(head -1 "$tmp/out")"; fi

# state-dir: the file's, else NUMAPLACE_STATE_DIR's, else --state-dir's gets the ledger.
printf '[ledger]\nstate-dir = %s\n' "$tmp/sd-file" >"$tmp/sd.conf"
expect 0 "run, state-dir from the file" -- env -u NUMAPLACE_STATE_DIR \
	"$np" --config "$tmp/sd.conf" run --nodes 0 --memory 64M -- true
expect 0 "run, NUMAPLACE_STATE_DIR over the file" -- env NUMAPLACE_STATE_DIR="$tmp/sd-env" \
	"$np" --config "$tmp/sd.conf" run --nodes 0 --memory 64M -- true
expect 0 "run, --state-dir over both" -- env NUMAPLACE_STATE_DIR="$tmp/sd-env2" \
	"$np" --config "$tmp/sd.conf" run --state-dir "$tmp/sd-flag" --nodes 0 --memory 64M -- true
for d in sd-file sd-env sd-flag; do
	if [ -f "$tmp/$d/ledger.db" ]; then ok; else bad "no ledger in $d"; fi
done
if [ ! -e "$tmp/sd-env2" ]; then ok; else bad "NUMAPLACE_STATE_DIR used over --state-dir"; fi
expect 0 "config shows the environment's state-dir" -- env NUMAPLACE_STATE_DIR="$tmp/sd-env" \
	"$np" --config "$tmp/sd.conf" config --json
if [ "$(value ledger state-dir)" = "$tmp/sd-env environment " ]; then ok; else
	bad "state-dir origin: $(value ledger state-dir)"
fi

# mem-policy (recorded in the ledger) and cpu-binding (the affinity CMD gets).
printf '[placement]\nmem-policy = bind\ncpu-binding = none\n' >"$tmp/run.conf"
expect 0 "run, mem-policy and cpu-binding from the file" -- "$np" --config "$tmp/run.conf" \
	run --name from-file --cpus 0 --memory 64M -- grep Cpus_allowed_list /proc/self/status
all=$(grep Cpus_allowed_list /proc/self/status)
if [ "$(cat "$tmp/out")" = "$all" ]; then ok; else bad "cpu-binding = none: $(cat "$tmp/out")"; fi
expect 0 "run, the flags over the file" -- "$np" --config "$tmp/run.conf" \
	run --name from-flags --cpus 0 --memory 64M --cpu-binding strict --mem-policy interleave \
	-- grep Cpus_allowed_list /proc/self/status
check_out "Cpus_allowed_list:	0" "--cpu-binding strict over the file"
expect 0 "list" -- "$np" list --all --json
policies=$(python3 -c 'import json,sys; print(" ".join(w["name"] + ":" + w["policy"] for w in json.load(open(sys.argv[1]))["workloads"]))' "$tmp/out")
case "$policies" in
*from-file:bind*from-flags:interleave* | *from-flags:interleave*from-file:bind*) ok ;;
*) bad "mem-policy from the file and the flag: $policies" ;;
esac

# The daemon's interval and thresholds, as its first log line says them.
printf '[daemon]\ninterval = 0.5\nmin-gap = 7\nmin-improvement = 0.3\nadopt-threshold = 1G\n' >"$tmp/d.conf"
expect 0 "daemon, settings from the file" -- "$np" --config "$tmp/d.conf" daemon --once --dry-run
grep_err "started: every 0.5 s, min gap 7 s, min improvement 0.30, strategy compact, adopting, dry run" \
	"daemon from the file"
# adopt-cgroups: the file's patterns adopt groups (of an empty tree here: none to adopt)
mkdir -p "$tmp/cgt/proc/self" "$tmp/cgt/sys/fs/cgroup/machine.slice"
echo "25 22 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw" >"$tmp/cgt/proc/self/mountinfo"
printf '[daemon]\nadopt-cgroups = machine.slice/*\n' >"$tmp/g.conf"
expect 0 "daemon, adopt-cgroups from the file" -- env NUMAPLACE_CGROUP_ROOT="$tmp/cgt" \
	"$np" --config "$tmp/g.conf" daemon --once --dry-run --interval 0.1
grep_err "started: every 0.1 s, min gap 300 s, min improvement 0.10, strategy compact, adopting groups, dry run" \
	"daemon, adopt-cgroups from the file"
expect 0 "daemon, flags over the file" -- "$np" --config "$tmp/d.conf" daemon --once --dry-run \
	--interval 1 --min-gap 8 --min-improvement 0.2 --strategy xen
grep_err "started: every 1 s, min gap 8 s, min improvement 0.20, strategy xen, adopting, dry run" \
	"daemon flags over the file"

# --- bad files: the exact message, and nothing done ---------------------------------------------
# bad_case DESCRIPTION EXPECTED-STDERR: with $badf as --config, run would record a claim and
# create a file; neither happens.
dump >"$tmp/before"
bad_case() {
	case_name=$1
	case_err=$2
	rm -f "$tmp/ran"
	expect 1 "$case_name" -- "$np" --config "$badf" run --nodes 0 --memory 64M -- touch "$tmp/ran"
	check_err "$case_err" "$case_name"
	if [ ! -e "$tmp/ran" ]; then ok; else bad "$case_name: the command ran"; fi
	same_ledger "$case_name"
}
badf="$tmp/bad.conf"
printf '[placement]\nstrategy = compact\nstrateg = xen\n' >"$badf"
bad_case "unknown key" "numaplace: $badf:3: unknown key 'strateg' in [placement]"
printf '[placement]\n\nstrategy = fastest\n' >"$badf"
bad_case "bad strategy" \
	"numaplace: $badf:3: strategy 'fastest': unknown (compact, xen, numad, first-fit, spread, exhaustive)"
printf '[placement]\nreserved-cpus = 3-1\n' >"$badf"
bad_case "bad CPU list" "numaplace: $badf:2: reserved-cpus '3-1': not a CPU list (e.g. 0-1,48-49)"
printf '[daemon]\ninterval = 0\n' >"$badf"
bad_case "bad interval" "numaplace: $badf:2: interval '0': a number of seconds from 0.05 to 86400"
printf '[daemon]\nadopt-threshold = 1G:lots\n' >"$badf"
bad_case "bad threshold" \
	"numaplace: $badf:2: adopt-threshold '1G:lots': expected RSS[:CPU%], e.g. 1G:50 (empty: adopt nothing)"
printf '[daemon]\nadopt-cgroups = machine.slice/*,/sys/fs/cgroup/x\n' >"$badf"
bad_case "absolute group pattern" \
	"numaplace: $badf:2: adopt-cgroups 'machine.slice/*,/sys/fs/cgroup/x': expected GLOB,... (group paths relative to the cgroup2 mount, e.g. machine.slice/*)"
printf '[daemon]\nadopt-cgroups = a,,b\n' >"$badf"
bad_case "empty group pattern" \
	"numaplace: $badf:2: adopt-cgroups 'a,,b': expected GLOB,... (group paths relative to the cgroup2 mount, e.g. machine.slice/*)"
printf '[ledger]\nstate-dir = relative\n' >"$badf"
bad_case "relative state-dir" "numaplace: $badf:2: state-dir 'relative': must be an absolute path"
printf '[placement]\nmem-policy = bind\nmem-policy = none\n' >"$badf"
bad_case "key twice" "numaplace: $badf:3: mem-policy: already set on line 2"
printf 'strategy = xen\n' >"$badf"
bad_case "key before a section" \
	"numaplace: $badf:1: 'strategy' before any section: put it under [placement], [ledger] or [daemon]"
printf '[placement]\n[numa]\nnodes = 0\n' >"$badf"
bad_case "unknown section" \
	"numaplace: $badf:3: unknown section [numa] (key 'nodes'): expected [placement], [ledger] or [daemon]"
printf '[placement]\nstrategy compact\n' >"$badf"
bad_case "not key = value" "numaplace: $badf:2: not 'key = value', a [section] or a comment"
printf '[daemon]\nexclude = %0300d\n' 0 >"$badf"
bad_case "line too long" "numaplace: $badf:2: line too long (at most 197 characters)"
badf="$tmp/missing.conf"
bad_case "missing file named by --config" \
	"numaplace: cannot read the configuration '$badf': No such file or directory"
badf="$tmp"
bad_case "a directory" "numaplace: cannot read the configuration '$tmp': a directory"
badf="$tmp/fifo"
mkfifo "$badf"
bad_case "a FIFO" "numaplace: cannot read the configuration '$badf': not a regular file"
badf="$tmp/bad.conf"
printf '[placement]\nstrategy = xen\n' >"$badf"
if [ "$(id -u)" -eq 0 ]; then
	chmod 0664 "$badf"
	bad_case "root: group-writable file" \
		"numaplace: the configuration '$badf' is writable by group or others (mode 0664): refused when running as root"
	chmod 0644 "$badf"
	chmod 0757 "$tmp"
	bad_case "root: directory writable by others" \
		"numaplace: the configuration '$badf': its directory '$tmp' is writable by group or others (mode 0757): refused when running as root"
	chmod 0700 "$tmp"
	if id nobody >/dev/null 2>&1; then
		chown nobody "$badf"
		bad_case "root: file of another owner" \
			"numaplace: the configuration '$badf' is owned by uid $(id -u nobody), not root: refused when running as root"
		chown 0 "$badf"
	fi
	# unreadable: as nobody (root reads anything), in a directory nobody may enter
	pub=$(mktemp -d)
	chmod 0755 "$pub"
	printf '[placement]\nstrategy = xen\n' >"$pub/numaplace.conf"
	chmod 0000 "$pub/numaplace.conf"
	if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
		expect 1 "unreadable file" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
			env NUMAPLACE_CONFIG="$pub/numaplace.conf" "$np" config
		check_err "numaplace: cannot read the configuration '$pub/numaplace.conf': Permission denied" \
			"unreadable file"
	else
		echo "skipped: the unreadable file (needs setpriv and the user nobody)"
	fi
	rm -rf "$pub"
else
	echo "skipped: the checks made when running as root"
	chmod 0000 "$badf"
	bad_case "unreadable file" "numaplace: cannot read the configuration '$badf': Permission denied"
fi
# --- reserved CPUs on this host: run, advise and the daemon keep off them -----------------------
dump >"$tmp/before"
node0=$(cat /sys/devices/system/node/node0/cpulist 2>/dev/null || echo "")
first=${node0%%[-,]*}
all_cpus=$(grep Cpus_allowed_list /proc/self/status | cut -f2)
printf '[placement]\nreserved-cpus = %s\n' "$all_cpus" >"$tmp/all.conf"
rm -f "$tmp/ran"
expect 1 "run, every CPU reserved" -- "$np" --config "$tmp/all.conf" run --memory 64M -- touch "$tmp/ran"
check_err "numaplace: every usable CPU of this host is reserved (reserved-cpus, $tmp/all.conf:2)" \
	"run, every CPU reserved"
if [ ! -e "$tmp/ran" ]; then ok; else bad "run, every CPU reserved: the command ran"; fi
same_ledger "run, every CPU reserved"
expect 1 "advise, every CPU reserved" -- "$np" --config "$tmp/all.conf" advise 1:64
check_err "numaplace: every usable CPU of this host is reserved (reserved-cpus, $tmp/all.conf:2)" \
	"advise, every CPU reserved"
if [ -n "$node0" ] && [ "$node0" != "$first" ]; then
	# node 0 has two CPUs or more: reserve its first; a placement on node 0 gets the others
	printf '[placement]\nreserved-cpus = %s\n' "$first" >"$tmp/one.conf"
	expect 0 "run, one CPU reserved" -- "$np" --config "$tmp/one.conf" run --nodes 0 \
		--memory 64M -- grep Cpus_allowed_list /proc/self/status
	if ! cut -f2 "$tmp/out" | python3 -c 'import sys
s = set()
for part in sys.stdin.read().strip().split(","):
    a, _, b = part.partition("-")
    s.update(range(int(a), int(b or a) + 1))
sys.exit(int(sys.argv[1]) in s)' "$first"; then
		bad "run: bound to the reserved CPU $first: $(cat "$tmp/out")"
	else ok; fi
	expect 0 "advise, one CPU reserved" -- "$np" --config "$tmp/one.conf" advise 1:64
	# the daemon adopts a process (a name of its own, with this run's pid: no other process,
	# not even another run of this test, is touched) onto the CPUs left
	sleeper=npcfg$$
	cp "$(command -v sleep)" "$tmp/$sleeper"
	"$tmp/$sleeper" 30 &
	spid=$!
	printf '[placement]\nreserved-cpus = %s\n[daemon]\nadopt-threshold = 1K\nadopt-only = %s\n' \
		"$first" "$sleeper" >"$tmp/adopt.conf"
	expect 0 "daemon adopts, one CPU reserved" -- "$np" --config "$tmp/adopt.conf" daemon --once
	grep_err "$sleeper-$spid (pid $spid): adopted on node 0" "daemon adopts"
	got=$(grep Cpus_allowed_list "/proc/$spid/status" | cut -f2)
	want=$("$np" --config "$tmp/one.conf" info --json | python3 -c 'import json,sys
print([n["cpus"] for n in json.load(sys.stdin)["nodes"] if n["node"] == 0][0])')
	if [ "$got" = "$want" ]; then ok; else
		bad "daemon: adopted onto CPUs $got, expected node 0's unreserved $want"
		sed 's/^/  | /' "$tmp/err"
	fi
	kill $spid 2>/dev/null
	wait $spid 2>/dev/null
else
	echo "skipped: reserving one CPU of node 0 (it has one CPU)"
fi

# A two-node tree of this host's first two CPUs (one per node), CPU 0 reserved: run places on
# node 1, and --nodes 0 (memory only, once CPU 0 is reserved) runs on CPU 1, not on CPU 0.
if [ "$(echo "$all_cpus" | cut -c1-3)" = "0-1" ] || [ "$(echo "$all_cpus" | cut -c1-3)" = "0,1" ]; then
	root="$tmp/two"
	nd=/sys/devices/system/node
	mkdir -p "$root$nd/node0" "$root$nd/node1" "$root/sys/devices/system/cpu"
	for f in online possible has_cpu has_memory; do echo 0-1 >"$root$nd/$f"; done
	echo 0-1 >"$root/sys/devices/system/cpu/online"
	echo 0-1 >"$root/sys/devices/system/cpu/possible"
	for n in 0 1; do
		echo $n >"$root$nd/node$n/cpulist"
		printf 'Node %s MemTotal:       4194304 kB\nNode %s MemFree:         2097152 kB\nNode %s Inactive(file):        0 kB\n' \
			$n $n $n >"$root$nd/node$n/meminfo"
	done
	echo "10 20" >"$root$nd/node0/distance"
	echo "20 10" >"$root$nd/node1/distance"
	printf '[placement]\nreserved-cpus = 0\nmem-policy = none\n' >"$tmp/zero.conf"
	expect 0 "run on a tree, CPU 0 reserved" -- "$np" --config "$tmp/zero.conf" run \
		--sysfs-root "$root" --memory 64M -- grep Cpus_allowed_list /proc/self/status
	check_out "Cpus_allowed_list:	1" "run on a tree, CPU 0 reserved"
	expect 0 "run --nodes 0 on a tree, CPU 0 reserved" -- "$np" --config "$tmp/zero.conf" run \
		--sysfs-root "$root" --nodes 0 --memory 64M -- grep Cpus_allowed_list /proc/self/status
	check_out "Cpus_allowed_list:	1" "run --nodes 0 on a tree, CPU 0 reserved"
	expect 2 "run --cpus 0, CPU 0 reserved" -- "$np" --config "$tmp/zero.conf" run \
		--sysfs-root "$root" --cpus 0 --memory 64M -- true
	check_err "numaplace run: --cpus '0': CPU 0 reserved (reserved-cpus, $tmp/zero.conf:2; usable: 1)
try 'numaplace run --help'" "run --cpus 0, CPU 0 reserved"
else
	echo "skipped: the two-node tree (needs CPUs 0 and 1)"
fi

# Set-uid, the caller chooses no file: NUMAPLACE_CONFIG is ignored and --config refused.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	suid=$(mktemp -d)
	chmod 0755 "$suid"
	cp "$np" "$suid/numaplace"
	chmod 4755 "$suid/numaplace"
	printf '[placement]\nstrategy = fastest\n' >"$suid/bad.conf"
	chmod 0644 "$suid/bad.conf"
	if setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c 'test -u "$1" && "$1" --version' \
		sh "$suid/numaplace" >/dev/null 2>&1; then
		expect 1 "set-uid: --config refused" -- setpriv --reuid=nobody --regid=nogroup \
			--clear-groups "$suid/numaplace" --config "$suid/bad.conf" config
		check_err "numaplace: --config is not taken from the caller of a set-uid numaplace" \
			"set-uid: --config refused"
		if [ -e /etc/numaplace/numaplace.conf ]; then
			echo "skipped: set-uid NUMAPLACE_CONFIG (/etc/numaplace/numaplace.conf exists)"
		else
			expect 0 "set-uid: NUMAPLACE_CONFIG ignored" -- setpriv --reuid=nobody \
				--regid=nogroup --clear-groups env NUMAPLACE_CONFIG="$suid/bad.conf" \
				"$suid/numaplace" config
			if head -1 "$tmp/out" | grep -qx '; file: /etc/numaplace/numaplace.conf (absent: built-in defaults)'; then
				ok
			else bad "set-uid: NUMAPLACE_CONFIG used: $(head -1 "$tmp/out")"; fi
		fi
	else
		echo "skipped: set-uid (the file system is mounted nosuid)"
	fi
	rm -rf "$suid"
else
	echo "skipped: set-uid (needs root, setpriv and the user nobody)"
fi
expect 0 "--config FILE --version" -- "$np" --config "$tmp/missing.conf" --version
check_out "numaplace $("$np" --version | cut -d' ' -f2)" "--config FILE --version"
expect 2 "--config FILE without a command" -- "$np" --config "$conf"
expect 2 "--config without a file" -- "$np" --config
check_err "numaplace: option '--config' needs a file; see 'numaplace --help'" "--config without a file"

echo "config: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
