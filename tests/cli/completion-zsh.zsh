#!/bin/zsh -f
# The zsh completion (data/completion/_numaplace) with compsys's functions replaced by stubs that
# keep what they were given: the commands offered, the _arguments specs built from each
# command's --help, node ids and workload names. Run by test-completion.sh, which counts the
# "ok" and "FAIL" lines.
# usage: completion-zsh.zsh NUMAPLACE SOURCE-DIR FIXTURES WORKLOAD...
np=$1 src=$2 fixtures=$3
shift 3
expected_names=("$@")
typeset -ga got

_call_program() { shift; "$@" }
_arguments() { got=("$@") }
_describe() { got=(${(P)${@[-1]}}) }
_wanted() { shift 3; "$@" }
_sequence() { shift 2; "$@" }
compadd() { if [[ $1 == -a ]]; then got=(${(P)2}); else got=("${@[2,-1]}"); fi }
_normal() { got=(normal $CURRENT $words) }

fpath=($src/data/completion $fpath)
autoload -Uz _numaplace

# check WHAT WORD...: complete the last word of "numaplace WORD..."
complete_line() {
  words=($np "$@")
  CURRENT=$#words
  PREFIX=$words[-1]
  got=()
  _numaplace
}
has() { # has WHAT STRING: got holds STRING
  if (( ${got[(Ie)$2]} )); then print ok; else print -r "FAIL: zsh $1: no '$2' in: ${(j:|:)got}"; fi
}
same() { # same WHAT WORDS...: got is exactly WORDS
  local want="${(j: :)@[2,-1]}"
  if [[ "${(j: :)got}" == "$want" ]]; then print ok; else print -r "FAIL: zsh $1: got '${(j: :)got}', expected '$want'"; fi
}

complete_line ''
has commands "stat:show the kernel's NUMA counters per node and a workload's memory"
has commands "info:show the host's NUMA topology (-n: like 'xl info -n')"
(( $#got == 11 )) && print ok || print -r "FAIL: zsh commands: $#got, expected 11"
complete_line --
same "top-level options" --help --version

complete_line info ''
has "info options" "-n[print the per-node tables of 'xl info -n']"
has "info options" '--json[print everything as one JSON document (docs/json.md)]'
has "info options" '--svg=[draw the nodes (CPUs, memory, free, claims per workload) and the]:file:_files'
has "info options" '--sysfs-root=[a captured sysfs tree (DIR/sys/devices/system/node/...)]:dir:_directories'
complete_line plan --str
has "plan options" '--strategy=[compact (default), xen, numad, first-fit, spread, exhaustive]:name:(compact xen numad first-fit spread exhaustive)'
has "plan options" '--nodes=[only these nodes, kernel list syntax (0-3,8)]:list:_numaplace_nodes'
has "plan options" '--memory=[memory the workload needs: 512M, 4G, 1.5T, 64GiB]:size: '
has "plan options" '--memory-kind=[dram: memory on DRAM nodes only; hbm: memory on the HBM]:kind:(dram hbm any)'
complete_line daemon ''
has "daemon options" '--adopt-threshold=[]:rss: '
complete_line run ''
has "run options" '--parent=[where to make it: a group below the cgroup2 mount]:path:_path_files -W ${NUMAPLACE_CGROUP_ROOT:-}/sys/fs/cgroup -/'
has "run options" '--scope[start CMD in a cgroup v2 group of its own]'
complete_line stat ''
has "stat options" '*:workload:_numaplace_names'
has "stat options" '--pid=[also this process'"'"'s memory per node]:pid:_pids'

# the functions the specs name (_numaplace sets _numaplace_bin for them)
_numaplace_bin=$np
words=(plan --sysfs-root $fixtures/sysfs/sparse --nodes '')
CURRENT=5
_numaplace_nodes
same "node ids" 0 1 4 5
words=(forget '')
CURRENT=2
_numaplace_names
got=(${(o)got}) # the ledger lists them by creation: two launched at once come in either order
same "workload names" ${(o)expected_names}

# run's command after --
complete_line run --memory 1G -- ech
same "run --" normal 1 ech
