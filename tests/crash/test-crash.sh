#!/bin/sh
# Crash safety of the ledger. numaplace-crash (crash.c) is numaplace with a crash point after
# every SQL statement, after the close that checkpoints the WAL, and before the exec of the
# workload. `run`, `forget`, `list` and `daemon --once` are killed with SIGKILL at every point in turn (N = 1, 2,
# ... until the command gets through), then at random moments; after every kill:
# - the ledger opens (numaplace list) and passes PRAGMA integrity_check;
# - it holds no claim without a live workload (after the prune every transaction does);
# - nothing else is lost: a workload placed before keeps its claim; a forget is all or nothing.
# Then a full file system and a read-only state directory: a clear error, nothing lost.
# usage: test-crash.sh NUMAPLACE NUMAPLACE_CRASH
set -u
np=$1
npc=$2
pass=0
fail=0
tmp=$(mktemp -d)
small=
keeper=
victim=
adoptee=
cleanup() {
	kill $keeper $victim $adoptee $(jobs -p) 2>/dev/null
	[ -n "$small" ] && umount "$small" 2>/dev/null
	[ -n "${ro:-}" ] && umount "$ro" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
state="$tmp/state"
db="$state/ledger.db"
export NUMAPLACE_STATE_DIR="$state"

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

# The request every run makes: 1 MiB, no binding, so that it fits on any machine.
run_args="--memory 1M --cpu-binding none --mem-policy none"

# alive PID START: the process PID is running and started at START (field 22 of its stat)
alive() {
	read -r line <"/proc/$1/stat" 2>/dev/null || return 1
	set -- "$2" ${line##*) }
	[ "$2" != Z ] && [ "$2" != X ] && [ "${21}" = "$1" ]
}

# check WHAT: the ledger after a kill opens, is sound, holds no claim without a live workload
# and still holds the claim of 'keeper'
check() {
	if ! "$np" list --all >/dev/null 2>"$tmp/list.err"; then
		bad "$1: the ledger does not open: $(cat "$tmp/list.err")"
		return
	fi
	ok
	sqlite3 "$db" "PRAGMA integrity_check;
		SELECT count(*) FROM workload WHERE name = 'keeper' AND ended IS NULL;
		SELECT pid, start_time FROM workload WHERE ended IS NULL" >"$tmp/check" 2>&1
	{
		read -r integrity
		read -r keepers
		orphans=
		while IFS='|' read -r pid start; do
			alive "$pid" "$start" || orphans="$orphans $pid"
		done
		if [ "$integrity" = ok ]; then ok; else bad "$1: integrity_check: $integrity"; fi
		if [ "$keepers" = 1 ]; then ok; else bad "$1: the claim of 'keeper' is gone"; fi
		if [ -z "$orphans" ]; then ok; else bad "$1: claims without a live workload:$orphans"; fi
	} <"$tmp/check"
}

# A live workload that every crash must leave alone.
"$np" run --name keeper $run_args -- sleep 1000 &
keeper=$!
i=0
while [ "$(sqlite3 "$db" "SELECT count(*) FROM workload WHERE name = 'keeper'" 2>/dev/null)" != 1 ]; do
	i=$((i + 1))
	[ $i -gt 200 ] && { echo "FAIL: 'keeper' was never placed"; exit 1; }
	sleep 0.05
done

# kill_every NAME SETUP CHECK -- CMD...: run CMD under numaplace-crash with
# NUMAPLACE_TEST_CRASH_AT=1, 2, ... until it is not killed; SETUP before and CHECK after each.
kill_every() {
	name=$1
	setup=$2
	after=$3
	shift 4
	n=1
	while :; do
		$setup
		NUMAPLACE_TEST_CRASH_AT=$n "$npc" "$@" >"$tmp/out" 2>"$tmp/err"
		st=$?
		if [ "$st" -ne 137 ]; then
			break
		fi
		check "$name, killed at point $n"
		$after "$n"
		n=$((n + 1))
		if [ $n -gt 500 ]; then
			bad "$name: still killed after 500 points"
			return
		fi
	done
	# through: the points it passed, for the log
	$setup
	rm -f "$tmp/points"
	NUMAPLACE_TEST_CRASH_LOG="$tmp/points" "$npc" "$@" >/dev/null 2>&1
	echo "$name: killed at each of $((n - 1)) points, then exit $st:"
	sed 's/^/  /' "$tmp/points" 2>/dev/null | head -40
	check "$name, not killed"
	$after done
}

nothing() {
	:
}

# --- run: a workload that exits at once, and a command that cannot be executed --------------
run_after() {
	if [ -n "$(sqlite3 "$db" "SELECT pid FROM workload WHERE name = 'crashy' AND ended IS NULL")" ]; then
		bad "run killed at $1: the killed launch still holds a claim after the prune"
	else
		ok
	fi
}
kill_every "run" nothing run_after -- run --name crashy $run_args -- true
kill_every "run of a missing command" nothing run_after -- \
	run --name crashy $run_args -- /nonexistent/command

# --- forget: all or nothing ---------------------------------------------------------------
forget_setup() {
	if [ -z "$(sqlite3 "$db" "SELECT pid FROM workload WHERE name = 'victim' AND ended IS NULL")" ]; then
		[ -n "${victim:-}" ] && kill "$victim" 2>/dev/null && wait "$victim" 2>/dev/null
		"$np" run --name victim $run_args -- sleep 1000 &
		victim=$!
		i=0
		while [ "$(sqlite3 "$db" "SELECT count(*) FROM workload WHERE name = 'victim' AND ended IS NULL")" != 1 ]; do
			i=$((i + 1))
			[ $i -gt 200 ] && break
			sleep 0.05
		done
	fi
}
forget_after() {
	live=$(sqlite3 "$db" "SELECT count(*) FROM workload WHERE name = 'victim' AND ended IS NULL")
	gone=$(sqlite3 "$db" "SELECT count(*) FROM workload WHERE name = 'victim' AND end_reason = 'forgotten'")
	if [ "$1" = done ]; then
		if [ "$live" = 0 ] && [ "$gone" -ge 1 ]; then ok; else
			bad "forget went through but 'victim' is live=$live forgotten=$gone"
		fi
	elif [ "$live" = 1 ] || [ "$gone" -ge 1 ]; then
		ok
	else
		bad "forget killed at $1: 'victim' is neither claimed nor forgotten"
	fi
}
kill_every "forget" forget_setup forget_after -- forget victim
kill "$victim" 2>/dev/null
wait "$victim" 2>/dev/null

# --- list: it prunes (victim has just exited) -----------------------------------------------
kill_every "list" nothing nothing -- list --all

# --- daemon --once, adopting an unmanaged process: adopted whole or not at all ---------------
sleep 1000 &
adoptee=$!
daemon_setup() {
	# unmanaged again before every round
	"$np" forget "$adoptee" >/dev/null 2>&1
}
daemon_after() {
	if [ -n "$(sqlite3 "$db" "SELECT pid FROM workload WHERE pid = $adoptee AND ended IS NULL AND name = ''")" ]; then
		bad "daemon killed at $1: an adopted row without a name"
	else
		ok
	fi
}
kill_every "daemon --once" daemon_setup daemon_after -- \
	daemon --once --interval 0.05 --adopt-threshold 1K --adopt-only sleep --min-gap 0
kill "$adoptee" 2>/dev/null
wait "$adoptee" 2>/dev/null

# --- killed at random moments, while the other points are in between -------------------------
python3 - "$npc" "$tmp" $run_args <<'EOF' >"$tmp/random.out" 2>&1
import os, random, signal, subprocess, sys, time
npc, tmp, args = sys.argv[1], sys.argv[2], sys.argv[3:]
random.seed(7)
t0 = time.monotonic()
subprocess.run([npc, "run", "--name", "timed"] + args + ["--", "true"], check=True)
span = time.monotonic() - t0
killed = 0
for i in range(40):
    p = subprocess.Popen([npc, "run", "--name", "timed"] + args + ["--", "true"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, span))
    p.send_signal(signal.SIGKILL)
    killed += p.wait() == -signal.SIGKILL
print(f"{killed} of 40 launches killed at random moments within {span * 1000:.1f} ms")
EOF
cat "$tmp/random.out"
check "run killed at random moments"

# --- a full file system: a clear error, nothing lost ----------------------------------------
if [ "$(id -u)" -eq 0 ] && mkdir "$tmp/small" && mount -t tmpfs -o size=1m,mode=0700 tmpfs "$tmp/small" 2>/dev/null; then
	small="$tmp/small"
	sdir="$small/state"
	NUMAPLACE_STATE_DIR="$sdir" "$np" run --name before $run_args -- true || bad "disk full: first run"
	sqlite3 "$sdir/ledger.db" .dump >"$tmp/before"
	dd if=/dev/zero of="$small/fill" bs=4k 2>/dev/null
	NUMAPLACE_STATE_DIR="$sdir" "$np" run --name full $run_args -- true >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" -eq 1 ] && grep -q "numaplace: cannot .*(No space left on device)" "$tmp/err"; then ok; else
		bad "disk full: run exit $st, stderr: $(cat "$tmp/err")"
	fi
	NUMAPLACE_STATE_DIR="$sdir" "$np" list --all >/dev/null 2>"$tmp/err" ||
		grep -q "numaplace: " "$tmp/err" || bad "disk full: list failed without a message"
	rm -f "$small/fill"
	sqlite3 "$sdir/ledger.db" .dump >"$tmp/after"
	if [ "$(sqlite3 "$sdir/ledger.db" 'PRAGMA integrity_check')" = ok ] &&
		cmp -s "$tmp/before" "$tmp/after"; then ok; else
		bad "disk full: the ledger changed or is damaged"
		diff "$tmp/before" "$tmp/after" | head
	fi
	if NUMAPLACE_STATE_DIR="$sdir" "$np" run --name after $run_args -- true; then ok; else
		bad "disk full: run fails once there is room again"
	fi
	umount "$small" && small=
else
	echo "disk full: skipped (needs root to mount a small tmpfs)"
fi

# --- a read-only state directory: a clear error, nothing lost --------------------------------
sqlite3 "$db" .dump >"$tmp/before"
if [ "$(id -u)" -eq 0 ] && mkdir "$tmp/ro" && mount --bind "$state" "$tmp/ro" 2>/dev/null &&
	mount -o remount,ro,bind "$tmp/ro" 2>/dev/null; then
	ro="$tmp/ro"
	NUMAPLACE_STATE_DIR="$ro" "$np" run --name ro $run_args -- true >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" -eq 1 ] && grep -q "numaplace: cannot open the ledger in '$ro': .*not writable: Read-only file system" "$tmp/err"; then
		ok
	else
		bad "read-only mount: run exit $st, stderr: $(cat "$tmp/err")"
	fi
	umount "$ro" && ro=
else
	echo "read-only mount: skipped (needs root)"
fi
# as a user whose own state directory is mode 0500
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$tmp"
	mkdir -m 0500 "$tmp/nobody"
	chown nobody "$tmp/nobody"
	NUMAPLACE_STATE_DIR="$tmp/nobody" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$np" run --name ro $run_args -- true >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" -eq 1 ] && grep -q "numaplace: cannot open the ledger in '$tmp/nobody': .*not writable: Permission denied" "$tmp/err"; then
		ok
	else
		bad "state directory mode 0500: run exit $st, stderr: $(cat "$tmp/err")"
	fi
fi
sqlite3 "$db" .dump >"$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then ok; else bad "read-only: the ledger changed"; fi

echo "crash: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
