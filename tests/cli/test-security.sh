#!/bin/sh
# The refusals of docs/security.md, through the command: another user's state directory, a
# symlinked or group-writable one, a set-uid numaplace ignoring the caller's environment, and
# commands executed without a shell. (Forgetting another user's workload is refused by the
# library: tests/unit/test-ledger.c, test_forget_foreign.)
# usage: test-security.sh NUMAPLACE
set -u
np=$1
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

ok() {
	pass=$((pass + 1))
}
bad() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}
# expect CODE PATTERN WHAT -- CMD...: exit status CODE and PATTERN in stderr ("" for none)
expect() {
	want=$1
	pattern=$2
	what=$3
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ] && { [ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/err"; }; then
		ok
	else
		bad "$what: exit $got (expected $want), stderr: $(cat "$tmp/err")"
	fi
}

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1; then
	echo "SKIP: needs root, setpriv and the user nobody (to act as another user)"
	exit 77
fi
as_nobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
run_args="--memory 1M --cpu-binding none --mem-policy none"

# --- root's ledger is root's: another user can neither read nor change it -------------------
"$np" run --state-dir "$tmp/root" --name w $run_args -- true || bad "root's run"
expect 1 "is owned by uid 0, not by uid 65534" "nobody lists root's ledger" -- \
	as_nobody "$np" list --state-dir "$tmp/root"
expect 1 "is owned by uid 0, not by uid 65534" "nobody forgets in root's ledger" -- \
	as_nobody "$np" forget --state-dir "$tmp/root" w
expect 1 "is owned by uid 0, not by uid 65534" "nobody runs into root's ledger" -- \
	as_nobody "$np" run --state-dir "$tmp/root" $run_args -- true
# and root does not take a ledger another user could have planted
mkdir "$tmp/planted" && chown nobody "$tmp/planted"
expect 1 "is owned by uid 65534, not by uid 0" "root uses nobody's directory" -- \
	"$np" run --state-dir "$tmp/planted" $run_args -- true

# --- place --pid: another user's process only as root -----------------------------------------
sleep 100 &
sleeper=$!
mkdir -m 0700 "$tmp/ns" && chown nobody "$tmp/ns"
expect 1 "cannot place pid $sleeper ('sleep'): permission denied (it belongs to uid 0" \
	"nobody places root's process" -- \
	as_nobody "$np" place --pid "$sleeper" --state-dir "$tmp/ns"
expect 0 "" "root places it" -- "$np" place --pid "$sleeper" --state-dir "$tmp/root" --dry-run
kill "$sleeper"
wait "$sleeper" 2>/dev/null

# --- symlinks and group-writable directories --------------------------------------------------
ln -s "$tmp/root" "$tmp/link"
expect 1 "state directory '$tmp/link' is a symlink" "symlinked state directory" -- \
	"$np" list --state-dir "$tmp/link"
mkdir -m 0700 "$tmp/shared" && chmod 0770 "$tmp/shared"
expect 1 "is writable by group or others (mode 0770)" "group-writable state directory" -- \
	"$np" run --state-dir "$tmp/shared" $run_args -- true
[ -e "$tmp/root/ledger.db-wal" ] && mv "$tmp/root/ledger.db-wal" "$tmp/wal"
ln -s /etc/passwd "$tmp/root/ledger.db-wal"
expect 1 "ledger file '$tmp/root/ledger.db-wal' is a symlink" "symlinked WAL file" -- \
	"$np" list --state-dir "$tmp/root"
rm "$tmp/root/ledger.db-wal"
[ -e "$tmp/wal" ] && mv "$tmp/wal" "$tmp/root/ledger.db-wal"

# --- set-uid: the caller's environment is not trusted -----------------------------------------
mkdir "$tmp/suid"
cp "$np" "$tmp/suid/numaplace"
chmod 4755 "$tmp/suid/numaplace"
if as_nobody "$tmp/suid/numaplace" --version >/dev/null 2>&1 &&
	[ "$(as_nobody sh -c 'test -u '"$tmp/suid/numaplace"' && echo y')" = y ]; then
	# HWLOC_COMPONENTS is honoured by hwloc (it warns about a component it cannot find)...
	expect 0 "Cannot find discovery component" "hwloc reads HWLOC_COMPONENTS" -- \
		env HWLOC_COMPONENTS=no-such-component "$np" info
	# ...and dropped by a set-uid numaplace
	HWLOC_COMPONENTS=no-such-component as_nobody "$tmp/suid/numaplace" info >/dev/null \
		2>"$tmp/err"
	if grep -q "Cannot find discovery component" "$tmp/err"; then
		bad "set-uid numaplace let hwloc read HWLOC_COMPONENTS"
	else
		ok
	fi
	# NUMAPLACE_STATE_DIR is ignored: it would name a symlink, which is refused
	if [ -e /run/numaplace ]; then
		echo "set-uid NUMAPLACE_STATE_DIR: skipped (/run/numaplace exists; not touched)"
	else
		NUMAPLACE_STATE_DIR="$tmp/link" as_nobody "$tmp/suid/numaplace" forget x \
			>/dev/null 2>"$tmp/err"
		if grep -q "$tmp/link" "$tmp/err"; then
			bad "set-uid numaplace used NUMAPLACE_STATE_DIR: $(cat "$tmp/err")"
		else
			ok
		fi
	fi
	# no picture: the file would be written as root, fonts read as the caller chose
	expect 1 "cannot draw '$tmp/suid/x.png': numaplace runs privileged" "set-uid info --png" -- \
		as_nobody "$tmp/suid/numaplace" info --png "$tmp/suid/x.png"
	[ ! -e "$tmp/suid/x.png" ] && ok || bad "set-uid info --png wrote the file"
else
	echo "set-uid: skipped ($tmp is mounted nosuid)"
fi

# --- commands are executed without a shell ----------------------------------------------------
expect 1 "cannot run 'true; touch $tmp/pwned': No such file or directory" "shell syntax" -- \
	"$np" run --state-dir "$tmp/root" $run_args -- "true; touch $tmp/pwned"
[ ! -e "$tmp/pwned" ] && ok || bad "a command line went through a shell"

echo "security: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
