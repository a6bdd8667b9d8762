#!/bin/bash
# What artists meant, end to end: requests written by pledgectl send
# --outbox, replies built from each delivered request as mail clients
# write them (a "> " quote above or below the answer, the TAB-indented
# quote of POSIX mailx and s-nail, s-nail's quote-fold with a trailing
# backslash, an HTML-only reply, the request pasted back unquoted), and
# replies that s-nail itself writes in batch mode (CLIENTS.md), in six
# languages and every decision; through `pledged ingest`, then the same
# replies through --dry-run and the IMAP pass against a private dovecot.
# Each gets the outcome and the intent rule expected, both flows alike;
# pledgectl review, show and export name the rule; [tokens]
# intent_phrases adds a phrase, and a bad line in it is FILE:LINE, 78.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 123

cat >"$t/extra.phrases" <<'PHRASES'
# The campaign's own words.
refusal en keep us out of it
PHRASES
write_conf
{
	echo "intent_phrases = $t/extra.phrases"
	echo "[smtp]"
	echo "from = NoMusicForICE <pledges@example.org>"
} >>"$t/p.conf"
# base_conf wrote [tokens] before [daemon]: move the key into [tokens].
awk -v k="intent_phrases = $t/extra.phrases" '
	$0 == k { next }
	{ print }
	/^secret_key_file/ { print k }' "$t/p.conf" >"$t/p.conf.new"
mv "$t/p.conf.new" "$t/p.conf"

# The cases: artist, language, client style, answer (\n for a line
# break), expected "outcome rule".
cat >"$t/cases" <<'CASES'
a01|en|top|Yes, count me in.|confirm yes-word
a02|en|mailx|No, I do not confirm.|decline no-word
a03|en|fold|We won't be sending it.|decline negated-ask
a04|en|bottom|Not yet, will do next week.|review deferral
a05|es|top|No participaremos.|decline no-word
a06|es|mailx|Sí, pero mi sello tiene que aprobarlo.|review condition
a07|fr|bottom|Nous ne participerons pas.|decline negated-ask
a08|fr|fold|Pas de souci, je confirme|confirm idiom
a09|de|html|Wir machen nicht mit.|decline refusal-phrase
a10|de|top|Erledigt.\n\n-- \nKlara\nunsubscribe: https://klara.example/list|confirm yes-word
a11|pt|html|Talvez mais tarde|review deferral
a12|it|mailx|Non vedo l'ora!|confirm idiom
a13|it|bottom|Cosa devo mandare esattamente?|review question
a14|en|top||confirm empty
a15|en|mailx|Done.\n\nThis email is confidential. If you are not the intended recipient, do not read it.|confirm yes-word
a16|en|unquoted||review neutral
a17|en|unquoted|Count me out|decline refusal-phrase
a18|en|fold|Keep us out of it, thanks.|decline refusal-phrase
a19|pt|top|Pode contar comigo 👍\n\nEnviado do meu iPhone|confirm yes-word
a20|de|bottom|Vielleicht, mal sehen|review hedge
a21|fr|snail|Nous ne participerons pas.|decline negated-ask
a22|en|snailfold|No, I do not confirm.|decline no-word
a23|de|snail|Erledigt, Takedown ist raus.|confirm yes-word
a24|es|snailfold|Todavía no, la semana que viene.|review deferral
a25|it|snail|Perché no?|confirm idiom
a26|pt|snailfold|Não vamos participar.|decline no-word
CASES

# Each artist pledges; one more pledges, then withdraws by reply.
while IFS='|' read -r a _; do
	printf 'From: Artist %s <%s@artists.example>\r\nSubject: I pledge\r\nMessage-ID: <p-%s@artists.example>\r\n\r\nI pledge.\r\n' \
	    "$a" "$a" "$a" >"$t/p-$a.eml"
done <"$t/cases"
printf 'From: Wen <w@artists.example>\r\nSubject: I pledge\r\nMessage-ID: <p-w@artists.example>\r\n\r\nI pledge.\r\n' >"$t/p-w.eml"
"$PLEDGED" --config "$t/p.conf" ingest "$t"/p-*.eml >/dev/null 2>&1
mkdir "$t/out"
"$PLEDGECTL" --config "$t/p.conf" send --phase 1 --all-pledged --outbox "$t/out" >/dev/null
check "27 requests written" test "$(ls "$t/out" | wc -l)" = 27

request_of() { # address: the request file
	echo "$t/out/$(sql "SELECT jti FROM token t JOIN artist a ON a.id = t.artist_id WHERE address = '$1'").eml"
}
# The request's text part as the artist's client shows it (LF ends).
request_text() {
	sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$1" | tail -n +4 |
	    sed '$d' | tr -d '\r'
}
attribution='On Tue, 01 Dec 2026 10:02:00 +0000, NoMusicForICE <pledges@example.org> wrote:'

