#!/bin/sh
# no-proc.sh TEST: run a unit test with an empty /proc (a tmpfs over it in a mount namespace of
# its own), to show that what it tests reads nothing there. Needs root and unshare(1).
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "skipped: an empty /proc needs root and unshare(1)"
	exit 77
fi
# The sanitizers read their options from /proc/self/environ and stop threads through /proc: under
# them this run is left to the plain build (the run with /proc is the sanitizers').
if ldd "$1" 2>/dev/null | grep -q 'libasan\|libubsan'; then
	echo "skipped: a sanitizer build needs /proc itself"
	exit 77
fi
exec unshare --mount --propagation private sh -c 'mount -t tmpfs none /proc && exec "$0"' "$1"
