#!/bin/bash
# pledged ingest end to end: crafted messages with a token issued by
# pledgectl, decisions recorded, a second ingest changes nothing, dry-run
# writes nothing, exit codes for unreadable and unparseable input.
. "$PLEDGED_SOURCE_DIR/tests/integration/common.bash"
plan 24
base_conf >"$t/p.conf"
tok=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 2 --to artist@example.org 2>/dev/null)

printf 'From: Artist <artist@example.org>\r\nSubject: I pledge\r\nMessage-ID: <p1@example.org>\r\n\r\nCount me in.\r\n' >"$t/1.eml"
printf 'From: artist@example.org\nSubject: Re: phase two\nMessage-ID: <c1@example.org>\n\nYes!\n\nOn Fri, NoMusicForICE wrote:\n> %s\n' "$tok" >"$t/2.eml"
printf 'From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMessage-ID: <b1@mx>\n\n> %s\n' "$tok" >"$t/3.eml"
printf 'From: a@b.c\nContent-Type: multipart/mixed; boundary="\\""\n\n--"\nx\n' >"$t/4.eml"

# A dry run without a database decides against an empty one in memory,
# exactly as the real run would (a duplicate within the pass included),
# and creates nothing.
sed "s#^database = .*#database = $t/none.db#" "$t/p.conf" >"$t/none.conf"
cp "$t/1.eml" "$t/1-again.eml"
rc=0; out=$("$PLEDGED" --config "$t/none.conf" --dry-run ingest "$t/1.eml" "$t/1-again.eml" "$t/2.eml" 2>"$t/err") || rc=$?
check "dry-run without a database: 0" test "$rc" = 0
check "dry-run without a database: the pledge" grep -q "1.eml: pledge artist@example.org" <<<"$out"
check "dry-run without a database: the same message again" grep -q "1-again.eml: already recorded" <<<"$out"
check "dry-run without a database: the confirmation" grep -q "2.eml: confirm phase 2 artist@example.org" <<<"$out"
check "dry-run without a database: says so" grep -q "no database yet" "$t/err"
check "dry-run created no database" test ! -e "$t/none.db"
check "dry-run took no lock" test ! -e "$t/lock"

# Dry run: decisions printed, nothing written.
out=$("$PLEDGED" --config "$t/p.conf" --dry-run ingest "$t/1.eml" "$t/2.eml" 2>&1)
check "dry-run prints the pledge" grep -q "1.eml: pledge artist@example.org" <<<"$out"
check "dry-run prints the confirmation" grep -q "2.eml: confirm phase 2 artist@example.org" <<<"$out"
check "dry-run wrote no audit row" test "$(sql 'SELECT count(*) FROM audit')" = 0

rc=0; out=$("$PLEDGED" --config "$t/p.conf" ingest "$t/1.eml" "$t/2.eml" "$t/3.eml" "$t/4.eml" "$t/missing.eml" 2>"$t/err") || rc=$?
check "exit 66 for the unreadable file" test "$rc" = 66
check "missing file named on stderr" grep -q "missing.eml" "$t/err"
check "bounce ignored" grep -q "3.eml: ignore/bounce" <<<"$out"
check "unparseable rejected" grep -q "4.eml: reject/unparseable" <<<"$out"
rows=$(sql "SELECT outcome || '/' || coalesce(reason, '') || '/' || coalesce(phase, '') FROM audit ORDER BY id" | tr '\n' ' ')
check "audit rows in order" test "$rows" = "pledge// confirm//2 ignore/bounce/ reject/unparseable/ "
check "pledge state" test "$(sql "SELECT state FROM pledge")" = received
check "phase-2 confirmation" test "$(sql "SELECT phase || kind FROM confirmation")" = 2confirm

dump=$(ledger_dump | md5sum)
rc=0; out=$("$PLEDGED" --config "$t/p.conf" ingest "$t/1.eml" "$t/2.eml" "$t/3.eml" "$t/4.eml" 2>&1) || rc=$?
check "second ingest exits 0" test "$rc" = 0
check "second ingest says already recorded" test "$(grep -c 'already recorded' <<<"$out")" = 4
check "second ingest leaves the store unchanged" test "$(ledger_dump | md5sum)" = "$dump"

# Standard input; and 65 for an unparseable message on its own.
rc=0; "$PLEDGED" --config "$t/p.conf" ingest <"$t/4.eml" >/dev/null 2>&1 || rc=$?
check "stdin: same content already recorded" test "$rc" = 0
printf 'From: x@y.z\nContent-Type: multipart/mixed; boundary="a\\\\b"\n\nx\n' >"$t/5.eml"
rc=0; "$PLEDGED" --config "$t/p.conf" ingest - <"$t/5.eml" >/dev/null 2>&1 || rc=$?
check "unparseable from stdin exits 65" test "$rc" = 65

# The lock: a run that finds it held exits 75 quietly.
exec 9>"$t/lock"; flock 9
rc=0; "$PLEDGED" --config "$t/p.conf" ingest "$t/1.eml" >"$t/out" 2>&1 || rc=$?
check "lock held: exit 75" test "$rc" = 75
check "lock held: quiet" test ! -s "$t/out"
exec 9>&-

finish
