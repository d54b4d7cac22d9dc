#!/bin/sh
# --pin-vcpus with a real QEMU (TCG, no disk, stopped with -S): `run` pins each vCPU thread
# ('CPU n/TCG') to a CPU of its own of the placement once QEMU makes them, the emulator's
# other threads to the rest; `place --pid` does the same to a running QEMU; `list` shows it;
# the daemon pins a vCPU hot-plugged later (QMP device_add). Refused: a command that is not
# QEMU, a process without vCPU threads (QEMU without -name debug-threads=on, a shell), with
# nothing recorded or changed. scripts/deps.sh installs qemu-system-x86.
# usage: test-qemu-pin.sh NUMAPLACE
set -u
np=$1
fail=0
pass=0
tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
export NUMAPLACE_STATE_DIR="$tmp/state"
export NUMAPLACE_CONFIG= # the built-in defaults, whatever /etc/numaplace holds

qemu=$(command -v qemu-system-x86_64) || {
	echo "SKIP: qemu-system-x86_64 is not installed (scripts/deps.sh installs qemu-system-x86)"
	exit 77
}
if [ ! -r /proc/self/numa_maps ]; then
	echo "SKIP: this kernel has no NUMA support (/proc/self/numa_maps is missing)"
	exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read JSON and speak QMP"; exit 77; }
ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
mkdir "$tmp/state"

# The machine: no disk, no display, stopped before its first instruction; its vCPU threads
# exist all the same (QEMU makes them while it builds the machine).
machine="-accel tcg -m 64 -nographic -nodefaults -display none -serial none -S"

