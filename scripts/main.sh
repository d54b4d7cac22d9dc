#!/bin/sh
# Install dependencies, build, and run numaplace's main job: the host's topology, then a
# placement on a bundled 4-node topology.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
echo "$ numaplace info -n"
./build/src/cli/numaplace info -n
echo
echo "$ numaplace plan --sysfs-root data/topologies/4node-pairs --memory 12G --vcpus 6 --explain"
./build/src/cli/numaplace plan --sysfs-root data/topologies/4node-pairs --memory 12G --vcpus 6 --explain
