# Shared by the CLI test scripts that drive numaplace and its ledger on this machine: a
# temporary state directory, the skips, and the pass/fail counters.
# Sourced after `np` is set; defines tmp, db, ok, bad, expect and the helpers below.
fail=0
pass=0
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
export NUMAPLACE_STATE_DIR="$tmp/state"
export NUMAPLACE_CONFIG= # the built-in defaults, whatever /etc/numaplace holds
db="$NUMAPLACE_STATE_DIR/ledger.db"

if [ ! -r /proc/self/numa_maps ]; then
	echo "SKIP: this kernel has no NUMA support (/proc/self/numa_maps is missing)"
	exit 77
fi
for tool in sqlite3 python3; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP: $tool is needed to inspect the ledger"
		exit 77
	fi
done

ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
# expect CODE DESCRIPTION -- CMD...: runs CMD, checks its exit status
expect() {
	want=$1
	what=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else
		bad "$what: exit $got, expected $want"
		sed 's/^/  | /' "$tmp/out" "$tmp/err"
	fi
}
# grep_err PATTERN DESCRIPTION: the last command's stderr holds PATTERN
grep_err() {
	if grep -q -- "$1" "$tmp/err"; then ok; else
		bad "$2: stderr lacks '$1'"
		sed 's/^/  | /' "$tmp/err"
	fi
}
# grep_out PATTERN DESCRIPTION: the last command's stdout holds PATTERN
grep_out() {
	if grep -q -- "$1" "$tmp/out"; then ok; else
		bad "$2: stdout lacks '$1'"
		sed 's/^/  | /' "$tmp/out"
	fi
}
# py EXPR FILE: evaluate a python expression over the JSON document in FILE as `j`
py() {
	python3 -c "import json; j=json.load(open('$2')); print($1)"
}
# dump: the ledger as SQL ("no ledger" when there is none)
dump() {
	if [ -f "$db" ]; then sqlite3 "$db" .dump; else echo "no ledger"; fi
}
# same_ledger WHAT: the ledger is what $tmp/before holds
same_ledger() {
	dump >"$tmp/after"
	if cmp -s "$tmp/before" "$tmp/after"; then ok; else
		bad "$1: the ledger changed"
		diff "$tmp/before" "$tmp/after" | head -10
	fi
}
# json EXPR: a python expression over `numaplace list --all --json` as `w`
json() {
	"$np" list --all --json >"$tmp/list.json" || return 1
	python3 -c "import json,sys; w=json.load(open('$tmp/list.json'))['workloads']; print($1)"
}
# wait_listed NAME: waits (5 s at the most) until a live workload NAME is listed
wait_listed() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(json "len([x for x in w if x['name'] == '$1' and x['live']])")" = 1 ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