# The request as delivered into the artist's mbox; s-nail answers it
# (-n: upstream defaults, so "set quote" indents with a TAB).
printf '#!/bin/sh\ncat >"$OUT"\n' >"$t/mta.sh"
chmod +x "$t/mta.sh"
snail() { # addr answer request [quote-fold]
	mkdir -p "$t/snail"
	{ printf 'From pledges@example.org Tue Dec  1 10:02:00 2026\n'
	  tr -d '\r' <"$3" | sed 's/^From />From /'; echo; } >"$t/snail/mbox"
	printf 'reply 1\n%s\n~.\n' "$2" |
	    HOME="$t/snail" LANG=C.UTF-8 OUT="$t/snail/sent" s-nail -n -# \
	    -S mta="$t/mta.sh" -S quote ${4:+-S quote-fold=$4} -S from="$1" \
	    -f "$t/snail/mbox" >/dev/null 2>&1
	cat "$t/snail/sent"
}

# reply ADDRESS STYLE ANSWER > FILE: the reply a client writes.
reply() {
	local addr=$1 style=$2 answer req mid subj
	answer=$(printf '%b' "$3")
	req=$(request_of "$addr")
	case $style in
	snail) snail "$addr" "$answer" "$req"; return ;;
	snailfold) snail "$addr" "$answer" "$req" 72; return ;;
	esac
	mid=$(sed -n 's/^Message-ID: //p' "$req" | tr -d '\r')
	subj=$(sed -n '/^Subject: /{N;s/\r\?\n//;s/^Subject: //p}' "$req" | tr -d '\r')
	printf 'From: %s\nTo: pledges@example.org\nSubject: Re: %s\nMessage-ID: <r-%s>\nIn-Reply-To: %s\nDate: Tue, 01 Dec 2026 11:00:00 +0000\nMIME-Version: 1.0\n' \
	    "$addr" "$subj" "$addr" "$mid"
	case $style in
	html)
		printf 'Content-Type: text/html; charset=utf-8\n\n<html><body><div>%s</div><br><div class="gmail_quote">%s<blockquote>%s</blockquote></div></body></html>\n' \
		    "$answer" "$attribution" "$(request_text "$req" | sed 's/$/<br>/')"
		return ;;
	esac
	printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n'
	case $style in
	top) # Gmail, Thunderbird set to reply above: "> " below the answer.
		printf '%s\n\n%s\n' "$answer" "$attribution"
		request_text "$req" | sed 's/^/> /' ;;
	bottom) # mutt: the answer below the "> " quote.
		printf '%s\n' "$attribution"
		request_text "$req" | sed 's/^/> /'
		printf '\n%s\n' "$answer" ;;
	mailx) # POSIX mailx, bsd-mailx, s-nail -n: a TAB-indented quote.
		printf '%s\n' "$attribution"
		request_text "$req" | sed 's/^/\t/'
		printf '\n%s\n' "$answer" ;;
	fold) # s-nail with quote-fold=72: folded lines end in '\'.
		printf '%s\n' "$attribution"
		request_text "$req" | awk '{
			s = $0
			while (length(s) > 71) { print "\t" substr(s, 1, 70) "\\"; s = substr(s, 71) }
			print "\t" s }'
		printf '\n%s\n' "$answer" ;;
	unquoted) # the request pasted back with no quote marks at all.
		printf '%s\n\n' "$answer"
		request_text "$req" ;;
	esac
}

if ! command -v s-nail >/dev/null; then
	echo "s-nail not installed (contrib/deps.sh): its cases are left out"
	sed -i '/|snail/d' "$t/cases"
fi
mkdir "$t/replies"
while IFS='|' read -r a lang style answer want; do
	reply "$a@artists.example" "$style" "$answer" >"$t/replies/$a.eml"
done <"$t/cases"
# A withdrawal answers the request (its secret [ref:] in the Subject):
# a bare "withdraw" from a From anyone can forge is held for review.
wref=$(sed -n 's/.*\[ref:\([A-Za-z0-9_-]*\)\].*/\1/p' "$(request_of w@artists.example)" | head -1)
printf 'From: w@artists.example\nTo: pledges@example.org\nSubject: Re: withdraw [ref:%s]\nMessage-ID: <r-w@artists.example>\n\nPlease withdraw my pledge.\n' "$wref" >"$t/replies/w.eml"
check "the folded quote holds no whole token line" \
    sh -c "! grep -q '^	v4.public.[A-Za-z0-9_.-]*\$' '$t/replies/a03.eml'"
