#!/bin/sh
# no-proc.sh TEST: run a unit test with an empty /proc (a tmpfs over it in a mount namespace of
# its own), to show that what it tests reads nothing there. Needs root and unshare(1).
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "skipped: an empty /proc needs root and unshare(1)"
	exit 77
fi
exec unshare --mount --propagation private sh -c 'mount -t tmpfs none /proc && exec "$0"' "$1"
