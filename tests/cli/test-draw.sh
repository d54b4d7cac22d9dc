#!/bin/sh
# `numaplace info --svg FILE / --png FILE`: the files are an SVG and a PNG of the layout's size,
# with one box per node on every fixture, nothing printed unless -n or --json asks, the claims
# of the ledger's workloads drawn on this host, and the errors of a file that cannot be
# written (a file that was there, or a device, is left alone). test-render (unit) reads the
# pixels back.
# usage: test-draw.sh NUMAPLACE FIXTURES
set -u
np=$1
fixtures=$2
. "$(dirname "$0")/lib.sh"
if ! python3 -c 'import ctypes.util, sys; sys.exit(0 if ctypes.util.find_library("cairo") else 1)'; then
	echo "SKIP: libcairo2 is not installed"
	exit 77
fi
# svg_size FILE: "WIDTH HEIGHT" from the <svg> element
svg_size() {
	sed -n 's/^<svg .* width="\([0-9.]*\)pt" height="\([0-9.]*\)pt".*/\1 \2/p' "$1"
}
# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk, after checking the signature
png_size() {
	python3 -c "
import struct, sys
d = open('$1', 'rb').read(24)
assert d[:8] == b'\x89PNG\r\n\x1a\n' and d[12:16] == b'IHDR', 'not a PNG'
print(*struct.unpack('>II', d[16:24]))"
}
# boxes FILE: paths filled with the node boxes' colour
boxes() {
	grep -o 'fill:rgb(96%,97%,98.5%)' "$1" | wc -l
}

# --- every fixture: an SVG and a PNG of the same size, one box per node ------------------------
for f in two-node:2 sparse:4 cpuless:3 memless:2 nodistance:2 many-nodes:72 old-kernel:4; do
	name=${f%:*}
	nboxes=${f#*:}
	expect 0 "info --svg $name" -- "$np" info --sysfs-root "$fixtures/sysfs/$name" \
		--svg "$tmp/$name.svg" --png "$tmp/$name.png"
	[ ! -s "$tmp/out" ] && ok || bad "info --svg $name printed: $(head -3 "$tmp/out")"
	head -c 5 "$tmp/$name.svg" | grep -q '<?xml' && ok || bad "$name.svg is not XML"
	[ "$(boxes "$tmp/$name.svg")" -eq "$nboxes" ] && ok ||
		bad "$name.svg: $(boxes "$tmp/$name.svg") node boxes, expected $nboxes"
	s=$(svg_size "$tmp/$name.svg")
	p=$(png_size "$tmp/$name.png")
	[ -n "$s" ] && [ "$s" = "$p" ] && ok || bad "$name: SVG is '$s', PNG is '$p'"
done
# 72 nodes: eight boxes a row, nine rows, wider than tall
set -- $(png_size "$tmp/many-nodes.png")
[ "$1" -gt 1900 ] && [ "$2" -gt 1000 ] && [ "$1" -gt "$2" ] && ok || bad "many-nodes is $1 x $2"

# --- -n with a picture still prints the tables; '-' is standard output ------------------------
expect 0 "info -n --png" -- "$np" info -n --sysfs-root "$fixtures/sysfs/sparse" --png "$tmp/s.png"
grep -q '^numa_info' "$tmp/out" && ok || bad "info -n --png: no numa_info table"
"$np" info --sysfs-root "$fixtures/sysfs/sparse" --svg - >"$tmp/stdout.svg"
cmp -s "$tmp/stdout.svg" "$tmp/sparse.svg" && ok || bad "info --svg -: differs from the file"

# --- this host with a workload: its claim is drawn (the first workload's colour) --------------
"$np" run --name draw-w --memory 64M -- sleep 30 &
wpid=$!
i=0
while [ $i -lt 100 ] && ! "$np" list 2>/dev/null | grep -q "^draw-w "; do
	sleep 0.05
	i=$((i + 1))
done
expect 0 "info --svg with a workload" -- "$np" info --svg "$tmp/live.svg"
# Tableau blue #4e79a7: the claims bar's segment and the square before the name
n=$(grep -c 'fill:rgb(30.588235%,47.45098%,65.490196%)' "$tmp/live.svg")
[ "$n" -ge 2 ] && ok || bad "info --svg: the workload's colour is filled $n times, expected 2"
kill $wpid
wait $wpid 2>/dev/null
expect 0 "info --svg after it ended" -- "$np" info --svg "$tmp/live2.svg"
n=$(grep -c 'fill:rgb(30.588235%,47.45098%,65.490196%)' "$tmp/live2.svg")
[ "$n" -eq 0 ] && ok || bad "info --svg: an ended workload is still drawn ($n)"

# --- errors -----------------------------------------------------------------------------------
expect 1 "info --svg into a directory" -- "$np" info --svg "$tmp" --sysfs-root "$fixtures/sysfs/sparse"
grep_err "cannot write '$tmp': Is a directory" "info --svg DIR"
expect 1 "info --svg missing folder" -- "$np" info --svg "$tmp/no/x.svg"
grep_err "cannot write '$tmp/no/x.svg': No such file or directory" "info --svg missing folder"
expect 2 "info --png without a file" -- "$np" info --png
grep_err "option '--png' needs a value" "info --png"
expect 2 "info --svg ''" -- "$np" info --svg ""
grep_err "option '--svg' needs a file name" "info --svg ''"
if [ -c /dev/full ]; then
	expect 1 "info --png /dev/full" -- "$np" info --png /dev/full
	grep_err "cannot write '/dev/full': No space left on device" "info --png /dev/full"
	[ -c /dev/full ] && ok || bad "info --png /dev/full: /dev/full is gone"
fi

echo "draw: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
