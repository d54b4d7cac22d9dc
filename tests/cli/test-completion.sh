#!/bin/bash
# The bash completion (data/completion/numaplace.bash), by calling its function as bash does:
# COMP_WORDS and COMP_CWORD set for a line, COMPREPLY read back. Commands and options come from
# the binary's help, workload names from the ledger, node ids from the host source on the line.
# The zsh completion runs with compsys's functions stubbed (completion-zsh.zsh).
# usage: test-completion.sh NUMAPLACE SOURCE-DIR
set -u
np=$1
src=$2
. "$src/tests/cli/lib.sh"
. "$src/data/completion/numaplace.bash"
fixtures=$src/tests/fixtures

# comp WORD...: complete the last word (give '' to start a new one); prints the sorted replies
comp() {
	COMP_WORDS=(numaplace "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_numaplace "$np" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'
}
# expect_comp 'EXPECTED' WORD...: the replies are exactly EXPECTED (sorted, space-separated)
expect_comp() {
	local want=$1 got
	shift
	got=$(comp "$@")
	if [ "$got" = "$want" ]; then ok; else
		bad "numaplace $*<TAB>: got '$got', expected '$want'"
	fi
}

# --- commands and top-level options: those of --help (complete is not listed) ----------------
expect_comp "advise config daemon forget info list place plan run simulate stat" ''
expect_comp "stat" st
expect_comp "place plan" pl
expect_comp "--help --version" --
expect_comp "" nosuch

# --- options of a command, from its --help ----------------------------------------------------
expect_comp "--short --state-dir --svg --synthetic --sysfs-root" info --s
expect_comp "--all --help --json --moves --state-dir" list --
expect_comp "--count --help --json --pid --state-dir --sysfs-root --watch" stat --
expect_comp "--png" info -n --p
# every option of every command is offered
for c in info plan simulate run list forget place daemon stat advise config; do
	want=$("$np" $c --help | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' | sort | tr '\n' ' ' | sed 's/ $//')
	expect_comp "$want" $c --
done

# --- option values ----------------------------------------------------------------------------
expect_comp "compact" plan --strategy c
expect_comp "compact exhaustive first-fit numad spread xen" advise --strategy ''
expect_comp "first-fit" plan --strategy = f
expect_comp "bind interleave none preferred" run --mem-policy ''
expect_comp "any dram hbm" plan --memory-kind ''
expect_comp "hbm" advise --memory-kind h
expect_comp "cxl far gpu hbm" run --memory-spill ''
expect_comp "exclusive none strict" run --cpu-binding ''
expect_comp "" plan --memory '' # a size: nothing to offer
expect_comp "$fixtures/sysfs/sparse" info --sysfs-root "$fixtures/sysfs/sp"
expect_comp "$fixtures/xml/sparse.xml" plan --topology "$fixtures/xml/sp"
# node ids of the host source on the line; a list goes on after a comma
expect_comp "0 1 4 5" plan --sysfs-root "$fixtures/sysfs/sparse" --nodes ''
expect_comp "4" plan --sysfs-root "$fixtures/sysfs/sparse" --nodes 4
expect_comp "0,1 0,4 0,5" plan --sysfs-root "$fixtures/sysfs/sparse" --nodes 0,
expect_comp "0,5,1 0,5,4" plan --sysfs-root "$fixtures/sysfs/sparse" --nodes 0,5,
expect_comp "0 1 252" plan --topology "$fixtures/xml/cpuless.xml" --nodes ''
got=$(comp run --nodes '')
[ "$got" = "$(cd /sys/devices/system/node && ls -d node[0-9]* | sed 's/node//' | sort | tr '\n' ' ' | sed 's/ $//')" ] &&
	ok || bad "run --nodes <TAB> on this host: '$got'"
# groups below the cgroup2 mount (NUMAPLACE_CGROUP_ROOT: the plain-file tree)
NUMAPLACE_CGROUP_ROOT=$fixtures/cgroup expect_comp "system.slice/" run --scope --parent sys
NUMAPLACE_CGROUP_ROOT=$fixtures/cgroup expect_comp "machine.slice/libpod-3f2a9c0e1d.scope/ machine.slice/libpod-3f2b77aa00.scope/ machine.slice/libpod-conmon-3f2a9c0e1d.scope/" \
	place --cgroup machine.slice/libpod
# pids: this shell's is offered
comp stat --pid "$$" | grep -qw "$$" && ok || bad "stat --pid $$<TAB>: not offered"

# --- workload names from the ledger (and the --state-dir on the line) ------------------------
expect_comp "" forget ''
"$np" run --name comp-web --memory 16M -- sleep 30 &
w1=$!
"$np" run --name comp-db --memory 16M -- sleep 30 &
w2=$!
i=0
while [ $i -lt 100 ] && [ "$("$np" complete names | wc -l)" -lt 2 ]; do
	sleep 0.05
	i=$((i + 1))
done
expect_comp "comp-db comp-web" forget ''
expect_comp "comp-web" stat comp-w
expect_comp "" stat --state-dir "$tmp/elsewhere" comp-w
mkdir -p "$tmp/other"
NUMAPLACE_STATE_DIR=$tmp/other expect_comp "comp-db comp-web" stat --state-dir "$NUMAPLACE_STATE_DIR" ''
# the zsh completion, with compsys stubbed (completion-zsh.zsh), while both workloads live
if command -v zsh >/dev/null; then
	zsh -f "$src/tests/cli/completion-zsh.zsh" "$np" "$src" "$fixtures" comp-db comp-web >"$tmp/zsh" 2>&1
	n=$(grep -c '^ok$' "$tmp/zsh")
	[ "$n" -eq 20 ] && ok || bad "zsh: $n of 20 checks passed"
	grep -v '^ok$' "$tmp/zsh" | sed 's/^/  | /'
else
	echo "zsh is not installed: the zsh completion is not checked (sh scripts/deps.sh installs it)"
fi
kill $w1 $w2
wait $w1 $w2 2>/dev/null

# --- run's command after -- -------------------------------------------------------------------
comp run --memory 1G -- ech | grep -qw echo && ok || bad "run -- ech<TAB>: no echo"
expect_comp "" run --memory 1G -- sleep --st # the command's own arguments: not numaplace's

# --- numaplace complete: its own errors -------------------------------------------------------
expect 2 "complete without a word" -- "$np" complete
grep_err "say what to complete: names or nodes" "complete"
expect 0 "complete names without a ledger" -- "$np" complete names --state-dir "$tmp/none"
[ ! -s "$tmp/out" ] && [ ! -e "$tmp/none" ] && ok || bad "complete names: printed or created"
"$np" --help | grep -q '^  complete' && bad "--help lists complete" || ok

echo "completion: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
