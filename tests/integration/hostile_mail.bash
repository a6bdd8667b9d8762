# Shared by hostile_cpu.sh and imap_hostile_cpu.sh: six 4 MiB messages
# built to be slow to read, in $t/hostile/*.eml (source after common.bash).
# Each was minutes of CPU or seconds per MiB before the text code was made
# linear: a body of '&', '<head>a<body>' repeated (a search to the end at
# every <head>), '</x>' after 256 open elements, '&#', token prefixes, and
# lines of '1:' (an attribution tried on every line).
hostile_size=$((4 * 1024 * 1024))
mkdir -p "$t/hostile"
# hostile_one UNIT CONTENT-TYPE NAME [PREFIX]
hostile_one() {
	{
		printf 'From: Someone <%s@example.org>\r\nSubject: hello\r\n' "$3"
		printf 'Message-ID: <%s@example.org>\r\nMIME-Version: 1.0\r\n' "$3"
		printf 'Content-Type: %s; charset=utf-8\r\n\r\n' "$2"
		printf '%s' "${4:-}"
		yes -- "$1" | tr -d '\n' | head -c "$hostile_size"
	} >"$t/hostile/$3.eml"
}
hostile_one '&' text/html 1amp
hostile_one '<head>a<body>' text/html 2head
hostile_one '</x>' text/html 3stack "$(yes '<div>' | head -n 256 | tr -d '\n')"
hostile_one '&#' text/html 4hash
hostile_one 'v4.public.' text/plain 5tokens
{
	printf 'From: s@example.org\r\nSubject: x\r\nMessage-ID: <6colon@example.org>\r\n\r\n'
	yes '1:' | head -c "$hostile_size"
} >"$t/hostile/6colon.eml"
