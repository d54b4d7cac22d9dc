#!/bin/sh
# Check that the test suite uses only what Debian packages give, and only packages that
# scripts/deps.sh installs (or that those depend on), the base system (Essential or Priority
# required) or the vm suite installs itself (tests/vm/run-vm.sh: qemu-system-x86, cpio): every
# command the test scripts call and every library the built programs load, each traced to its
# package with dpkg -S. Fails, naming what is missing and where it should come from. .ci/run
# runs it after the build, before the suite. Usage: check-deps.sh [BUILD_DIR]
#
# What the suite uses, found with dpkg -S on Debian 12 (how it is installed):
#   meson, ninja, pkg-config, gcc       meson ninja-build pkgconf gcc     deps.sh
#   clang (fuzz), valgrind              clang valgrind                    deps.sh
#   sqlite3, numactl, numad             sqlite3 numactl numad             deps.sh
#   lstopo-no-graphics                  hwloc-nox                         deps.sh
#   gnuplot (bench)                     gnuplot-nox                       deps.sh
#   zsh (the zsh completion's test)     zsh                               deps.sh
#   python3 (CLI tests read JSON)       python3-minimal                   deps.sh: python3, added;
#                                       it came only through meson's dependency, and a copy
#                                       installed by hand (pyenv) came first in PATH here
#   bzip2 (tar -j, tests/unit/meson.build unpacks ../shared/topologies captures when present)
#                                       bzip2 (Priority standard)         deps.sh: added, was missing
#   readelf (tests/vm/run-vm.sh)        binutils                          deps.sh: added, came
#                                       only through gcc
#   qemu-system-x86_64 (test-qemu-pin)  qemu-system-x86                   deps.sh: added, the CLI
#                                       suite runs guests too (the vm suite installs it when
#                                       missing, for a run of that suite alone)
#   cpio                                cpio                              tests/vm/run-vm.sh
#   awk sed grep tar timeout taskset setpriv flock dmesg ldd apt-get dpkg-deb ...
#                                       mawk sed grep tar coreutils util-linux libc-bin apt dpkg
#                                                                         base system
#   libraries: libhwloc15 libjansson4 libsqlite3-0 libnuma1 libcmocka0 libinih1 libcairo2, cairo's
#   own (test-render; numaplace opens cairo with dlopen) through deps.sh's -dev packages,
#   libudev1 (libhwloc15's), libc6 (base). hwloc's plugins (libhwloc-plugins, with
#   libxml2's XML parser) are optional: the XML tests run with each parser and skip libxml2's
#   without them (docs/design.md). The guest scripts (tests/vm/guest/) run busybox applets,
#   from the busybox-static package run-vm.sh downloads.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}
sys_path=/usr/sbin:/usr/bin:/sbin:/bin

