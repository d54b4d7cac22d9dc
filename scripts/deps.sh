#!/bin/sh
# Install numaplace's build and test dependencies from Debian 12's archive (idempotent).
# libcairo2-dev draws `info --svg/--png`; zsh runs the zsh completion's test. numad is only
# compared against (`advise` prints what `numad -w` prints); the vm suite installs QEMU itself.
set -eu
pkgs="gcc meson ninja-build pkg-config libhwloc-dev hwloc-nox libjansson-dev libcmocka-dev
libinih-dev libsqlite3-dev sqlite3 numactl libpci-dev pci.ids clang libclang-rt-14-dev valgrind gnuplot-nox numad
libcairo2-dev zsh"
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
