#!/bin/sh
# Install numaplace's build and test dependencies from Debian 12's archive (idempotent).
# `sh scripts/deps.sh --list` prints the packages instead (scripts/check-deps.sh compares what
# the suite uses with them).
# libcairo2-dev draws `info --svg/--png`; zsh runs the zsh completion's test. numad is only
# compared against (`advise` prints what `numad -w` prints); python3 reads the JSON of the CLI
# tests, bzip2 unpacks the captures of real machines beside the source tree, binutils' readelf
# the vm suite's guest programs; qemu-system-x86 runs the CLI suite's guests of --pin-vcpus
# (tests/cli/test-qemu-pin.sh; the vm suite would install it and cpio itself). hwloc's plugins
# (libhwloc-plugins, with libxml2's XML parser) are not needed: docs/design.md.
set -eu
pkgs="gcc meson ninja-build pkg-config libhwloc-dev hwloc-nox libjansson-dev libcmocka-dev
libinih-dev libsqlite3-dev sqlite3 numactl libpci-dev pci.ids clang libclang-rt-14-dev valgrind
gnuplot-nox numad libcairo2-dev zsh python3 bzip2 binutils qemu-system-x86"
if [ "${1:-}" = --list ]; then
	echo $pkgs
	exit 0
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "installing:$missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
