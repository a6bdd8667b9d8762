# Shared by the private test servers (dovecot.sh, submission.sh): source
# it with '. "$(dirname "$0")/common.sh"'.

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# A free TCP port on loopback: start from a random base, skip what ss
# shows as listening, and not $1 (a port already chosen).  A race with
# another process is possible but rare, and the server then fails loudly
# when it cannot bind.
free_port() {
	p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 30000 ))
	i=0
	while [ $i -lt 200 ]; do
		if [ -z "$(ss -ltnH "sport = :$p" 2>/dev/null)" ] &&
		    [ "$p" != "${1:-}" ]; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
		i=$((i + 1))
	done
	die "no free port"
}

randhex() {
	od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}
