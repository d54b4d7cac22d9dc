#!/usr/bin/env bash
# run-vm.sh - run numaplace's guest checks on a real multi-node Linux kernel.
#
# Boots Debian's cloud kernel under QEMU (TCG software emulation: no KVM needed) with the NUMA
# topology given on the command line, from an initramfs holding numaplace, its shared
# libraries, busybox, the toucher workload and the guest check scripts (tests/vm/guest/).
# /init runs the checks, prints "NP-VM-EXIT=N" and powers the guest off.
#
# Usage: run-vm.sh --numaplace BIN --build-dir DIR --toucher BIN [options]
#   --name NAME          name of this run (work dir, log names)                    (vm)
#   --nodes N            node count                                                (4)
#   --cpus LIST          vCPUs per node: one value or one per node, comma-separated;
#                        0 = a node without CPUs                                   (2)
#   --mem LIST           MiB per node, one value or one per node                  (512)
#   --dist MATRIX        distance matrix, rows separated by ';', values by ',' or ' ';
#                        diagonal 10, every other value 11..254 (Linux ignores a table
#                        with a remote distance <= 10)       (10 / 20 in a pair / 30)
#   --checks LIST        guest checks to run, in order (tests/vm/guest/check-NAME.sh),
#                        comma-separated             (those in tests/vm/guest/checks)
#   --timeout SEC        hard limit on the QEMU run                               (240)
#   --qemu-args ARGS     more QEMU arguments, split at spaces, after the topology's (e.g.
#                        "-machine hmat=on -numa hmat-lb,..." or PCI devices); the guest
#                        finds them in VM_QEMU_ARGS
#   --node-opts LIST     more -numa node options per node, ';'-separated, e.g. ";;;initiator=2"
#                        (HMAT needs an initiator for a node without CPUs)
#   --modules LIST       kernel modules of the kernel package to load in the guest, in
#                        order, comma-separated (e.g. failover,net_failover,virtio_net)
#   --no-skip            fail (status 99) instead of skipping when QEMU cannot run
#   --keep               keep the initramfs tree in the work dir
#   --dry-run            prepare everything, print the QEMU command, do not boot
#
# Environment: NUMAPLACE_VM_CACHE (downloads; default DIR/vm-cache),
#   NUMAPLACE_VM_KERNEL_PKG (a versioned kernel package instead of the current
#   linux-image-cloud-amd64 dependency), QEMU (the qemu-system-x86_64 binary).
# Fetched into the cache with apt-get download: the kernel, busybox-static, numad.
#
# Exit status: 0 every guest check passed; 1 a guest check failed; 3 timeout; 4 kernel
# panic; 5 the guest died without a result; 77 QEMU cannot run on this machine (skip);
# 99 setup failure (bad arguments, download failed). The last line on stderr says which.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QEMU_BIN=${QEMU:-qemu-system-x86_64}

NUMAPLACE=""
BUILD_DIR=""
TOUCHER=""
NAME=vm
NODES=4
CPUS=2
MEM=512
DIST=""
CHECKS=""
TIMEOUT=240
QEMU_ARGS=""
NODE_OPTS=""
MODULES=""
KEEP=0
DRY_RUN=0
NO_SKIP=0

say() { echo "vm[$NAME]: $*" >&2; }
die() { echo "vm[$NAME]: error: $1" >&2; exit "${2:-99}"; }
skip() {
	[ $NO_SKIP -eq 1 ] && die "$1 (and --no-skip was given)"
	echo "vm[$NAME]: skipped: $1" >&2
	exit 77
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

while [ $# -gt 0 ]; do
	case "$1" in
	--numaplace) NUMAPLACE=$2; shift 2 ;;
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--toucher) TOUCHER=$2; shift 2 ;;
	--name) NAME=$2; shift 2 ;;
	--nodes) NODES=$2; shift 2 ;;
	--cpus) CPUS=$2; shift 2 ;;
	--mem) MEM=$2; shift 2 ;;
	--dist) DIST=$2; shift 2 ;;
	--checks) CHECKS=$2; shift 2 ;;
	--timeout) TIMEOUT=$2; shift 2 ;;
	--qemu-args) QEMU_ARGS=$2; shift 2 ;;
	--modules) MODULES=$2; shift 2 ;;
	--node-opts) NODE_OPTS=$2; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--no-skip) NO_SKIP=1; shift ;;
	--dry-run) DRY_RUN=1; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
