#!/bin/sh
# What numaplace says about input it refuses or figures it reports, where a golden case cannot
# hold it: a workload name given with --name is quoted and cut (a newline, 5000 bytes), and
# simulate's report gives every time in one unit.
set -u
np=$1
fail=0
pass=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fixtures=$(cd "$(dirname "$0")/../fixtures" && pwd)

ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
	sed 's/^/  | /' "$tmp/err"
}
# refused WHAT CODE CMD...: CMD exits CODE; its stderr is then in $tmp/err
refused() {
	what=$1
	want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else bad "$what: exit $got, expected $want"; fi
}

# A newline in the name: one message line, the newline shown as \n.
refused "name with a newline" 2 "$np" run --state-dir "$tmp/state" --name "$(printf 'a\nb')" \
	--memory 1M -- true
if [ "$(wc -l <"$tmp/err")" -eq 2 ] &&
	grep -qxF "numaplace run: invalid workload name 'a\\nb': 1 to 64 letters, digits, '.', '_' or '-', not all digits" "$tmp/err"; then
	ok
else
	bad "name with a newline: not one quoted line"
fi

# 5000 bytes: cut at 64, the length said, the rule kept.
long=$(head -c 5000 /dev/zero | tr '\0' x)
refused "name of 5000 bytes" 2 "$np" run --state-dir "$tmp/state" --name "$long" --memory 1M -- true
x64=$(printf '%s' "$long" | head -c 64)
if grep -qxF "numaplace run: invalid workload name '$x64'... (5000 bytes): 1 to 64 letters, digits, '.', '_' or '-', not all digits" "$tmp/err" &&
	[ "$(wc -c <"$tmp/err")" -lt 300 ]; then
	ok
else
	bad "name of 5000 bytes: not cut"
fi

# Control characters and quotes are escaped.
refused "name with a quote" 2 "$np" run --state-dir "$tmp/state" --name "$(printf "x\001y'z")" \
	--memory 1M -- true
if grep -qF "invalid workload name 'x\\x01y\\'z': " "$tmp/err"; then ok; else
	bad "name with a quote: not escaped"
fi

# simulate --report: the search cost in microseconds, total and per decision alike.
printf '%s\n' '{"op":"place","name":"a","memory":"1G","vcpus":2}' \
	'{"op":"place","name":"b","memory":"1G"}' >"$tmp/trace"
"$np" simulate --report --sysfs-root "$fixtures/sysfs/sparse" <"$tmp/trace" >"$tmp/out" 2>"$tmp/err"
cost=$(grep '^  cost:' "$tmp/out")
if printf '%s\n' "$cost" |
	grep -Eq '^  cost: +2 decisions, search [0-9.]+ us in total, [0-9.]+ us per decision, ' &&
	! printf '%s\n' "$cost" | grep -q ' ns '; then
	ok
else
	bad "simulate --report cost line: '$cost'"
fi

if ! grep -q '^  exclusive:' "$tmp/out"; then ok; else bad "simulate --report: an exclusive line without exclusive requests"; fi

# simulate --report with whole cores: the most CPUs held at once, in the text and the JSON.
# Four CPUs of node 0 (pu:2: two cores), four of node 1, the first four released, then node
# 0's eight and two more of node 1: 4 + 8 + 2 = 14 CPUs at the most.
printf '%s\n' '{"op":"place","name":"a","memory":"1G","vcpus":4,"exclusive":true}' \
	'{"op":"place","name":"b","memory":"1G","vcpus":4,"exclusive":true}' \
	'{"op":"remove","name":"a"}' \
	'{"op":"place","name":"c","memory":"1G","vcpus":8,"exclusive":true}' \
	'{"op":"place","name":"d","memory":"1G","vcpus":2,"exclusive":true}' >"$tmp/trace"
syn="package:2 [numa(memory=8GiB)] core:4 pu:2"
"$np" simulate --report --synthetic "$syn" <"$tmp/trace" >"$tmp/out" 2>"$tmp/err"
line=$(grep '^  exclusive:' "$tmp/out")
if [ "$line" = "  exclusive: at most 14 CPUs held as whole cores at once" ]; then ok; else
	bad "simulate --report exclusive line: '$line' ($(grep exclusive_cpus "$tmp/out" | tr '\n' ' '))"
fi
"$np" simulate --report --json --synthetic "$syn" <"$tmp/trace" >"$tmp/out" 2>"$tmp/err"
if tail -n 1 "$tmp/out" | grep -q '"peak_exclusive_cpus": *14[,}]'; then ok; else
	bad "simulate --report --json: no peak_exclusive_cpus 14 in '$(tail -n 1 "$tmp/out")'"
fi

echo "messages: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