# Commands the host-side test scripts call. A new one must be added here (the scan below fails
# otherwise), and its package to deps.sh unless it is in the base system.
cmds="apt-cache apt-get awk basename bzip2 cat chmod chown clang cmp comm cp cpio cut date dd
diff dirname dmesg dpkg dpkg-deb dpkg-query env find flock gcc gnuplot grep head id install join ldd
ln ls lstopo-no-graphics meson mkdir mkfifo mknod mktemp mount mv nice ninja numactl numad od
pkg-config python3 qemu-system-x86_64 readelf readlink rm sed setpriv sh sleep sort sqlite3
split stat tail taskset tar tee timeout touch tr umount uniq valgrind wc which xargs yes bash zsh"
# Installed by the vm suite itself when missing.
vm_cmds="qemu-system-x86_64 cpio"
vm_pkgs="qemu-system-x86 cpio"
# Words of those scripts that are also names of programs, used as words only (systemctl: a
# stand-in the cgroup test writes and puts first on the PATH).
words="apt as dir file free gnuplot-nox init last link node pc passwd size sum time uptime w
strip systemd watch write editor gdb groups make opt service systemctl top"
scripts="scripts/*.sh .ci/run tests/*.sh tests/cli/*.sh tests/crash/*.sh tests/fuzz/run.sh
tests/vm/run-vm.sh bench/*.sh"

bad=0
problem() {
	echo "check-deps: $*" >&2
	bad=$((bad + 1))
}
in_list() { # WORD LIST...
	w=$1
	shift
	for x in "$@"; do [ "$x" = "$w" ] && return 0; done
	return 1
}

deps=$(sh scripts/deps.sh --list)
# shellcheck disable=SC2086
allowed=$(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances $deps 2>/dev/null | grep -v '^[ <]' | sort -u)
allowed="$allowed $vm_pkgs"

# dpkg -S once for every path asked about (and its usrmerge twin: /bin/x is /usr/bin/x).
map=$(mktemp)
trap 'rm -f "$map"' EXIT
index() { # PATHS...
	for f in "$@"; do
		echo "$f"
		case $f in /usr/*) echo "${f#/usr}" ;; *) echo "/usr$f" ;; esac
		readlink -f "$f"
	done | sort -u | xargs dpkg -S 2>/dev/null | grep -v '^diversion' >"$map"
}
# package_of PATH: the Debian package holding it, or "".
package_of() {
	for f in "$1" "$(readlink -f "$1")" "${1#/usr}" "/usr$1"; do
		p=$(grep -F ": $f" "$map" | awk -v f="$f" '$NF == f { sub(/[:,].*/, "", $1); print $1; exit }')
		[ -n "$p" ] && { echo "$p"; return; }
	done
}
# acceptable PACKAGE: installed by deps.sh (or a dependency of one), the vm suite or the base.
acceptable() {
	# shellcheck disable=SC2086
	in_list "$1" $allowed && return 0
	case $(dpkg-query -W -f='${Essential} ${Priority}' "$1" 2>/dev/null) in
	yes*|*required) return 0 ;;
	esac
	return 1
}

# 1. Every command the scripts name is known.
# shellcheck disable=SC2086
for w in $(cat $scripts | sed 's/#.*//' | grep -oE '[A-Za-z_][A-Za-z0-9_.+-]*' | sort -u); do
	case $(PATH=$sys_path command -v "$w" 2>/dev/null) in /*) ;; *) continue ;; esac
	# shellcheck disable=SC2086
	in_list "$w" $cmds $words ||
		problem "the test scripts call '$w', unknown to scripts/check-deps.sh: add it to its" \
			"commands (and its package to scripts/deps.sh unless it is in the base system)"
done

# 2. Every command comes from an acceptable package, found in the system's PATH.
# shellcheck disable=SC2086
index $(for c in $cmds; do PATH=$sys_path command -v "$c"; done)
for c in $cmds; do
	path=$(PATH=$sys_path command -v "$c" 2>/dev/null)
	if [ -z "$path" ]; then
		# shellcheck disable=SC2086
		in_list "$c" $vm_cmds ||
			problem "the suite needs '$c', which is not installed: run sh scripts/deps.sh"
		continue
	fi
	pkg=$(package_of "$path")
	if [ -z "$pkg" ]; then
		problem "'$c' ($path) is in no Debian package: installed by hand"
	elif ! acceptable "$pkg"; then
		problem "'$c' comes from the package $pkg, which scripts/deps.sh does not install"
	fi
done

# 3. Every library the built programs load.
if [ -d "$build" ]; then
	libs=$(find "$build" -type f -perm -u+x ! -path '*.p/*' \( -name numaplace -o -name 'test-*' \
		-o -name 'replay-*' -o -name 'np-*' -o -name 'numaplace-*' -o -name '*.so*' \) |
		while read -r f; do
			ldd "$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'
		done | sort -u)
	# shellcheck disable=SC2086
	index $libs
	for lib in $libs; do
		case $lib in "$PWD"/*|"$build"/*) continue ;; esac
		pkg=$(package_of "$lib")
		if [ -z "$pkg" ]; then
			problem "the built programs load $lib, which is in no Debian package"
		elif ! acceptable "$pkg"; then
			problem "the built programs load $lib from $pkg, which scripts/deps.sh does not install"
		fi
	done
else
	problem "no build directory '$build': build first (sh scripts/build.sh)"
fi

if [ "$bad" -gt 0 ]; then
	echo "check-deps: $bad problem(s): the suite would depend on what this machine has by hand" >&2
	exit 1
fi
echo "check-deps: every command and library the suite uses comes from scripts/deps.sh, the vm suite or the base system"
