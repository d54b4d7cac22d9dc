#!/bin/sh
# place --cgroup / --unit without --dry-run on copies of the plain-file cgroup trees
# (tests/fixtures/cgroup*, given with --cgroup-root or NUMAPLACE_CGROUP_ROOT; the source tree is
# never written, and the copies' groups hold no process, so no page of this machine moves):
# - a placement writes the group's cpuset.cpus and cpuset.mems, hands cpuset on in the ancestors
#   that lacked it, and list shows the group (kind, path, cgroup id, nodes, claim);
# - each refusal names what was wrong and changes nothing: the ledger's rows (list --json) and
#   every cgroup.subtree_control, cpuset.cpus and cpuset.mems of the tree are as before: no
#   cgroup2 mount, cgroup v1 only, no cpuset controller, a threaded group, the root group, '..',
#   a symlink, a path outside the mount, a missing group, a group this user may not write (as
#   nobody); the same refusals with --dry-run create no ledger;
# - --persist (--unit only): the systemctl set-property command printed, run (a stand-in
#   systemctl on the PATH) only when the tree has run/systemd/system, a failing one reported;
#   refused for --cgroup, --container, --vm and --pid;
# - 20 placements at once of 20 groups that do not all fit: the claims per node in list --json
#   stay within the node's free memory, and each group is placed or refused with the no-fit.
# usage: test-cgroup.sh NUMAPLACE SOURCE-DIR
set -u
np=$1
src=$2
. "$src/tests/cli/lib.sh"
fixtures=$src/tests/fixtures
sysfs=$fixtures/sysfs/two-node
chmod 755 "$tmp"

# tree NAME FIXTURE: a copy of a fixture tree at $tmp/NAME whose groups hold no process.
tree() {
	rm -rf "${tmp:?}/$1"
	cp -a "$fixtures/$2" "$tmp/$1"
	find "$tmp/$1" -name cgroup.procs -exec sh -c ': >"$1"' _ {} ';'
}
# snapshot ROOT: the files a placement writes, and the ledger's rows (no resident memory: it is
# read live).
snapshot() {
	(cd "$1" && find . -name cgroup.subtree_control -o -name cpuset.cpus -o -name cpuset.mems |
		sort | while read -r f; do echo "$f=$(cat "$f")"; done)
	if NUMAPLACE_CGROUP_ROOT=$1 "$np" list --json --all >"$tmp/snap.json" 2>&1; then
		python3 -c 'import json,sys
d = json.load(sys.stdin)
for w in d["workloads"]:
    w.pop("resident", None)
    print(sorted(w.items()))' <"$tmp/snap.json"
	else
		cat "$tmp/snap.json" # no ledger
	fi
}
# refused WHAT PATTERN ROOT -- ARGS...: place ARGS exits 1 with PATTERN in its message, and
# neither the tree ROOT nor the ledger changed.
refused() {
	r_what=$1
	r_pattern=$2
	r_root=$3
	shift 4
	snapshot "$r_root" >"$tmp/snap.before"
	expect 1 "$r_what" -- "$np" place "$@" --sysfs-root "$sysfs" --cgroup-root "$r_root"
	grep_err "$r_pattern" "$r_what"
	snapshot "$r_root" >"$tmp/snap.after"
	if cmp -s "$tmp/snap.before" "$tmp/snap.after"; then ok; else
		bad "$r_what: changed the tree or the ledger"
		diff "$tmp/snap.before" "$tmp/snap.after" | head -10
	fi
}
cg=sys/fs/cgroup

# --- a placement, and the ledger ---------------------------------------------------------------
tree t cgroup
root=$tmp/t
expect 0 "place --unit web" -- "$np" place --unit web --nodes 1 --sysfs-root "$sysfs" \
	--cgroup-root "$root"
grep -q "^placed group system.slice/web.service (unit web) on node 1, cpus 4-7: " "$tmp/out" && ok ||
	bad "place --unit: $(cat "$tmp/out")"
