#!/bin/sh
# Install dependencies, build, and run numaplace's main job: the host's topology; a placement
# on a bundled 4-node topology, by the default strategy and by Xen's; then a workload launched
# placed on this host and listed from the ledger (a throw-away state directory).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
np=./build/src/cli/numaplace
show() {
	echo "\$ numaplace $*"
	"$np" "$@"
	echo
}
show info -n
show plan --sysfs-root data/topologies/4node-pairs --memory 40G --vcpus 12 --explain
show plan --sysfs-root data/topologies/4node-pairs --memory 40G --vcpus 12 --strategy xen
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
# The workload shows its own CPU affinity and memory policy, as the kernel reports them.
probe='grep Cpus_allowed_list /proc/self/status; grep -m1 -oE "(prefer \(many\)|prefer|bind|interleave):[0-9,-]+" /proc/self/numa_maps'
echo "\$ numaplace run --name demo --memory 256M -- sh -c '$probe'"
"$np" run --state-dir "$state" --name demo --memory 256M -- sh -c "$probe"
echo
"$np" run --state-dir "$state" --name sleeper --memory 512M --vcpus 2 -- sleep 2 &
sleep 0.5
show list --state-dir "$state"
wait
