# bash completion for numaplace(1)                                        -*- shell-script -*-
#
# The commands and options are read from the binary's own help (`numaplace --help`,
# `numaplace COMMAND --help`), so they are never out of date; workload names and node ids come
# from `numaplace complete names|nodes` (the ledger and host source of the line being typed).
# Plain bash 4: the bash-completion package is not needed.

# _numaplace_options NUMAPLACE COMMAND: "--opt" per line, "--opt=" for one that takes a value
_numaplace_options()
{
	# "  -n, --numa      text": no value (two spaces); "  --svg FILE      text": a value
	"$1" "$2" --help 2>/dev/null | awk '
		/^  -/ {
			line = substr($0, 3)
			while (match(line, /^--?[a-zA-Z][a-zA-Z0-9-]*/)) {
				w = substr(line, 1, RLENGTH)
				rest = substr(line, RLENGTH + 1)
				if (rest ~ /^, /) {
					print w
					line = substr(rest, 3)
					continue
				}
				print w (rest ~ /^ [^ ]/ ? "=" : "")
				break
			}
		}'
}

# _numaplace_commands NUMAPLACE: the commands `numaplace --help` lists
_numaplace_commands()
{
	"$1" --help 2>/dev/null | awk '/^Commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 } c && /^$/ { exit }'
}

# _numaplace_source_args: the host source and state directory options of the line, for
# `numaplace complete` (sets the array _numaplace_args)
_numaplace_source_args()
{
	local i w next
	_numaplace_args=()
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--topology | --synthetic | --sysfs-root | --state-dir)
			next=${COMP_WORDS[i + 1]}
			[[ $next == = ]] && next=${COMP_WORDS[i + 2]}
			[[ -n $next && $((i + 1)) -lt $COMP_CWORD ]] && _numaplace_args+=("$w" "$next")
			;;
		--whole-system) _numaplace_args+=("$w") ;;
		--) break ;;
		esac
	done
}

# _numaplace_value NUMAPLACE OPTION CUR: fill COMPREPLY with the values of OPTION
_numaplace_value()
{
	local np=$1 opt=$2 cur=$3 ids prefix part p
	case $opt in
	--topology | --svg | --png)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	--sysfs-root | --state-dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	--parent | --cgroup)
		# a group: a directory below the cgroup2 mount (a plain-file tree in tests)
		COMPREPLY=($(cd "${NUMAPLACE_CGROUP_ROOT:-}/sys/fs/cgroup" 2>/dev/null &&
			compgen -d -S / -- "$cur"))
		compopt -o nospace 2>/dev/null
		;;
	--strategy) COMPREPLY=($(compgen -W "compact xen numad first-fit spread exhaustive" -- "$cur")) ;;
	--mem-policy) COMPREPLY=($(compgen -W "preferred bind interleave none" -- "$cur")) ;;
	--cpu-binding) COMPREPLY=($(compgen -W "strict none exclusive" -- "$cur")) ;;
	--memory-kind) COMPREPLY=($(compgen -W "dram hbm any" -- "$cur")) ;;
	--memory-spill) COMPREPLY=($(compgen -W "far cxl hbm gpu" -- "$cur")) ;;
	--nodes)
		# a list: complete the id after the last comma, leaving out those already given
		_numaplace_source_args
		ids=$("$np" complete nodes "${_numaplace_args[@]}" 2>/dev/null)
		prefix=
		part=$cur
		if [[ $cur == *,* ]]; then
			prefix=${cur%,*},
			part=${cur##*,}
			for p in ${prefix//,/ }; do
				ids=$(printf '%s\n' $ids | grep -vx -- "$p")
			done
		fi
		COMPREPLY=($(compgen -P "$prefix" -W "$ids" -- "$part"))
		compopt -o nospace 2>/dev/null
		;;
	--pid)
		for p in /proc/[0-9]*; do
			ids+=" ${p#/proc/}"
		done
		COMPREPLY=($(compgen -W "$ids" -- "$cur"))
		;;
	*) COMPREPLY=() ;; # a size, a count, a name of one's own: nothing to offer
	esac
}

_numaplace()
{
	local np=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd= i w opts
	COMPREPLY=()
	# --opt=value: COMP_WORDBREAKS splits it into "--opt" "=" "value"
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w != -* ]]; then
			cmd=$w
			break
		fi
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_numaplace_commands "$np")" -- "$cur"))
		fi
		return 0
	fi

	# run's command after "--": the command's own completion, or bash's default
	for ((i = i + 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			if ((i + 1 == COMP_CWORD)); then
				COMPREPLY=($(compgen -c -- "$cur"))
			else
				compopt -o default 2>/dev/null
			fi
			return 0
		fi
	done

	opts=$(_numaplace_options "$np" "$cmd")
	if [[ -n $prev ]] && printf '%s\n' $opts | grep -qx -- "$prev="; then
		_numaplace_value "$np" "$prev" "$cur"
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(printf '%s\n' $opts | sed 's/=$//')" -- "$cur"))
		return 0
	fi
	case $cmd in
	forget | stat)
		_numaplace_source_args
		COMPREPLY=($(compgen -W "$("$np" complete names "${_numaplace_args[@]}" 2>/dev/null)" -- "$cur"))
		;;
	complete) COMPREPLY=($(compgen -W "names nodes" -- "$cur")) ;;
	esac
	return 0
}

complete -F _numaplace numaplace