# threads PID: "TID NAME|CPUS" per thread, from /proc/PID/task/*/{comm,status}
threads() {
	for t in /proc/"$1"/task/*; do
		printf '%s %s|%s\n' "${t##*/}" "$(cat "$t/comm")" \
			"$(sed -n 's/^Cpus_allowed_list:\t//p' "$t/status")"
	done
}
# cpus_of PID NAME: the CPUs of the thread named NAME
cpus_of() {
	threads "$1" | sed -n "s/^[0-9]* $2|//p"
}
# expected PID SET NVCPUS: "CPU 0/TCG|a CPU 1/TCG|b ... emulator|E" as np_qemu_pin_vcpus()
# assigns them (vCPU n on the (n mod w)-th CPU of SET, the emulator on the rest or all of SET)
expected() {
	python3 - "$2" "$3" <<'EOF'
import sys
def parse(s):
    out = []
    for part in s.split(','):
        a, _, b = part.partition('-')
        out += range(int(a), int(b or a) + 1)
    return out
def text(cpus):
    cpus, out, i = sorted(cpus), [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else '%d-%d' % (cpus[i], cpus[j]))
        i = j + 1
    return ','.join(out)
cpus, n = parse(sys.argv[1]), int(sys.argv[2])
mine = [cpus[v % len(cpus)] for v in range(n)]
emu = [c for c in cpus if c not in mine] or cpus
print(' '.join('CPU %d/TCG|%d' % (v, mine[v]) for v in range(n)), 'emulator|' + text(emu))
EOF
}
# actual PID NVCPUS: the same from /proc (the emulator: every other thread, all of one set)
actual() {
	out=
	v=0
	while [ $v -lt "$2" ]; do
		out="$out CPU $v/TCG|$(cpus_of "$1" "CPU $v\\/TCG")"
		v=$((v + 1))
	done
	emu=$(threads "$1" | grep -v '^[0-9]* CPU [0-9]*/TCG|' | sed 's/.*|//' | sort -u | tr '\n' ' ')
	echo "${out# } emulator|${emu% }"
}
# wait_pinned PID NVCPUS: until every vCPU thread is on one CPU (QEMU starts, the watcher pins)
wait_pinned() {
	i=0
	while [ $i -lt 300 ]; do
		all=1
		v=0
		while [ $v -lt "$2" ]; do
			case $(cpus_of "$1" "CPU $v\\/TCG") in '' | *-* | *,*) all=0 ;; esac
			v=$((v + 1))
		done
		[ $all -eq 1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# the workload's recorded CPUs and flag, from list --json: "CPUS PIN_VCPUS"
recorded() {
	"$np" list --json | python3 -c "
import json, sys
for w in json.load(sys.stdin)['workloads']:
    if w['pid'] == $1: print(w['cpus'], w['pin_vcpus'])"
}
# qmp SOCKET: hot-plug the first vCPU not plugged yet (query-hotpluggable-cpus, device_add)
qmp_plug() {
	python3 - "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
f.readline()
def cmd(c, **a):
    f.write(json.dumps({'execute': c, 'arguments': a}) + '\n')
    f.flush()
    while True:
        r = json.loads(f.readline())
        if 'return' in r or 'error' in r:
            return r
cmd('qmp_capabilities')
free = [c for c in cmd('query-hotpluggable-cpus')['return'] if 'qom-path' not in c]
c = free[-1]
r = cmd('device_add', driver=c['type'], **c['props'])
sys.exit('error' in r)
EOF
}

# --- run --pin-vcpus ------------------------------------------------------------------------
allowed=$(sed -n 's/^Cpus_allowed_list:\t//p' /proc/self/status)
n=$(python3 -c "print(sum(int(b or a) - int(a) + 1 for a, _, b in (p.partition('-') for p in '$allowed'.split(','))))")
if [ "$n" -lt 2 ]; then
	echo "SKIP: this process may run on one CPU only ($allowed): no two vCPUs on CPUs of their own"
	exit 77
fi
# shellcheck disable=SC2086
"$np" run --name guest --pin-vcpus -- "$qemu" $machine -smp 2,maxcpus=3 \
	-qmp unix:"$tmp/qmp.sock",server=on,wait=off >"$tmp/run.out" 2>"$tmp/run.err" &
g=$!
pids="$pids $g"
wait_pinned $g 2 && ok || bad "run --pin-vcpus: the vCPU threads were not pinned: $(threads $g | tr '\n' ' ')"
# shellcheck disable=SC2046 # two words: the CPUs and the flag
set -- $(recorded $g)
gcpus=${1:-?}
[ "${2:-}" = True ] && ok || bad "run --pin-vcpus: pin_vcpus not recorded ('$*')"
want=$(expected $g "$gcpus" 2)
got=$(actual $g 2)
[ "$got" = "$want" ] && ok || bad "run --pin-vcpus on cpus $gcpus: '$got', expected '$want'"
v0=$(cpus_of $g 'CPU 0\/TCG')
v1=$(cpus_of $g 'CPU 1\/TCG')
[ -n "$v0" ] && [ "$v0" != "$v1" ] && ok || bad "run --pin-vcpus: vCPUs 0 and 1 on '$v0' and '$v1'"
# the pid is QEMU's own (no supervisor), its command got -name debug-threads=on
[ "$(cat /proc/$g/comm)" = qemu-system-x86 ] && ok || bad "run: pid $g is '$(cat /proc/$g/comm)'"
"$np" list >"$tmp/list"
grep -q -- "$qemu -name debug-threads=on -accel tcg" "$tmp/list" && ok ||
	bad "run --pin-vcpus: recorded command: $(cat "$tmp/list")"
grep -qx "  pinned: vcpus 0:$v0 1:$v1, emulator ${want##*|}" "$tmp/list" && ok ||
	bad "list: $(cat "$tmp/list")"
# the watcher pinned both and left; nothing of it stays (no process named np-pin-vcpus)
i=0
while grep -qx np-pin-vcpus /proc/[0-9]*/comm 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
grep -qx np-pin-vcpus /proc/[0-9]*/comm 2>/dev/null && bad "the watcher is still there" || ok
if grep -v "^numaplace: from qemu's" "$tmp/run.err" | grep -q .; then
	bad "run --pin-vcpus said: $(cat "$tmp/run.err")"
else
	ok
fi
"$np" list --json | python3 -c "
import json, sys
w = [w for w in json.load(sys.stdin)['workloads'] if w['pid'] == $g][0]['pinning']
print(' '.join('%d:%s' % (v['vcpu'], v['cpus']) for v in w['vcpus']), w['emulator'])" >"$tmp/pj"
[ "$(cat "$tmp/pj")" = "0:$v0 1:$v1 ${want##*|}" ] && ok || bad "list --json pinning: $(cat "$tmp/pj")"

# --- the daemon pins a vCPU plugged later ---------------------------------------------------
if qmp_plug "$tmp/qmp.sock"; then ok; else bad "QMP device_add of a vCPU failed"; fi
i=0
while [ -z "$(cpus_of $g 'CPU 2\/TCG')" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -n "$(cpus_of $g 'CPU 2\/TCG')" ] && ok || bad "no thread 'CPU 2/TCG' after the hot-plug"
"$np" daemon --once --interval 0.1 >"$tmp/d.out" 2>"$tmp/d.err" && ok || bad "daemon --once: exit status"
want=$(expected $g "$gcpus" 3)
got=$(actual $g 3)
[ "$got" = "$want" ] && ok || bad "daemon after the hot-plug: '$got', expected '$want'"
grep -q "numaplace daemon: guest (pid $g): pinned [0-9]* threads*: vcpus 0:$v0 1:$v1 2:" "$tmp/d.err" &&
	ok || bad "daemon log: $(cat "$tmp/d.err")"
# pinned as it belongs: the next interval changes nothing and says nothing of it
"$np" daemon --once --interval 0.1 >"$tmp/d.out" 2>"$tmp/d.err"
grep -q "pinned" "$tmp/d.err" && bad "daemon pinned again: $(cat "$tmp/d.err")" || ok

# --- place --pid --pin-vcpus -----------------------------------------------------------------
# shellcheck disable=SC2086
"$qemu" -name guest=other,debug-threads=on $machine -smp 2 </dev/null >/dev/null 2>&1 &
q=$!
pids="$pids $q"
i=0
while [ -z "$(cpus_of $q 'CPU 1\/TCG')" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$np" place --pid $q --pin-vcpus >"$tmp/p.out" 2>"$tmp/p.err"
[ $? -eq 0 ] && ok || bad "place --pid --pin-vcpus: exit status: $(cat "$tmp/p.err")"
# shellcheck disable=SC2046 # two words: the CPUs and the flag
set -- $(recorded $q)
qcpus=${1:-?}
[ "${2:-}" = True ] && ok || bad "place --pid --pin-vcpus: pin_vcpus not recorded ('$*')"
want=$(expected $q "$qcpus" 2)
got=$(actual $q 2)
[ "$got" = "$want" ] && ok || bad "place --pid --pin-vcpus on cpus $qcpus: '$got', expected '$want'"
w0=$(cpus_of $q 'CPU 0\/TCG')
w1=$(cpus_of $q 'CPU 1\/TCG')
grep -qx "pinned vcpus 0:$w0 1:$w1, emulator ${want##*|}" "$tmp/p.out" && ok ||
	bad "place --pid --pin-vcpus said: $(cat "$tmp/p.out")"
[ "$w0" != "$w1" ] && ok || bad "place --pid --pin-vcpus: vCPUs 0 and 1 both on '$w0'"
# placed again by hand on one CPU: a pinned workload is pinned again, both vCPUs there
one=${w1%%[-,]*}
"$np" place --pid $q --cpus "$one" --json >"$tmp/p.json" 2>"$tmp/p.err"
got=$(python3 -c "
import json
p = json.load(open('$tmp/p.json'))['pinning']
print(' '.join('%d:%s' % (v['vcpu'], v['cpus']) for v in p['vcpus']), p['emulator'], p['wrapped'])")
[ "$got" = "0:$one 1:$one $one True" ] && ok || bad "place --pid --cpus $one of a pinned guest: '$got'"
[ "$(actual $q 2)" = "CPU 0/TCG|$one CPU 1/TCG|$one emulator|$one" ] && ok ||
	bad "placed again on cpu $one: $(actual $q 2)"
grep -q "wrap around" "$tmp/p.err" && ok || bad "2 vCPUs on 1 CPU: no warning: $(cat "$tmp/p.err")"

# --- a command that names its threads already is run as it is ------------------------------
# shellcheck disable=SC2086
"$np" run --name named --pin-vcpus -- "$qemu" -name guest=named,debug-threads=on $machine \
	-smp 1 >/dev/null 2>"$tmp/n.err" &
k=$!
pids="$pids $k"
wait_pinned $k 1 && ok || bad "run --pin-vcpus -name ...: not pinned: $(threads $k | tr '\n' ' ')"
[ "$(tr '\0' ' ' </proc/$k/cmdline)" = "$qemu -name guest=named,debug-threads=on $machine -smp 1 " ] &&
	ok || bad "run --pin-vcpus changed a command naming its threads: $(tr '\0' ' ' </proc/$k/cmdline)"
kill $k
wait $k 2>/dev/null

# --- refused: nothing recorded, nothing changed ----------------------------------------------
rows() { "$np" list --json | python3 -c "import json, sys; print(len(json.load(sys.stdin)['workloads']))"; }
before=$(rows)
"$np" run --pin-vcpus -- sh -c 'echo ran' >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "run --pin-vcpus -- sh: exit status 2 expected"
grep -q "numaplace run: --pin-vcpus: 'sh' is not QEMU (qemu-system-\* or qemu-kvm)" "$tmp/err" &&
	ok || bad "run --pin-vcpus -- sh: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] && ok || bad "run --pin-vcpus -- sh ran it"
# shellcheck disable=SC2086
"$np" run --pin-vcpus -- "$qemu" -name debug-threads=off $machine >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "give -name debug-threads=on" "$tmp/err" && ok ||
	bad "run --pin-vcpus with debug-threads=off: $(cat "$tmp/err")"
"$np" run --pin-vcpus --cpu-binding none -- "$qemu" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- "--pin-vcpus needs --cpu-binding strict" "$tmp/err" && ok ||
	bad "run --pin-vcpus --cpu-binding none: $(cat "$tmp/err")"
# a QEMU that does not name its threads, and a shell: no vCPU thread to pin
# shellcheck disable=SC2086
"$qemu" $machine -smp 2 </dev/null >/dev/null 2>&1 &
u=$!
pids="$pids $u"
i=0
while [ "$(threads $u | wc -l)" -lt 3 ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
ubefore=$(threads $u)
"$np" place --pid $u --pin-vcpus >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && ok || bad "place --pid (unnamed threads) --pin-vcpus: exit status 1 expected"
grep -qx "numaplace: cannot pin the vCPUs of pid $u ('qemu-system-x86'): no thread is named 'CPU n/KVM' or 'CPU n/TCG' (QEMU names them with -name debug-threads=on)" "$tmp/err" &&
	ok || bad "place --pid (unnamed threads) --pin-vcpus: $(cat "$tmp/err")"
[ "$(threads $u)" = "$ubefore" ] && ok || bad "place --pid (unnamed threads) changed its affinity"
"$np" place --pid $$ --pin-vcpus >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot pin the vCPUs of pid $$ " "$tmp/err" && ok ||
	bad "place --pid (a shell) --pin-vcpus: $(cat "$tmp/err")"
[ "$(rows)" = "$before" ] && ok || bad "refusals recorded something: $before rows, now $(rows)"

echo "qemu-pin: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