[ "$(cat "$root/$cg/system.slice/web.service/cpuset.cpus")" = 4-7 ] && ok || bad "cpuset.cpus"
[ "$(cat "$root/$cg/system.slice/web.service/cpuset.mems")" = 1 ] && ok || bad "cpuset.mems"
# system.slice did not hand cpuset on (a plain file takes the write as it comes)
[ "$(cat "$root/$cg/system.slice/cgroup.subtree_control")" = +cpuset ] && ok ||
	bad "system.slice/cgroup.subtree_control: $(cat "$root/$cg/system.slice/cgroup.subtree_control")"
[ "$(cat "$root/$cg/cgroup.subtree_control")" = "cpuset cpu memory pids" ] && ok ||
	bad "the root's cgroup.subtree_control was written"
NUMAPLACE_CGROUP_ROOT=$root "$np" list --json >"$tmp/list.json"
python3 -c "import json, os
w = json.load(open('$tmp/list.json'))['workloads']
assert len(w) == 1, w
w = w[0]
ino = os.stat('$root/$cg/system.slice/web.service').st_ino
want = {'name': 'web.service', 'kind': 'unit', 'pid': 0, 'cgroup': 'system.slice/web.service',
        'cgroup_id': ino, 'nodes': [1], 'cpus': '4-7', 'vcpus': 2,
        'claimed': [{'node': 1, 'bytes': 14680064}]}
got = {k: w[k] for k in want}
assert got == want, got" && ok || bad "list --json: $(cat "$tmp/list.json")"
NUMAPLACE_CGROUP_ROOT=$root "$np" list >"$tmp/list.txt"
grep -q "^web.service  *unit  *-  *1  *4-7 .* system.slice/web.service  *-$" "$tmp/list.txt" && ok ||
	bad "list: $(cat "$tmp/list.txt")"

# --- refusals change nothing (the ledger holds web.service meanwhile) ---------------------------
mkdir -p "$root/$cg/app.slice" && echo domain >"$root/$cg/app.slice/cgroup.type"
refused "threaded" "cannot place group 'threaded': it is a threaded group" "$root" -- \
	--cgroup threaded
refused "root group" "cannot place group '/sys/fs/cgroup': the root group cannot be placed" \
	"$root" -- --cgroup /sys/fs/cgroup
refused "'..'" "cannot place group 'system.slice/../../etc': '..' is not allowed" "$root" -- \
	--cgroup system.slice/../../etc
refused "symlink" "cannot place group 'link/web.service': 'link' is a symlink" "$root" -- \
	--cgroup link/web.service
refused "outside" "cannot place group '/etc/systemd': outside the cgroup mount /sys/fs/cgroup" \
	"$root" -- --cgroup /etc/systemd
refused "missing" "cannot place group 'system.slice/gone.service': no such group" "$root" -- \
	--cgroup system.slice/gone.service
refused "missing unit" "cannot place unit 'gone': no unit group for 'gone' (below system.slice or user.slice)" "$root" -- \
	--unit gone
# not root, not delegated: the tree is root's, numaplace runs as nobody (its own ledger)
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	mkdir -m 700 "$tmp/nobody" && chown nobody "$tmp/nobody"
	snapshot "$root" >"$tmp/snap.before"
	expect 1 "nobody" -- setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$np" place --cgroup system.slice/web.service --nodes 0 --sysfs-root "$sysfs" \
		--cgroup-root "$root" --state-dir "$tmp/nobody"
	grep_err "cannot place group 'system.slice/web.service': permission denied (not root, and not delegated to this user)" "nobody"
	snapshot "$root" >"$tmp/snap.after"
	cmp -s "$tmp/snap.before" "$tmp/snap.after" && ok || bad "nobody: the tree or the ledger changed"
	[ -z "$(ls "$tmp/nobody")" ] && ok || bad "nobody: a ledger was made: $(ls "$tmp/nobody")"
else
	echo "note: not root or no setpriv/nobody: the permission case is left to the unit test"
