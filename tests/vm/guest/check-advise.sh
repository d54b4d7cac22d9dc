#!/bin/sh
# `numaplace advise NCPUS[:MB]` answers inside the guest as `numad -w NCPUS[:MB]` does:
# - one node list in kernel list syntax and a newline, like Debian's numad run in the same
#   guest (the nodes may differ: numad samples CPU use and has its own rules);
# - numaplace's numad entry point (numaplace started as numad) prints the same bytes as
#   `numaplace advise`;
# - the nodes given have the CPUs and the free memory asked for;
# - a request larger than the guest: exit status 3 and nothing on stdout.
. /test/lib.sh

export NUMAPLACE_STATE_DIR=/run/np-check-advise

# is_list FILE: FILE is exactly one kernel node list and a newline.
is_list() {
	grep -Eqx '[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*' "$1" && [ "$(wc -l <"$1")" -eq 1 ] &&
		[ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ]
}

big=$(two_node_size 2)
[ -n "$big" ] || fail advise.size "no request size fits two nodes only (free MiB per node: $(node_table | awk '{ printf "%d:%d ", $1, $2 / 1048576 }'))"
for req in 1 2:64 ${big:+2:$big}; do
	numaplace advise $req >/tmp/advise 2>/tmp/advise.err
	expect "advise.$req.status" $? 0
	is_list /tmp/advise && pass "advise.$req.format" "$(cat /tmp/advise)" ||
		fail "advise.$req.format" "$(od -c /tmp/advise | head -n 2) $(cat /tmp/advise.err)"
	/usr/libexec/numaplace/numad -w $req >/tmp/entry 2>&1
	# Two live answers a moment apart: nodes that tie but for a few pages of free memory may
	# swap between them, so a different list of as many nodes is a near tie, not a failure.
	if cmp -s /tmp/advise /tmp/entry; then
		pass "advise.$req.entry" "numad -w $req through numaplace: $(cat /tmp/entry)"
	elif is_list /tmp/entry && [ "$(expand_list "$(cat /tmp/entry)" | wc -w)" = \
		"$(expand_list "$(cat /tmp/advise)" | wc -w)" ]; then
		pass "advise.$req.entry" "numad -w $req through numaplace: $(cat /tmp/entry) (advise said $(cat /tmp/advise) a moment before: a near tie)"
	else
		fail "advise.$req.entry" "advise [$(cat /tmp/advise)], numad entry point [$(cat /tmp/entry)]"
	fi
	nodes=$(expand_list "$(cat /tmp/advise)")
	cpus=$(echo $(node_cpus "$nodes") | wc -w)
	free=0
	for n in $nodes; do
		free=$((free + $(node_free $n)))
	done
	ncpus=${req%%:*}
	mb=0
	case $req in *:*) mb=${req#*:} ;; esac
	[ $cpus -ge $ncpus ] && [ $free -ge $((mb << 20)) ] &&
		pass "advise.$req.fits" "nodes [$nodes]: $cpus CPUs, $((free >> 20)) MiB free" ||
		fail "advise.$req.fits" "nodes [$nodes]: $cpus CPUs, $((free >> 20)) MiB free"
	# Debian's numad samples the machine for a few seconds: two requests are enough.
	if [ "$req" != 1 ]; then
		numad -w $req >/tmp/numad 2>/tmp/numad.err
		rc=$?
		is_list /tmp/numad && pass "advise.$req.numad-format" "numad -w $req: $(cat /tmp/numad) (status $rc), numaplace: $(cat /tmp/advise)" ||
			fail "advise.$req.numad-format" "numad -w $req (status $rc): $(od -c /tmp/numad | head -n 2) $(cat /tmp/numad.err)"
	fi
done

numaplace advise 1:100000000 >/tmp/out 2>/tmp/err
expect advise.nofit.status $? 3
expect advise.nofit.stdout "$(wc -c </tmp/out)" 0
