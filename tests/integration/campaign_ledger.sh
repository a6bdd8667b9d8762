#!/bin/bash
# The campaign's ledger by hand, without servers (pledged ingest and
# send --outbox): pledgectl import (BOM, quoted fields with commas and
# line breaks, bad rows with their line numbers, all or nothing, twice
# changes nothing), send --dry-run (the database byte for byte the same),
# --all-pledged without a phase-one round, one malformed address in a
# round, and each correction (add, exclude/include, link/unlink,
# fix-address, review --decline) with its effect on stats and on the
# next send, and its audit record.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 72
{ base_conf; printf '[smtp]\nfrom = NoMusicForICE <pledges@example.org>\n'; } >"$t/p.conf"
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }
stat_of() { ctl stats --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
dump() { sqlite3 "$t/p.db" .dump; }
ingest() { "$PLEDGED" --config "$t/p.conf" ingest "$@" 2>/dev/null | sed "s/ rule [a-z-]*$//"; }

# Pledges by mail, one with a From no server can take.
printf 'From: Ann <ann@example.net>\r\nSubject: I pledge\r\nMessage-ID: <a@x>\r\n\r\nI pledge.\r\n' >"$t/a.eml"
printf 'From: Bad <bad@host@example.net>\r\nSubject: I pledge\r\nMessage-ID: <b@x>\r\n\r\nI pledge.\r\n' >"$t/b.eml"
printf 'From: "Smith <Band>" <smith@example.net>\r\nSubject: I pledge\r\nMessage-ID: <s@x>\r\n\r\nI pledge.\r\n' >"$t/s.eml"
printf 'From: "a b"@example.net\r\nSubject: I pledge\r\nMessage-ID: <q@x>\r\n\r\nI pledge.\r\n' >"$t/q.eml"
ingest "$t/a.eml" "$t/b.eml" "$t/s.eml" "$t/q.eml" >/dev/null
check "four pledges by mail" test "$(sql "SELECT count(*) FROM pledge")" = 4
check "a '<' in a quoted display name is not the address" \
    test "$(sql "SELECT display_name FROM artist WHERE address = 'smith@example.net'")" = "Smith <Band>"
check "a quoted local part is kept exactly" \
    test "$(sql "SELECT count(*) FROM artist WHERE address = '\"a b\"@example.net'")" = 1
# A later "Artist" does not replace the pledge's name.
printf 'From: Artist <ann@example.net>\r\nSubject: I pledge again\r\nMessage-ID: <a2@x>\r\n\r\nI pledge.\r\n' >"$t/a2.eml"
ingest "$t/a2.eml" >/dev/null
check "the pledge's display name stays" test "$(sql "SELECT display_name FROM artist WHERE address = 'ann@example.net'")" = Ann

# import: a bad file is refused whole, every bad row named.
printf '\xef\xbb\xbfEmail,Name,Date,How,Note\r\nok@example.net,Ok,2024-03-01,form,\r\nnot an address,X,2024-03-01,form,\r\nlate@example.net,Late,yesterday,form,\r\n' >"$t/bad.csv"
rc=0; ctl import "$t/bad.csv" 2>"$t/err" >/dev/null || rc=$?
check "a bad file: 65" test "$rc" = 65
check "line 3 named" grep -q "bad.csv:3: 'not an address' is not an email address" "$t/err"
check "line 4 named" grep -q "bad.csv:4: 'yesterday' is not a date" "$t/err"
check "nothing imported" test "$(sql "SELECT count(*) FROM pledge WHERE source = 'import'")" = 0

# A good one: BOM, quotes, a comma and a line break in a field, an
# address already in the ledger, unknown columns ignored.
printf '\xef\xbb\xbfE-mail,Artist,Pledged_At,Source,Notes,Country\r\n' >"$t/in.csv"
printf 'bo@example.net,"Bo, ""the"" Band",2024-03-01,petition,"met at the fair,\r\nsigned twice",DE\r\n' >>"$t/in.csv"
printf 'ANN@example.net,Ann Import,2024-03-02,form,,FR\r\n' >>"$t/in.csv"
printf 'cy@example.net,Cy,2024-03-03 10:30,phone,,\r\n' >>"$t/in.csv"
before=$(dump)
out=$(ctl import --dry-run "$t/in.csv" 2>/dev/null)
check "import --dry-run says what would change" grep -q "3 rows: 2 new pledges would be recorded.*1 already in the ledger" <<<"$out"
check "import --dry-run changes nothing" test "$(dump)" = "$before"
out=$(ctl import --by organizer "$t/in.csv" 2>"$t/err")
check "import: two new, one kept" grep -q "3 rows: 2 new pledges recorded, 1 already in the ledger" <<<"$out"
check "unknown columns named" grep -q "ignoring columns: 'Country'" "$t/err"
check "the quoted field kept whole" test "$(sql "SELECT display_name || '|' || p.note FROM artist a JOIN pledge p ON p.artist_id = a.id WHERE address = 'bo@example.net'" | tr -d '\r')" = 'Bo, "the" Band|met at the fair,
signed twice'
check "source and date recorded" test "$(sql "SELECT p.source || ' ' || p.source_detail || ' ' || datetime(p.created_at, 'unixepoch') FROM pledge p JOIN artist a ON a.id = p.artist_id WHERE address = 'cy@example.net'")" = "import phone 2024-03-03 10:30:00"
check "Ann keeps her history (pledged by email, her name)" test "$(sql "SELECT p.source || ' ' || display_name FROM pledge p JOIN artist a ON a.id = p.artist_id WHERE address = 'ann@example.net'")" = "email Ann"
check "each import recorded with who and where" test "$(sql "SELECT group_concat(action || ' ' || decided_by || ' ' || detail, ';') FROM correction")" = "import organizer in.csv:2;import organizer in.csv:5"
before=$(dump)
ctl import "$t/in.csv" >/dev/null 2>&1
check "importing twice changes nothing" test "$(dump)" = "$before"
check "stats: 6 pledged, 2 imported" test "$(stat_of pledged) $(stat_of imported)" = "6 2"

# send --dry-run: who would be asked, one request shown, nothing recorded.
before=$(dump)
rc=0; out=$(ctl send --phase 2 --all-pledged --dry-run 2>"$t/err") || rc=$?
check "dry run: exit 0" test "$rc" = 0
check "dry run: counts" test "$(head -1 <<<"$out")" = "dry run, nothing recorded: would send 5, skip 0, fail 1"
check "dry run: the malformed address named" grep -q "bad@host@example.net: would have failed: malformed address: more than one @" "$t/err"
check "dry run: one request shown" test "$(grep -c '^--- the request to' <<<"$out")" = 1
check "dry run: the phase-two text presumes no phase-one round" grep -q "Phase two of nomusicforice has begun" <<<"$out"
check "dry run: no 'You confirmed'" test "$(grep -c 'You confirmed' <<<"$out")" = 0
check "dry run: a placeholder, not a token" grep -q "^v4.public.PREVIEW-not-a-token" <<<"$out"
check "dry run: the database byte for byte the same" test "$(dump)" = "$before"
mkdir "$t/prev"
ctl send --phase 2 --all-pledged --dry-run --preview-dir "$t/prev" >/dev/null 2>&1
check "--preview-dir: one file a request" test "$(ls "$t/prev" | wc -l)" = 5
check "--preview-dir: still nothing recorded" test "$(dump)" = "$before"

# The round: no phase-one round ran; everyone who pledged is asked, the
# broken address costs one artist.
mkdir "$t/out"
rc=0; out=$(ctl send --phase 2 --all-pledged --outbox "$t/out" 2>"$t/err") || rc=$?
check "send: five written, one failed (65)" test "$rc:$(head -1 <<<"$out")" = "65:requests: sent 5, skipped 0, deferred 0, failed 1"
check "send: the failure counted by reason" grep -qx "failed: 1 malformed address" <<<"$out"
check "the failure recorded with its reason" test "$(sql "SELECT t.state || ': ' || t.last_error FROM token t JOIN artist a ON a.id = t.artist_id WHERE a.address = 'bad@host@example.net'")" = "failed: malformed address: more than one @"
check "the quoted local part was mailed" grep -q '^To: "a b"@example.net' "$t"/out/*.eml
check "list shows the failure" grep -q "bad@host@example.net.*failed" <<<"$(ctl list)"
out=$(ctl send --phase 2 --all-pledged --outbox "$t/out" 2>/dev/null)
check "next send: nobody, and why" test "$out" = "requests: sent 0, skipped 6, deferred 0, failed 0
skipped: 5 request pending, 1 request failed before"
# Fixed, the artist is asked by the next send.
out=$(ctl fix-address --by organizer 'bad@host@example.net' bad@example.net)
check "fix-address" test "$out" = "bad@host@example.net is now bad@example.net (by organizer)"
out=$(ctl send --phase 2 --all-pledged --outbox "$t/out" 2>/dev/null)
check "after the fix: the artist is asked" test "$(head -1 <<<"$out")" = "requests: sent 1, skipped 5, deferred 0, failed 0"
check "fix-address recorded" test "$(sql "SELECT decided_by || ' ' || detail FROM correction WHERE action = 'fix-address'")" = "organizer bad@host@example.net -> bad@example.net"

# add: a pledge by phone; in the counts and in the next send.
out=$(ctl add dee@example.net --name Dee --note "by phone, 3 March" --by organizer)
check "add" grep -q "pledge recorded for dee@example.net" <<<"$out"
rc=0; ctl add ann@example.net >/dev/null 2>&1 || rc=$?
check "add an address that pledged: 65, history kept" test "$rc" = 65
check "add: 7 pledged, 1 added" test "$(stat_of pledged) $(stat_of added)" = "7 1"
out=$(ctl send --phase 2 --all-pledged --dry-run 2>/dev/null)
check "add: the next send asks Dee" test "$(head -1 <<<"$out")" = "dry run, nothing recorded: would send 1, skip 6, fail 0"
check "add recorded with the note" test "$(sql "SELECT action || ' ' || decided_by || ' ' || detail FROM correction WHERE action = 'add'")" = "add organizer by phone, 3 March"

# exclude / include: out of the counts and the sends, and back.
ctl exclude dee@example.net --note "test entry" --by organizer >/dev/null
check "exclude: 6 pledged" test "$(stat_of pledged) $(stat_of excluded)" = "6 1"
out=$(ctl send --phase 2 --all-pledged --dry-run 2>/dev/null)
check "exclude: not asked, and why" test "$(sed -n 1,2p <<<"$out")" = "dry run, nothing recorded: would send 0, skip 7, fail 0
skipped: 1 excluded, 6 request pending"
check "exclude: the views agree" test "$(sql "SELECT pledged FROM phase_two")" = 6
check "exclude: list says so" grep -q "dee@example.net.*excluded from the counts" <<<"$(ctl list)"
ctl include dee@example.net --by organizer >/dev/null
check "include: 7 pledged again" test "$(stat_of pledged)" = 7
check "exclude and include recorded" test "$(sql "SELECT group_concat(action || ' ' || decided_by, ';') FROM correction WHERE action IN ('exclude', 'include')")" = "exclude organizer;include organizer"

# link: a manager's address; a reply from it confirms for the artist,
# and the artist counts once.
ctl link cy@example.net mgr@example.net --by organizer >/dev/null
f=$(grep -l '^To: .*<cy@example.net>' "$t"/out/*.eml | head -1)
{
	printf 'From: Manager <mgr@example.net>\r\nSubject: Re: phase two\r\nMessage-ID: <m@x>\r\n\r\nDone.\r\n\r\n'
	sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$f" | tail -n +4 | sed 's/^/> /'
} >"$t/m.eml"
check "a reply from the linked address confirms for the artist" \
    test "$(ingest "$t/m.eml")" = "$t/m.eml: confirm phase 2 cy@example.net"
check "linked: confirmed phase two once, artists counted once" \
    test "$(stat_of confirmed_phase2) $(stat_of linked) $(stat_of pledged)" = "1 1 7"
printf 'From: mgr@example.net\r\nSubject: I pledge\r\nMessage-ID: <m2@x>\r\n\r\nI pledge for Cy.\r\n' >"$t/m2.eml"
ingest "$t/m2.eml" >/dev/null
check "a pledge from the linked address is the artist's: still 7" test "$(stat_of pledged)" = 7
ctl unlink mgr@example.net --by organizer >/dev/null
check "link and unlink recorded" test "$(sql "SELECT group_concat(action || ' ' || detail, ';') FROM correction WHERE action IN ('link', 'unlink')")" = "link mgr@example.net linked to cy@example.net;unlink mgr@example.net unlinked"

# review --decline: a reply held as unclear, settled as a refusal.
f=$(grep -l '^To: .*<bo@example.net>' "$t"/out/*.eml | head -1)
{
	printf 'From: bo@example.net\r\nSubject: Re: phase two\r\nMessage-ID: <bo-r@x>\r\n\r\nWhat would that mean for our label?\r\n\r\n'
	sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$f" | tail -n +4 | sed 's/^/> /'
} >"$t/bo.eml"
check "a question is held" test "$(ingest "$t/bo.eml")" = "$t/bo.eml: review/unclear phase 2 bo@example.net"
id=$(sql "SELECT id FROM audit WHERE message_id = 'bo-r@x'")
out=$(ctl review)
check "review gives the Message-ID" grep -q "message-id <bo-r@x>" <<<"$out"
out=$(ctl review --decline "$id" --by organizer)
check "review --decline" grep -q "declined by organizer: recorded as a phase-two decline" <<<"$out"
check "the decline counts" test "$(stat_of declined)" = 1
check "the decision is audited" test "$(sql "SELECT decision || ' ' || decided_by FROM review_decision WHERE audit_id = $id")" = "declined organizer"
out=$(ctl show --message "$id")
check "show --message: the artist's own text" grep -q "| What would that mean for our label?" <<<"$out"
check "show --message: where to find it" grep -q "where      ingested (sha256 " <<<"$out"
out=$(ctl show bo@example.net)
check "show: the corrections of the artist" grep -q "review .*organizer .*declined" <<<"$out"

# A refusal from another address with Ann's token: held, and approving
# it records Ann's decline, never a confirmation.
f=$(grep -l '^To: .*<ann@example.net>' "$t"/out/*.eml | head -1)
{
	printf 'From: stranger@example.org\r\nSubject: Re: phase two\r\nMessage-ID: <st-r@x>\r\n\r\nNo, we will not do this.\r\n\r\n'
	sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$f" | tail -n +4 | sed 's/^/> /'
} >"$t/st.eml"
check "a refusal from another address is held" test "$(ingest "$t/st.eml")" = "$t/st.eml: review/sender-mismatch phase 2 ann@example.net"
id=$(sql "SELECT id FROM audit WHERE message_id = 'st-r@x'")
check "review: approving it records the decline" grep -q "approving records the decline" <<<"$(ctl review)"
out=$(ctl review --approve "$id" --by organizer)
check "approved: recorded as a decline" grep -q "approved by organizer: recorded as a phase-two decline" <<<"$out"
check "not counted: one confirmation, two declines" test "$(stat_of confirmed_phase2) $(stat_of declined)" = "1 2"

# Stats, views and report agree.
ctl report --html "$t/r.html" >/dev/null
check "report: phase two among every pledger" grep -q "1 of the 7 who pledged" "$t/r.html"
check "report: no phase-one share without a phase-one round" test "$(grep -c 'confirmed in phase one' "$t/r.html")" = 0
# Phase two leaves out whoever declined phase one.
printf 'From: Eve <eve@example.net>\r\nSubject: I pledge\r\nMessage-ID: <e@x>\r\n\r\nI pledge.\r\n' >"$t/e.eml"
ingest "$t/e.eml" >/dev/null
mkdir "$t/out1"
ctl send --phase 1 --to eve@example.net --outbox "$t/out1" >/dev/null
{
	printf 'From: eve@example.net\r\nSubject: Re: confirm\r\nMessage-ID: <e-r@x>\r\n\r\nNo, I decline.\r\n\r\n'
	sed -n '/^Content-Type: text\/plain/,/^--=_pledged/p' "$t"/out1/*.eml | tail -n +4 | sed 's/^/> /'
} >"$t/e-r.eml"
check "Eve declines phase one" test "$(ingest "$t/e-r.eml")" = "$t/e-r.eml: decline phase 1 eve@example.net"
out=$(ctl send --phase 2 --all-pledged --dry-run 2>/dev/null)
check "phase two leaves her out, and says why" grep -q "1 declined phase one" <<<"$(sed -n 2p <<<"$out")"
rc=0; out=$(ctl send --phase 2 --all-pledged --confirmed-only --dry-run 2>/dev/null) || rc=$?
check "--confirmed-only: nobody confirmed phase one, and why" grep -q "not confirmed in phase one" <<<"$(sed -n 2p <<<"$out")"

# A malformed address can be shown and forgotten too.
printf 'From: Odd <odd@one@example.net>\r\nSubject: I pledge\r\nMessage-ID: <o@x>\r\n\r\nI pledge.\r\n' >"$t/o.eml"
ingest "$t/o.eml" >/dev/null
check "show a malformed address" grep -q "odd@one@example.net" <<<"$(ctl show 'odd@one@example.net')"
check "forget a malformed address" grep -q "forgotten" <<<"$(ctl forget 'odd@one@example.net')"
check "it is gone" test "$(sql "SELECT count(*) FROM artist WHERE address LIKE 'odd@%'")" = 0
finish