fi
# no cgroup2 mount, cgroup v1 only, no cpuset controller (NUMAPLACE_CGROUP_ROOT as well)
export NUMAPLACE_STATE_DIR="$tmp/state-other"
tree none cgroup-none
refused "no mount" "cannot place group 'a.service': no cgroup2 filesystem is mounted" \
	"$tmp/none" -- --cgroup a.service
tree v1 cgroup-v1
snapshot "$tmp/v1" >"$tmp/snap.before"
expect 1 "cgroup v1" -- env NUMAPLACE_CGROUP_ROOT="$tmp/v1" "$np" place --cgroup a.service \
	--sysfs-root "$sysfs"
grep_err "cannot place group 'a.service': only cgroup v1 is mounted" "cgroup v1"
snapshot "$tmp/v1" | cmp -s "$tmp/snap.before" - && ok || bad "cgroup v1: changed"
tree nocpuset cgroup-nocpuset
refused "no cpuset" "cannot place group 'app.slice': the cpuset controller is not available" \
	"$tmp/nocpuset" -- --cgroup app.slice
# the dry-run forms refuse alike and make no ledger either
for args in "--cgroup threaded" "--cgroup /sys/fs/cgroup" "--cgroup system.slice/gone.service"; do
	# shellcheck disable=SC2086 # the words of $args
	expect 1 "dry run $args" -- "$np" place $args --dry-run --sysfs-root "$sysfs" \
		--cgroup-root "$root" --state-dir "$tmp/dry"
	[ ! -e "$tmp/dry" ] && ok || bad "dry run $args made a ledger"
done

# --- --persist ---------------------------------------------------------------------------------
# a stand-in systemctl that records its arguments
mkdir "$tmp/bin"
printf '#!/bin/sh\necho "$*" >>"%s/systemctl.calls"\necho "a line of systemctl"\nexit ${SYSTEMCTL_STATUS:-0}\n' \
	"$tmp" >"$tmp/bin/systemctl"
chmod 755 "$tmp/bin/systemctl"
export NUMAPLACE_STATE_DIR="$tmp/state-p"
tree p cgroup
root=$tmp/p
cmd="persist: systemctl set-property web.service AllowedCPUs=0-3 AllowedMemoryNodes=0"
expect 0 "persist, no systemd" -- env PATH="$tmp/bin:$PATH" "$np" place --unit web --nodes 0 \
	--persist --sysfs-root "$sysfs" --cgroup-root "$root"
grep -qxF "$cmd (not run: systemd is not the running init)" "$tmp/out" && ok ||
	bad "persist without systemd: $(cat "$tmp/out")"
[ ! -e "$tmp/systemctl.calls" ] && ok || bad "systemctl ran without systemd"
mkdir -p "$root/run/systemd/system"
expect 0 "persist" -- env PATH="$tmp/bin:$PATH" "$np" place --unit web --nodes 0 --persist \
	--sysfs-root "$sysfs" --cgroup-root "$root"
grep -qxF "$cmd (done)" "$tmp/out" && ok || bad "persist: $(cat "$tmp/out")"
[ "$(cat "$tmp/systemctl.calls")" = "set-property web.service AllowedCPUs=0-3 AllowedMemoryNodes=0" ] &&
	ok || bad "systemctl's arguments: $(cat "$tmp/systemctl.calls")"
grep -q "a line of systemctl" "$tmp/err" && ok || bad "systemctl's output is not on stderr"
expect 0 "persist --json" -- env PATH="$tmp/bin:$PATH" "$np" place --unit web --nodes 1 --persist \
	--json --sysfs-root "$sysfs" --cgroup-root "$root"
python3 -c "import json
p = json.load(open('$tmp/out'))['persist']
assert p == {'command': 'systemctl set-property web.service AllowedCPUs=4-7 AllowedMemoryNodes=1',
             'argv': ['systemctl', 'set-property', 'web.service', 'AllowedCPUs=4-7',
                      'AllowedMemoryNodes=1'],
             'ran': True, 'exit_status': 0, 'not_run': None}, p" && ok ||
	bad "persist --json: $(cat "$tmp/out")"
