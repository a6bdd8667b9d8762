# bash completion for pledgectl(1) and pledged(8).
#
# Installed as /usr/share/bash-completion/completions/pledgectl and
# .../pledged (bash-completion loads a file by the command's name).
# The commands and options here follow "pledgectl --help" and each
# "pledgectl COMMAND --help"; tests/integration/completion.sh keeps them
# in step.

_pledgectl_commands="keygen issue send import add link unlink exclude
include fix-address stats list show export review report forget verify
status digest"

_pledgectl_opts() { # the options of one command
	case $1 in
	keygen) echo "--out" ;;
	issue) echo "--phase --to --expires" ;;
	send) echo "--phase --to --all-pledged --confirmed-only --outbox --resend
	    --expires --dry-run --preview-dir" ;;
	import) echo "--dry-run --by" ;;
	add) echo "--name --note --by" ;;
	link | unlink | fix-address) echo "--by" ;;
	exclude | include) echo "--note --by" ;;
	stats) echo "--json" ;;
	list) echo "--phase --state --json" ;;
	show) echo "--json --message" ;;
	export) echo "--what --format --raw" ;;
	review) echo "--approve --decline --reject --by --json" ;;
	report) echo "--html --public" ;;
	forget) echo "" ;;
	verify) echo "--at --json" ;;
	status) echo "--json" ;;
	digest) echo "--dry-run" ;;
	esac
	echo "--help"
}

_pledgectl() {
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	# The command: the first word that is not a global option or its
	# argument.
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config) i=$((i + 1)) ;;
		-*) ;;
		*)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	case $prev in
	-c | --config | --out | --html)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--outbox | --preview-dir)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	--phase)
		mapfile -t COMPREPLY < <(compgen -W "1 2" -- "$cur")
		return
		;;
	--state)
		mapfile -t COMPREPLY < <(compgen -W "received requested
		    confirmed declined bounced failed withdrawn" -- "$cur")
		return
		;;
	--what)
		mapfile -t COMPREPLY < <(compgen -W "artists messages requests" \
		    -- "$cur")
		return
		;;
	--format)
		mapfile -t COMPREPLY < <(compgen -W "csv json" -- "$cur")
		return
		;;
	--to | --expires | --approve | --decline | --reject | --at | --by | \
	    --name | --note | --message)
		return
		;;
	esac

	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--config --help
			    --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$_pledgectl_commands" \
			    -- "$cur")
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_pledgectl_opts "$cmd")" \
		    -- "$cur")
	elif [ "$cmd" = verify ]; then
		mapfile -t COMPREPLY < <(compgen -W "-" -- "$cur")
	fi
}
complete -F _pledgectl pledgectl

_pledged() {
	local cur prev i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	case $prev in
	-c | --config)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	esac
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [ "${COMP_WORDS[i]}" = ingest ]; then
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return
		fi
	done
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "--config --once --dry-run
		    --check-config --verbose --foreground --help --version" \
		    -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -W "ingest" -- "$cur")
	fi
}
complete -F _pledged pledged
