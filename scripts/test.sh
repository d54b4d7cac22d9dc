#!/bin/sh
# Run every test suite (unit, cli, vm, ...) and end with one line 'N passed, N failed'.
set -u
cd "$(dirname "$0")/.."
sh scripts/deps.sh || exit 1
sh scripts/build.sh || { echo "0 passed, 1 failed"; exit 1; }
meson test -C build --print-errorlogs --num-processes 2 2>&1 | tee build/test-summary.txt
status=$?
ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' build/test-summary.txt)
bad=0
for k in 'Fail' 'Unexpected Pass' 'Timeout'; do
	n=$(sed -n "s/^$k: *\([0-9]*\).*/\1/p" build/test-summary.txt)
	bad=$((bad + ${n:-0}))
done
[ "$status" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
echo "${ok:-0} passed, $bad failed"
[ "$bad" -eq 0 ]