SYSTEMCTL_STATUS=4 expect 1 "persist, systemctl fails" -- env PATH="$tmp/bin:$PATH" "$np" place \
	--unit web --nodes 0 --persist --sysfs-root "$sysfs" --cgroup-root "$root"
grep_err "cannot persist the placement of unit 'web.service': $tmp/bin/systemctl exited with status 4" \
	"persist, systemctl fails"
expect 0 "persist, no systemctl" -- env PATH=/nonexistent "$np" place --unit web --nodes 0 \
	--persist --sysfs-root "$sysfs" --cgroup-root "$root"
grep -qxF "$cmd (not run: systemctl is not on the PATH)" "$tmp/out" && ok ||
	bad "persist without systemctl: $(cat "$tmp/out")"
: >"$tmp/systemctl.calls"
expect 0 "persist --dry-run" -- env PATH="$tmp/bin:$PATH" "$np" place --unit web --nodes 0 --persist \
	--dry-run --sysfs-root "$sysfs" --cgroup-root "$root"
grep -qxF "$cmd (not run: --dry-run)" "$tmp/out" && ok || bad "persist --dry-run: $(cat "$tmp/out")"
# a unit of a user's manager: systemctl --user, as that user
d=$root/$cg
for a in user.slice user-1000.slice user@1000.service app.slice; do
	d=$d/$a
	echo "cpuset cpu memory pids" >"$d/cgroup.controllers"
	echo "cpuset cpu memory pids" >"$d/cgroup.subtree_control"
done
cp "$root/$cg/system.slice/web.service/memory.current" "$root/$cg/system.slice/web.service/memory.numa_stat" \
	"$d/editor.service/"
for f in cgroup.procs cgroup.threads cpuset.cpus cpuset.mems; do : >"$d/editor.service/$f"; done
expect 0 "persist, user unit" -- env PATH="$tmp/bin:$PATH" "$np" place --unit editor --nodes 0 --persist \
	--sysfs-root "$sysfs" --cgroup-root "$root"
grep -qxF "persist: systemctl --user set-property editor.service AllowedCPUs=0-3 AllowedMemoryNodes=0 (not run: a unit of a user's manager: run it as that user)" "$tmp/out" &&
	ok || bad "persist, user unit: $(cat "$tmp/out")"
[ ! -s "$tmp/systemctl.calls" ] && ok || bad "systemctl ran: $(cat "$tmp/systemctl.calls")"
for opt in "--cgroup system.slice/web.service" "--container 3f2a" "--vm db-1" "--pid 1"; do
	# shellcheck disable=SC2086 # the words of $opt
	expect 2 "persist $opt" -- env NUMAPLACE_CGROUP_ROOT="$root" "$np" place $opt --persist \
		--sysfs-root "$sysfs"
	grep_err "numaplace place: --persist keeps a systemd unit's placement across restarts: it needs --unit NAME, not ${opt%% *}" \
		"persist $opt"
done

# --- 20 at once, 12 fit ------------------------------------------------------------------------
# Two nodes of 4 CPUs with 1000 MiB and 1400 MiB free; 20 groups of 200 MiB (memory.current)
# and 1 vCPU (cpu.max), none of it resident on a node (memory.numa_stat empty, so nothing is
# given back: the free memory is all there is). 5 fit on node 0, 7 on node 1.
cp -a "$sysfs" "$tmp/sysfs20"
for n in 0 1; do
	free=$((n == 0 ? 1000 * 1024 : 1400 * 1024))
	printf 'Node %d MemTotal:          8388608 kB\nNode %d MemFree:        %8d kB\nNode %d Inactive(file):        0 kB\n' \
		$n $n $free $n >"$tmp/sysfs20/sys/devices/system/node/node$n/meminfo"