check "the folded quote ends lines in a backslash" grep -q '\\$' "$t/replies/a03.eml"
if [ -s "$t/replies/a22.eml" ]; then
	check "s-nail quoted with a TAB" grep -q "^	Answer NO if you do not want to join" "$t/replies/a21.eml"
	check "s-nail folded the token" grep -q '^	v4.public.*\\$' "$t/replies/a22.eml"
fi

# The same database twice: one for ingest, one for the IMAP pass.
sqlite3 "$t/p.db" ".backup $t/imap.db"

# --- pledged ingest --------------------------------------------------
out=$(cd "$t/replies" && "$PLEDGED" --config "$t/p.conf" ingest *.eml 2>"$t/ingest.err")
got_of() { # db, address: "outcome rule" of the reply
	sqlite3 "$1" "SELECT outcome || ' ' || coalesce(rule, '-') FROM audit WHERE from_addr = '$2' AND message_id NOT LIKE 'p-%'"
}
while IFS='|' read -r a lang style answer want; do
	got=$(got_of "$t/p.db" "$a@artists.example")
	check "ingest $a ($lang, $style): $want, got $got" test "$got" = "$want"
	check "ingest $a printed with its rule" grep -q "^$a.eml: .* rule ${want#* }\$" <<<"$out"
done <"$t/cases"
got=$(got_of "$t/p.db" w@artists.example)
check "ingest: the withdrawal, got $got" test "$got" = "withdraw withdraw-keyword"
check "ingest: pledges have no rule" test "$(sql "SELECT count(*) FROM audit WHERE outcome = 'pledge' AND rule IS NOT NULL")" = 0
check "ingest: nothing counted that was not meant" \
    test "$(sql "SELECT count(*) FROM confirmation WHERE kind = 'confirm'")" = "$(grep -c '|confirm ' "$t/cases")"

# pledgectl names the rule.
rev=$("$PLEDGECTL" --config "$t/p.conf" review)
check "review shows a held reply's rule" grep -q '^  rule      deferral$' <<<"$rev"
check "review shows a question's rule" grep -q '^  rule      question$' <<<"$rev"
show=$("$PLEDGECTL" --config "$t/p.conf" show a03@artists.example)
check "show gives the rule with the outcome" grep -q 'decline phase 1 (negated-ask)' <<<"$show"
json=$("$PLEDGECTL" --config "$t/p.conf" export --what messages --format json)
check "export carries the rule" grep -q '"from":"a07@artists.example".*"rule":"negated-ask"' <<<"$json"

# --- the IMAP pass: --dry-run, then --once ----------------------------
sed -i "s|^database = .*|database = $t/imap.db|" "$t/p.conf"
deliver "$t"/replies/*.eml
dry=$("$PLEDGED" --config "$t/p.conf" --once --dry-run 2>/dev/null)
while IFS='|' read -r a lang style answer want; do
	check "dry-run $a: $want" grep -q ": ${want% *}\(/unclear\)\? phase 1 $a@artists.example rule ${want#* }\$" <<<"$dry"
done <"$t/cases"
check "dry-run records nothing" test "$(sqlite3 "$t/imap.db" "SELECT count(*) FROM audit WHERE message_id NOT LIKE 'p-%'")" = 0
rc=0; "$PLEDGED" --config "$t/p.conf" --once 2>"$t/imap.err" || rc=$?
check "--once exits 0" test "$rc" = 0
while IFS='|' read -r a lang style answer want; do
	check "imap $a ($lang, $style): $want" test "$(got_of "$t/imap.db" "$a@artists.example")" = "$want"
done <"$t/cases"
check "imap and ingest decided alike" test \
    "$(sqlite3 "$t/imap.db" "SELECT message_id, outcome, reason, rule FROM audit WHERE message_id NOT LIKE 'p-%' ORDER BY message_id")" = \
    "$(sqlite3 "$t/p.db" "SELECT message_id, outcome, reason, rule FROM audit WHERE message_id NOT LIKE 'p-%' ORDER BY message_id")"

# A bad phrase file: every bad line as FILE:LINE, exit 78.
printf 'refusal en fine\nnonsense en hello\nyes en\n' >"$t/extra.phrases"
rc=0; "$PLEDGED" --config "$t/p.conf" --check-config 2>"$t/check.err" || rc=$?
check "--check-config: a bad phrase file is 78" test "$rc" = 78
check "--check-config names line 2" grep -q "extra.phrases:2: unknown class" "$t/check.err"
check "--check-config names line 3" grep -q "extra.phrases:3: expected" "$t/check.err"
rc=0; "$PLEDGED" --config "$t/p.conf" ingest "$t/replies/a01.eml" >/dev/null 2>"$t/ingest2.err" || rc=$?
check "ingest with a bad phrase file: 78" test "$rc" = 78
finish