done

T0=$(now)
[ -n "$NUMAPLACE" ] && [ -x "$NUMAPLACE" ] || die "--numaplace: '$NUMAPLACE' is not an executable"
[ -n "$TOUCHER" ] && [ -x "$TOUCHER" ] || die "--toucher: '$TOUCHER' is not an executable"
[ -n "$BUILD_DIR" ] && [ -d "$BUILD_DIR" ] || die "--build-dir: '$BUILD_DIR' is not a directory"
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

# ------------------------------------------------------------------------------ topology
[[ $NODES =~ ^[0-9]+$ ]] && [ "$NODES" -ge 1 ] && [ "$NODES" -le 16 ] || die "--nodes: 1..16"
per_node() { # per_node VALUE OPTION: one value per node on stdout
	local -a v
	IFS=, read -r -a v <<<"$1"
	if [ ${#v[@]} -eq 1 ]; then
		for ((i = 0; i < NODES; i++)); do echo "${v[0]}"; done
	elif [ ${#v[@]} -eq "$NODES" ]; then
		printf '%s\n' "${v[@]}"
	else
		die "$2: give 1 or $NODES values"
	fi
}
mapfile -t NODE_CPUS < <(per_node "$CPUS" --cpus)
mapfile -t NODE_MEM < <(per_node "$MEM" --mem)
[ ${#NODE_CPUS[@]} -eq "$NODES" ] && [ ${#NODE_MEM[@]} -eq "$NODES" ] || exit 99

NCPUS=0
MEM_TOTAL=0
CPULISTS=() # what /sys/devices/system/node/nodeN/cpulist must show
for ((i = 0; i < NODES; i++)); do
	c=${NODE_CPUS[i]}
	m=${NODE_MEM[i]}
	[[ $c =~ ^[0-9]+$ && $m =~ ^[0-9]+$ ]] || die "--cpus/--mem: integers expected"
	[ "$m" -ge 64 ] || die "--mem: node $i needs at least 64 MiB (memory-less nodes are not supported)"
	case $c in
	0) CPULISTS+=("") ;;
	1) CPULISTS+=("$NCPUS") ;;
	*) CPULISTS+=("$NCPUS-$((NCPUS + c - 1))") ;;
	esac
	NCPUS=$((NCPUS + c))
	MEM_TOTAL=$((MEM_TOTAL + m))
done
[ "$NCPUS" -ge 1 ] || die "--cpus: the guest needs at least one CPU"
[ "${NODE_CPUS[0]}" -ge 1 ] || die "--cpus: node 0 needs a CPU (the kernel boots on it)"

DMAT=()
if [ -z "$DIST" ]; then
	for ((i = 0; i < NODES; i++)); do
		for ((j = 0; j < NODES; j++)); do
			if [ $i -eq $j ]; then DMAT+=(10)
			elif [ $((i / 2)) -eq $((j / 2)) ]; then DMAT+=(20)
			else DMAT+=(30); fi
		done
	done
else
	IFS=';' read -r -a rows <<<"$DIST"
	[ ${#rows[@]} -eq "$NODES" ] || die "--dist: $NODES rows expected"
	for ((i = 0; i < NODES; i++)); do
		read -r -a vals <<<"${rows[i]//,/ }"
		[ ${#vals[@]} -eq "$NODES" ] || die "--dist: row $i needs $NODES values"
		for ((j = 0; j < NODES; j++)); do
			v=${vals[j]}
			[[ $v =~ ^[0-9]+$ ]] || die "--dist: bad value '$v'"
			if [ $i -eq $j ]; then
				[ "$v" -eq 10 ] || die "--dist: the diagonal must be 10"
			else
				[ "$v" -gt 10 ] && [ "$v" -lt 255 ] || die "--dist: remote distances must be 11..254"
			fi
			DMAT+=("$v")
		done
	done
fi
DIST_ROWS=""
for ((i = 0; i < NODES; i++)); do
	row=""
	for ((j = 0; j < NODES; j++)); do row+="${row:+ }${DMAT[i * NODES + j]}"; done
	DIST_ROWS+="${DIST_ROWS:+;}$row"
done

if [ -z "$CHECKS" ]; then
	CHECKS=$(grep -v '^#' "$HERE/guest/checks" | paste -sd, -)
fi
for c in ${CHECKS//,/ }; do
	[ -r "$HERE/guest/check-$c.sh" ] || die "--checks: no guest check '$c'"
done

# ----------------------------------------------------------------------- host packages
CACHE=${NUMAPLACE_VM_CACHE:-$BUILD_DIR/vm-cache}
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock" # parallel runs share the cache: one installs and downloads at a time
flock 9

APT_UPDATED=0
apt_update() {
	[ $APT_UPDATED -eq 1 ] && return 0
	say "apt-get update"
	apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 || return 1
	APT_UPDATED=1
}
apt_install() {
	local log=$CACHE/apt-install.log
	say "installing $*"
	for attempt in 1 2; do
		if DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q \
			--no-install-recommends "$@" >"$log" 2>&1; then
			return 0
		fi
		[ $attempt -eq 2 ] || apt_update || break
	done
	tail -n 5 "$log" >&2
	return 1
}

missing=()
command -v "$QEMU_BIN" >/dev/null || missing+=(qemu-system-x86)
command -v cpio >/dev/null || missing+=(cpio)
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || skip "${missing[*]} not installed and not root to install them"
	apt_install "${missing[@]}" || skip "cannot install ${missing[*]} (see $CACHE/apt-install.log)"
fi
command -v "$QEMU_BIN" >/dev/null || skip "$QEMU_BIN not found"
# Can QEMU start a machine with software emulation at all? The empty machine answers the
# monitor's quit at once.
if ! qerr=$(echo quit | timeout 30 "$QEMU_BIN" -machine none -accel tcg -nodefaults \
	-no-user-config -display none -serial none -monitor stdio 2>&1 >/dev/null); then
	skip "$QEMU_BIN cannot start a TCG machine: ${qerr:-no message}"
fi

# deb_file PKG MEMBER DEST: fetch PKG with apt-get download and extract one file from it.
deb_file() {
	local pkg=$1 member=$2 dest=$3 tmp
	tmp=$(mktemp -d "$CACHE/deb.XXXXXX")
	# apt's download sandbox user must be able to write there
	id _apt >/dev/null 2>&1 && chown _apt "$tmp" 2>/dev/null || true
	if ! (cd "$tmp" && apt-get download -qq "$pkg" >&2); then
		rm -rf "$tmp"
		return 1
	fi
	mkdir -p "$tmp/x" "$(dirname "$dest")"
	dpkg-deb -x "$tmp"/*.deb "$tmp/x"
	[ -f "$tmp/x/$member" ] || { rm -rf "$tmp"; return 1; }
	mv "$tmp/x/$member" "$dest.tmp"
	mv "$dest.tmp" "$dest"
	rm -rf "$tmp"
}
candidate() { # candidate PKG: the version apt would fetch
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" { print $2 }'
}

# kernel_pkg: the versioned package linux-image-cloud-amd64 currently depends on.
kernel_pkg() {
	if [ -n "${NUMAPLACE_VM_KERNEL_PKG:-}" ]; then
		echo "$NUMAPLACE_VM_KERNEL_PKG"
	else
		apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			awk '/Depends: linux-image-/ { print $2; exit }'
	fi
}
# fetch kernel|busybox|numad: the cached file from the current version of its package; one
# apt-get update and retry when the lists are stale (Debian drops superseded kernel ABIs).
fetch() {
	local what=$1 pkg ver member dest
	for attempt in 1 2; do
		case $what in
		kernel) pkg=$(kernel_pkg) ;;
		busybox) pkg=busybox-static ;;
		numad) pkg=numad ;;
		esac
		ver=""
		[ -n "$pkg" ] && ver=$(candidate "$pkg")
		if [ -n "$ver" ]; then
			case $what in
			kernel) member=boot/vmlinuz-${pkg#linux-image-} dest=vmlinuz ;;
			busybox) member=bin/busybox dest=busybox ;;
			numad) member=usr/bin/numad dest=numad ;;
			esac
			dest=$CACHE/$pkg\_$ver/$dest
			if [ -s "$dest" ]; then
				echo "$dest"
				return 0
			fi
			say "fetching $pkg $ver"
			if deb_file "$pkg" "$member" "$dest"; then
				echo "$dest"
				return 0
			fi
		fi
		[ $attempt -eq 2 ] || apt_update || break
	done
	# Offline: the newest copy already in the cache.
	case $what in
	kernel) dest=$(ls "$CACHE"/linux-image-*/vmlinuz 2>/dev/null | sort -V | tail -n 1) ;;
	busybox) dest=$(ls "$CACHE"/busybox-static_*/busybox 2>/dev/null | sort -V | tail -n 1) ;;
	numad) dest=$(ls "$CACHE"/numad_*/numad 2>/dev/null | sort -V | tail -n 1) ;;
	esac
	[ -n "$dest" ] || return 1
	say "warning: using the cached $dest"
	echo "$dest"
}
ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || apt_update || true
KERNEL=$(fetch kernel) || die "cannot get the guest kernel (linux-image-cloud-amd64)"
BUSYBOX=$(fetch busybox) || die "cannot get busybox-static"
chmod 755 "$BUSYBOX"
# Debian's numad, for the advise check to compare with (numaplace answers `numad -w`).
NUMAD=$(fetch numad) || die "cannot get numad"
chmod 755 "$NUMAD"

# fetch_modules: the .ko files of --modules from the kernel's own package, cached beside its
# vmlinuz (the whole package is unpacked once, in a scratch directory).
fetch_modules() {
	local dir tmp m f missing=0
	dir=$(dirname "$KERNEL")/modules
	for m in ${MODULES//,/ }; do [ -s "$dir/$m.ko" ] || missing=1; done
	[ $missing -eq 1 ] || { echo "$dir"; return 0; }
	say "fetching the modules $MODULES of $(kernel_pkg)"
	tmp=$(mktemp -d "$CACHE/deb.XXXXXX")
	id _apt >/dev/null 2>&1 && chown _apt "$tmp" 2>/dev/null || true
	(cd "$tmp" && apt-get download -qq "$(kernel_pkg)" >&2) || { rm -rf "$tmp"; return 1; }
	dpkg-deb -x "$tmp"/*.deb "$tmp/x"
	mkdir -p "$dir"
	for m in ${MODULES//,/ }; do
		f=$(find "$tmp/x/lib/modules" -name "$m.ko" | head -n 1)
		[ -n "$f" ] || { say "no module $m in $(kernel_pkg)"; rm -rf "$tmp"; return 1; }
		cp "$f" "$dir/$m.ko"
	done
	rm -rf "$tmp"
	echo "$dir"
}
MODDIR=""
if [ -n "$MODULES" ]; then
	MODDIR=$(fetch_modules) || die "cannot get the kernel modules $MODULES"
fi
flock -u 9

# --------------------------------------------------------------------------- initramfs
WORK=$BUILD_DIR/vm-work/$NAME
rm -rf "$WORK"
mkdir -p "$WORK"
R=$WORK/root
LOG=$WORK/console.log
mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,run,etc,root,usr/bin,test}
cp "$BUSYBOX" "$R/bin/busybox"
for app in $("$BUSYBOX" --list); do
	[ "$app" = busybox ] || ln -sf busybox "$R/bin/$app"
done

# copy_elf FILE NAME: FILE as /usr/bin/NAME with every shared library ldd finds for it in
# /lib/x86_64-linux-gnu, which the dynamic loader searches without a cache or environment (a
# $ORIGIN run path of the build tree then points nowhere and is skipped), and the loader
# itself at the path the program names. Host paths are not kept: a build tree under /tmp
# would be hidden by the guest's tmpfs.
LIBDIR=/lib/x86_64-linux-gnu
copy_elf() {
	local f lib interp
	f=$(readlink -f "$1")
	cp "$f" "$R/usr/bin/$2"
	interp=$(readelf -l "$f" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] || return 0
	if ldd "$f" | grep -q 'not found'; then
		die "$f: a shared library was not found: $(ldd "$f" | grep 'not found' | tr -s ' \t' ' ')"
	fi
	mkdir -p "$R$(dirname "$interp")" "$R$LIBDIR"
	[ -e "$R$interp" ] || cp -L "$interp" "$R$interp"
	for lib in $(ldd "$f" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
		[ -e "$R$LIBDIR/$(basename "$lib")" ] || cp -L "$lib" "$R$LIBDIR/"
	done
}
copy_elf "$NUMAPLACE" numaplace
copy_elf "$TOUCHER" toucher
copy_elf "$NUMAD" numad
# numaplace's numad entry point: numaplace started under the name numad.
mkdir -p "$R/usr/libexec/numaplace" "$R/var/log" "$R/var/run"
ln -s /usr/bin/numaplace "$R/usr/libexec/numaplace/numad"

cp "$HERE"/guest/*.sh "$HERE"/guest/*.awk "$R/test/"
# The PCI names numaplace info --devices shows (Debian's pci.ids), when the host has them.
if [ -r /usr/share/misc/pci.ids ]; then
	mkdir -p "$R/usr/share/misc"
	cp /usr/share/misc/pci.ids "$R/usr/share/misc/"
fi
if [ -n "$MODDIR" ]; then
	mkdir -p "$R/lib/modules"
	for m in ${MODULES//,/ }; do cp "$MODDIR/$m.ko" "$R/lib/modules/"; done
fi
cp "$HERE/guest/init" "$R/init"
chmod 755 "$R/init" "$R"/test/*.sh
# The kernel's own initramfs has /dev/console; these help if devtmpfs is not mounted yet.
mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$R/dev/null" c 1 3 2>/dev/null || true

{
	echo "VM_NAME='$NAME'"
	echo "VM_NODES=$NODES"
	echo "VM_CPULISTS='$(IFS=';'; echo "${CPULISTS[*]}")'"
	echo "VM_MEM_MB='$(IFS=';'; echo "${NODE_MEM[*]}")'"
	echo "VM_DIST='$DIST_ROWS'"
	echo "VM_CHECKS='${CHECKS//,/ }'"
	echo "VM_QEMU_ARGS='$QEMU_ARGS'"
	echo "VM_MODULES='${MODULES//,/ }'"
	echo "export VM_NAME VM_NODES VM_CPULISTS VM_MEM_MB VM_DIST VM_CHECKS VM_QEMU_ARGS VM_MODULES"
} >"$R/etc/vm-topology.env"

# Uncompressed: inflating costs more than copying under emulation.
(cd "$R" && find . -print0 | cpio --null -o -H newc --quiet) >"$WORK/initrd.cpio"

# ----------------------------------------------------------------------------- QEMU
# Every secondary vCPU calibrates its delay loop for a noticeable time under TCG unless
# lpj= is given. TCG's rdtsc follows the host TSC, so lpj = TSC Hz / HZ (Debian: 250).
tsc_mhz=$(dmesg 2>/dev/null | sed -n 's/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' | head -n 1 || true)
[ -n "$tsc_mhz" ] || tsc_mhz=$(awk '/^cpu MHz/ { print $4; exit }' /proc/cpuinfo)
[ -n "$tsc_mhz" ] || tsc_mhz=2000
LPJ=$(awk -v m="$tsc_mhz" 'BEGIN { printf "%d", m * 1000000 / 250 }')

# panic=-1 with -no-reboot: a panicking guest ends QEMU at once instead of waiting for the
# timeout; cryptomgr.notests and quiet save about a second of emulated boot. no_timer_check:
# under emulation on a loaded host the kernel's IO-APIC timer check can miss its ticks and
# panic ("IO-APIC + timer doesn't work"); the emulated timer works, the check is skipped.
APPEND="console=ttyS0 panic=-1 oops=panic quiet lpj=$LPJ cryptomgr.notests no_timer_check"
QCMD=("$QEMU_BIN" -machine pc -accel tcg -cpu qemu64
	-smp "$NCPUS,sockets=$NCPUS,cores=1,threads=1" -m "${MEM_TOTAL}M"
	-nodefaults -no-user-config -display none -serial stdio -no-reboot
	-kernel "$KERNEL" -initrd "$WORK/initrd.cpio" -append "$APPEND")
cpu=0
for ((i = 0; i < NODES; i++)); do
	QCMD+=(-object "memory-backend-ram,id=mem$i,size=${NODE_MEM[i]}M")
	arg="node,nodeid=$i,memdev=mem$i"
	c=${NODE_CPUS[i]}
	if [ "$c" -eq 1 ]; then arg+=",cpus=$cpu"
	elif [ "$c" -gt 1 ]; then arg+=",cpus=$cpu-$((cpu + c - 1))"; fi
	cpu=$((cpu + c))
	extra=$(echo "$NODE_OPTS" | awk -F';' -v i=$i '{ print $(i + 1) }')
	[ -z "$extra" ] || arg+=",$extra"
	QCMD+=(-numa "$arg")
done
for ((i = 0; i < NODES; i++)); do
	for ((j = 0; j < NODES; j++)); do
		[ $i -eq $j ] || QCMD+=(-numa "dist,src=$i,dst=$j,val=${DMAT[i * NODES + j]}")
	done
done
# shellcheck disable=SC2206 # split at spaces on purpose
[ -z "$QEMU_ARGS" ] || QCMD+=($QEMU_ARGS)

say "kernel $KERNEL"
say "topology: $NODES nodes, CPUs $(IFS=,; echo "${NODE_CPUS[*]}"), MiB $(IFS=,; echo "${NODE_MEM[*]}"), distances $DIST_ROWS"
say "checks: ${CHECKS//,/ }"
say "prepared in $(since "$T0") s; console log $LOG"
if [ $DRY_RUN -eq 1 ]; then
	printf '%q ' "${QCMD[@]}"
	echo
	exit 0
fi

T1=$(now)
set +e
timeout --kill-after=5 "$TIMEOUT" "${QCMD[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$LOG"
status=("${PIPESTATUS[@]}")
set -e
qrc=${status[0]}
[ $KEEP -eq 1 ] || rm -rf "$R" "$WORK/initrd.cpio"

init_at=$(sed -n 's/^NP-VM-INIT uptime=\([0-9.]*\).*/\1/p' "$LOG" | head -n 1)
gexit=$(sed -n 's/^NP-VM-EXIT=\([0-9]*\)$/\1/p' "$LOG" | tail -n 1)
if [ -z "$gexit" ]; then
	# The second copy goes through printk, which a full UART buffer cannot lose.
	gexit=$(sed -n 's/.*np-vm: NP-VM-EXIT=\([0-9]*\).*/\1/p' "$LOG" | tail -n 1)
fi
say "QEMU ran $(since "$T1") s (guest reached /init at ${init_at:-?} s of its uptime); total $(since "$T0") s"
if [ -n "$gexit" ]; then
	if [ "$gexit" -eq 0 ]; then
		say "PASS: every guest check passed"
		exit 0
	fi
	say "FAIL: guest checks failed (exit status $gexit):"
	# Again here, so that a log cut to its last lines still names what failed.
	grep -a '^FAIL ' "$LOG" | head -n 20 >&2
	exit 1
fi
if grep -aq 'Kernel panic' "$LOG"; then
	say "FAIL: kernel panic in the guest:"
	grep -a -A 3 'Kernel panic' "$LOG" | head -n 8 >&2
	exit 4
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	say "FAIL: timeout: QEMU killed after ${TIMEOUT} s; last console lines:"
	tail -n 15 "$LOG" >&2
	exit 3
fi
say "FAIL: the guest died without a result (QEMU exit status $qrc); last console lines:"
tail -n 15 "$LOG" >&2
exit 5