done
tree c cgroup
root=$tmp/c
i=0
while [ $i -lt 20 ]; do
	g=$root/$cg/machine.slice/g$i.scope
	mkdir "$g"
	echo domain >"$g/cgroup.type"
	echo $((200 << 20)) >"$g/memory.current"
	printf 'anon N0=0 N1=0\nfile N0=0 N1=0\n' >"$g/memory.numa_stat"
	echo "100000 100000" >"$g/cpu.max"
	: >"$g/cgroup.procs"
	: >"$g/cgroup.threads"
	: >"$g/cpuset.cpus"
	: >"$g/cpuset.mems"
	i=$((i + 1))
done
echo "cpuset cpu memory pids" >"$root/$cg/machine.slice/cgroup.subtree_control"
export NUMAPLACE_STATE_DIR="$tmp/state20"
i=0
while [ $i -lt 20 ]; do
	(NUMAPLACE_CGROUP_ROOT=$root "$np" place --cgroup machine.slice/g$i.scope \
		--sysfs-root "$tmp/sysfs20" >"$tmp/out.$i" 2>"$tmp/err.$i"
	echo $? >"$tmp/code.$i") &
	i=$((i + 1))
done
wait
placed=$(grep -lx 0 "$tmp"/code.* | wc -l)
nofit=$(grep -lx 3 "$tmp"/code.* | wc -l)
[ "$placed" -eq 12 ] && ok || bad "20 at once: $placed placed, expected 12"
[ "$nofit" -eq 8 ] && ok || bad "20 at once: $nofit exited 3, expected 8"
i=0
while [ $i -lt 20 ]; do
	case $(cat "$tmp/code.$i") in
	0) grep -q "^placed group machine.slice/g$i.scope on node [01], " "$tmp/out.$i" && ok ||
		bad "g$i: $(cat "$tmp/out.$i")" ;;
	3) grep -q "^numaplace: no NUMA placement fits group 'machine.slice/g$i.scope' (200 MiB, 1 vCPU): " \
		"$tmp/err.$i" && ok || bad "g$i: $(cat "$tmp/err.$i")" ;;
	*) bad "g$i: exit $(cat "$tmp/code.$i"): $(cat "$tmp/err.$i")" ;;
	esac
	i=$((i + 1))
done
NUMAPLACE_CGROUP_ROOT=$root "$np" list --json >"$tmp/list20.json"
python3 -c "import json
w = json.load(open('$tmp/list20.json'))['workloads']
free = {0: 1000 << 20, 1: 1400 << 20}
claimed = {0: 0, 1: 0}
for x in w:
    for c in x['claimed']:
        claimed[c['node']] += c['bytes']
assert len(w) == 12, len(w)
assert all(claimed[n] <= free[n] for n in free), claimed
assert claimed == {0: 5 * (200 << 20), 1: 7 * (200 << 20)}, claimed
placed = sorted(x['cgroup'] for x in w)
import glob
want = sorted('machine.slice/g%d.scope' % i for i in range(20)
              if open('$tmp/code.%d' % i).read().strip() == '0')
assert placed == want, (placed, want)" && ok || bad "20 at once: list --json: $(cat "$tmp/list20.json")"
# each placed group's cpuset is its claim's node; the refused ones were not written
i=0
while [ $i -lt 20 ]; do
	g=$root/$cg/machine.slice/g$i.scope
	if [ "$(cat "$tmp/code.$i")" = 0 ]; then
		n=$(sed -n 's/^placed group .* on node \([01]\), .*/\1/p' "$tmp/out.$i")
		[ "$(cat "$g/cpuset.mems")" = "$n" ] && ok || bad "g$i: cpuset.mems $(cat "$g/cpuset.mems"), placed on $n"
	else
		[ -z "$(cat "$g/cpuset.mems" "$g/cpuset.cpus")" ] && ok || bad "g$i: refused, yet written"
	fi
	i=$((i + 1))
done

echo "cgroup: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
