#!/bin/sh
# Runs the guest checks named in VM_CHECKS (check-NAME.sh, in that order), each in its own
# shell, and prints one summary line. Exit status: the number of failed checks (at most 100).
. /test/lib.sh
total_pass=0
total_fail=0
for c in $VM_CHECKS; do
	echo "== $c"
	t0=$(cut -d' ' -f1 /proc/uptime)
	# Each check starts with an empty /tmp for its own files.
	rm -rf /tmp/* /tmp/.[!.]*
	: >/run/results
	NP_RESULTS=/run/results /bin/sh "/test/check-$c.sh"
	rc=$?
	p=$(grep -c '^PASS' /run/results)
	f=$(grep -c '^FAIL' /run/results)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $c: the check script exited with status $rc"
		f=1
	fi
	t=$(awk -v a="$t0" '{ printf "%.1f", $1 - a }' /proc/uptime)
	echo "== $c: $p passed, $f failed ($t s)"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
done
echo "VM-SUMMARY $VM_NAME: $total_pass passed, $total_fail failed"
[ $total_fail -gt 100 ] && total_fail=100
exit $total_fail
