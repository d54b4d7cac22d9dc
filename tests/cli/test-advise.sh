#!/bin/sh
# `numaplace advise` and the numad entry point print exactly what `numad -w` prints for the
# same request: one node list in kernel list syntax and a newline. When numad is installed
# (Debian: package numad) the outputs are compared byte for byte; otherwise against the
# format numad documents and writes (str_from_id_list(): "0-1,4\n").
# usage: test-advise.sh NUMAPLACE
set -u
np=$1
fail=0
pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NUMAPLACE_STATE_DIR="$tmp/state"
export NUMAPLACE_CONFIG= # the built-in defaults, whatever /etc/numaplace holds

if [ ! -d /sys/devices/system/node/node0 ]; then
	echo "SKIP: this kernel has no NUMA support (/sys/devices/system/node is missing)"
	exit 77
fi
ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
mkdir "$tmp/bin"
ln -s "$(cd "$(dirname "$np")" && pwd)/$(basename "$np")" "$tmp/bin/numad"

numad=$(command -v numad || true)
if [ -n "$numad" ] && "$numad" -V >/dev/null 2>&1; then
	echo "comparing with $numad ($("$numad" -V 2>&1 | head -1))"
else
	numad=
	echo "note: numad is not installed here; outputs are checked against numad's format"
fi

# a node list as numad writes it: ranges of consecutive ids, commas, one newline
nodes=$(cat /sys/devices/system/node/online)
for req in 1 2 1:64 2:512 1.5:100; do
	"$np" advise "$req" >"$tmp/advise" 2>"$tmp/err"
	code=$?
	"$tmp/bin/numad" -w "$req" >"$tmp/entry" 2>>"$tmp/err"
	code2=$?
	[ $code -eq 0 ] && [ $code2 -eq 0 ] && ok || { bad "advise $req: exit status"; cat "$tmp/err"; }
	cmp -s "$tmp/advise" "$tmp/entry" && ok || bad "advise $req and numad -w $req differ"
	if grep -Eqx '[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*' "$tmp/advise" &&
		[ "$(wc -l <"$tmp/advise")" -eq 1 ] && [ "$(tail -c1 "$tmp/advise" | od -An -c | tr -d ' ')" = '\n' ]; then
		ok
	else
		bad "advise $req: not one kernel node list and a newline: $(od -c "$tmp/advise" | head -2)"
	fi
	if [ "$nodes" = 0 ]; then
		# one node: the only answer
		printf '0\n' | cmp -s - "$tmp/advise" && ok || bad "advise $req on one node is not '0\\n'"
	fi
	if [ -n "$numad" ]; then
		# numad samples for about 2 s and logs to /var/log/numad.log (root) or fails there
		"$numad" -w "$req" >"$tmp/numad.out" 2>/dev/null
		cmp -s "$tmp/numad.out" "$tmp/advise" && ok ||
			bad "advise $req: '$(od -An -c "$tmp/advise")' but numad -w: '$(od -An -c "$tmp/numad.out")'"
	fi
done

# nothing fits: a message on stderr, exit 3, nothing on stdout (numad would answer node 0)
"$np" advise 1:100000000 >"$tmp/out" 2>"$tmp/err"
[ $? -eq 3 ] && ok || bad "no fit: exit status 3 expected"
[ ! -s "$tmp/out" ] && ok || bad "no fit: stdout not empty"
grep -q "no NUMA placement fits 1 CPU and 100000000 MiB" "$tmp/err" && ok || bad "no fit: message"
"$tmp/bin/numad" -w 1:100000000 >"$tmp/out" 2>"$tmp/err"
[ $? -eq 3 ] && [ ! -s "$tmp/out" ] && ok || bad "numad entry, no fit: exit 3, no output"

# numad's parse error, word for word; the daemon's options are refused
"$tmp/bin/numad" -w 2:abc >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && ok || bad "numad -w 2:abc: exit 1"
[ "$(cat "$tmp/err")" = "Can't parse arg value(s): 2:abc" ] && ok || bad "numad -w 2:abc: message"
"$tmp/bin/numad" -i 15 >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "answers only -w" "$tmp/err" && ok || bad "numad -i: refused"
"$np" advise 2:x >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "advise 2:x: usage error"
"$np" advise >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "advise without a request: usage error"
# another host: the answer is that host's (a capture of two nodes, 5 and 6.5 GiB free), and
# what this machine's ledger holds does not count there
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)
for case in "2:1024 1" "2:6000 1" "4:8000 0-1"; do
	set -- $case
	"$np" advise "$1" --sysfs-root "$fixtures/sysfs/two-node" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 0 ] && [ "$(cat "$tmp/out")" = "$2" ] && ok ||
		bad "advise $1 --sysfs-root two-node: '$(cat "$tmp/out" "$tmp/err")', expected '$2'"
done
"$np" advise 2:20000 --sysfs-root "$fixtures/sysfs/two-node" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 3 ] && grep -q "no NUMA placement fits 2 CPUs and 20000 MiB: no set of nodes has 19.5 GiB free" "$tmp/err" &&
	ok || bad "advise 2:20000 --sysfs-root two-node: no fit: $(cat "$tmp/err")"
"$np" advise 2:1024 --synthetic "pack:2 [numa(memory=4GiB)] core:2 pu:1" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 0 ] && [ "$(cat "$tmp/out")" = 0 ] && ok || bad "advise --synthetic: '$(cat "$tmp/out" "$tmp/err")'"
"$np" advise 2:1024 --topology "$tmp/none.xml" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "cannot read '$tmp/none.xml'" "$tmp/err" && ok || bad "advise --topology of nothing"
# no ledger is created by asking
[ ! -e "$NUMAPLACE_STATE_DIR" ] && ok || bad "advise created a ledger"

echo "advise: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
