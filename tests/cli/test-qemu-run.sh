#!/bin/sh
# `numaplace run -- qemu-system-*`: --vcpus and --memory default to QEMU's -smp and -m, and
# numaplace says so. A stand-in script named qemu-system-x86_64 plays QEMU.
# usage: test-qemu-run.sh NUMAPLACE
set -u
np=$1
fail=0
pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NUMAPLACE_STATE_DIR="$tmp/state"
export NUMAPLACE_CONFIG= # the built-in defaults, whatever /etc/numaplace holds

if [ ! -r /proc/self/numa_maps ]; then
	echo "SKIP: this kernel has no NUMA support (/proc/self/numa_maps is missing)"
	exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read list --json"; exit 77; }
ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
mkdir "$tmp/bin"
# the stand-in records what numaplace recorded for it, then exits
cat >"$tmp/bin/qemu-system-x86_64" <<EOS
#!/bin/sh
"$np" list --json >"$tmp/list.json"
EOS
chmod +x "$tmp/bin/qemu-system-x86_64"
cp "$tmp/bin/qemu-system-x86_64" "$tmp/bin/qemu-kvm"
# check ARGS... -- EXPECTED-STDERR VCPUS BYTES
check() {
	want_err=$1
	want_vcpus=$2
	want_bytes=$3
	shift 3
	"$np" run "$@" >"$tmp/out" 2>"$tmp/err"
	code=$?
	[ $code -eq 0 ] && ok || bad "run $*: exit $code"
	[ "$(cat "$tmp/err")" = "$want_err" ] && ok || bad "run $*: stderr '$(cat "$tmp/err")'"
	got=$(python3 -c "import json; w=json.load(open('$tmp/list.json'))['workloads'][-1]; print(w['vcpus'], sum(c['bytes'] for c in w['claimed']))")
	[ "$got" = "$want_vcpus $want_bytes" ] && ok || bad "run $*: recorded '$got', expected '$want_vcpus $want_bytes'"
}
check "numaplace: from qemu's -smp/-m: 2 vCPUs, 64 MiB" 2 67108864 \
	-- "$tmp/bin/qemu-system-x86_64" -enable-kvm -smp 2 -m 64 -nographic
check "numaplace: from qemu's -smp/-m: 1 vCPU, 96 MiB" 1 100663296 \
	-- "$tmp/bin/qemu-kvm" -smp cpus=1,maxcpus=4 -m size=96M,slots=2,maxmem=1G
check "numaplace: from qemu's -smp/-m: 1 vCPU (no -smp: qemu's default), 128 MiB (no -m: qemu's default)" \
	1 134217728 -- "$tmp/bin/qemu-system-x86_64"
# given options win; only what is missing comes from qemu
check "numaplace: from qemu's -m: 32 MiB" 1 33554432 \
	--vcpus 1 -- "$tmp/bin/qemu-system-x86_64" -smp 2 -m 32M
check "" 2 16777216 --vcpus 2 --memory 16M -- "$tmp/bin/qemu-system-x86_64" -smp 1 -m 32M
# what QEMU would refuse is a usage error
"$np" run -- "$tmp/bin/qemu-system-x86_64" -m 4GB >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && ok || bad "-m 4GB: exit status 2 expected"
grep -q "cannot read the -smp or -m of" "$tmp/err" && ok || bad "-m 4GB: message"
# another command still needs --memory
"$np" run -- "$tmp/bin/qemu-img" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- "--memory is required" "$tmp/err" && ok || bad "not qemu: --memory required"

echo "qemu-run: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
