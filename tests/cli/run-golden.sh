#!/bin/sh
# Golden CLI tests. Each case is tests/cli/cases/NAME.args: one line of arguments to numaplace
# (@FIXTURES@ is replaced by the fixtures folder), an optional NAME.stdin fed to it, and
# NAME.out: the expected stdout, then "--- stderr", stderr, then "--- exit N".
# An optional third argument keeps only the cases whose arguments contain that text (".xml":
# the cases that read an XML topology, which run again under each of hwloc's XML parsers).
# Cases run on a copy of tests/fixtures, and a case that changes the copy fails.
# NUMAPLACE_REGEN=1 rewrites every NAME.out from the current output (review the diff).
# NUMAPLACE_TEST_WRAPPER, when set, prefixes every numaplace command (e.g. valgrind and its
# options: any report on stderr then fails the case).
set -u
# no host configuration unless a case gives --config: /etc/numaplace/numaplace.conf is not the
# fixture's
export NUMAPLACE_CONFIG=
unset NUMAPLACE_STATE_DIR
exe=$1
dir=$2
only=${3:-}
source_fixtures=$(cd "$dir/../fixtures" && pwd)
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The cases run on a copy of the fixtures: a case that writes (a placement of a cgroup tree, a
# ledger in a state directory) never changes the source tree. Any change to the copy fails
# that case, and the copy is made again for the next one.
# (@FIXTURES@/../../data: the topologies of data/, read where they are)
mkdir -p "$tmp/tree/tests"
ln -s "$source_fixtures/../../data" "$tmp/tree/data"
fixtures=$tmp/tree/tests/fixtures
copy_fixtures() {
	rm -rf "$fixtures"
	cp -a "$source_fixtures" "$fixtures"
	manifest >"$tmp/manifest"
}
manifest() {
	(cd "$fixtures" && find . -printf '%p %y %m %s %T@ %l\n' | sort)
}
copy_fixtures

for args_file in "$dir"/cases/*.args; do
	name=$(basename "$args_file" .args)
	[ -n "$only" ] && ! grep -qF -- "$only" "$args_file" && continue
	args=$(sed "s|@FIXTURES@|$fixtures|g" "$args_file")
	stdin=/dev/null
	[ -f "$dir/cases/$name.stdin" ] && stdin="$dir/cases/$name.stdin"
	eval "set -- $args"
	${NUMAPLACE_TEST_WRAPPER:-} "$exe" "$@" <"$stdin" >"$tmp/out" 2>"$tmp/err"
	code=$?
	{
		sed "s|$fixtures|@FIXTURES@|g" "$tmp/out"
		echo "--- stderr"
		sed "s|$fixtures|@FIXTURES@|g" "$tmp/err"
		echo "--- exit $code"
	} >"$tmp/got"
	if [ "${NUMAPLACE_REGEN:-}" = 1 ]; then
		cp "$tmp/got" "$dir/cases/$name.out"
	fi
	if ! manifest | cmp -s - "$tmp/manifest"; then
		fail=$((fail + 1))
		echo "FAIL $name: numaplace $args wrote to the fixtures:"
		manifest | diff "$tmp/manifest" - | head -10
		copy_fixtures
	elif [ -f "$dir/cases/$name.out" ] && cmp -s "$tmp/got" "$dir/cases/$name.out"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name: numaplace $args"
		if [ -f "$dir/cases/$name.out" ]; then
			diff -u "$dir/cases/$name.out" "$tmp/got" | head -40
		else
			echo "  (no $name.out; run with NUMAPLACE_REGEN=1 and review)"
		fi
	fi
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
