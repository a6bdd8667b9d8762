#!/bin/bash
# The live page and the health line, against a private dovecot:
# pledged --once rewrites [report] html and public_html after a pass that
# changed the ledger and not after one that did not; pledgectl status
# after a good pass, after a failing one (dovecot stopped), and after a
# good one again; the page warns while the feed is stale; the public page
# names nobody.  Then both pages in headless Chromium at 1200 and 390 px:
# the page is exactly as wide as the window (no horizontal overflow).
# Screenshots are left in $PLEDGED_SCREENSHOTS when that is set.
. "$PLEDGED_SOURCE_DIR/tests/integration/imaplib.bash"
plan 52
write_conf
cat >>"$t/p.conf" <<CONF
[report]
html = $t/www/org.html
public_html = $t/www/index.html
CONF
mkdir "$t/www"
ctl() { "$PLEDGECTL" --config "$t/p.conf" "$@"; }
once() { "$PLEDGED" --config "$t/p.conf" --once 2>>"$t/log"; }
inode() { stat -c %i "$1"; }
jget() { sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[0-9a-z]*\).*/\1/p"; }

for i in 1 2 3 4 5; do
	printf 'From: Singer%d Long-Name <singer%d.with.a.rather.long.address@artists.example>\r\nDate: %s\r\nSubject: I pledge\r\nMessage-ID: <p%d@x>\r\n\r\nCount me in, singer %d.\r\n' \
	    "$i" "$i" "$(date -u -R -d "-$((i * 9)) days")" "$i" "$i" >"$t/p$i.eml"
done
deliver "$t"/p*.eml

rc=0; once || rc=$?
check "first pass: exit 0" test "$rc" = 0
check "first pass: organizers' page written" test -s "$t/www/org.html"
check "first pass: public page written" test -s "$t/www/index.html"
check "organizers' page mode 0640" test "$(stat -c %a "$t/www/org.html")" = 640
check "public page mode 0644" test "$(stat -c %a "$t/www/index.html")" = 644
check "no temporary file left" test "$(ls "$t/www" | wc -l)" = 2
check "page: five pledged" grep -q '<div class="num">5</div><div class="label">pledged</div>' "$t/www/index.html"
check "page: not stale" sh -c "! grep -q 'feed is stale' '$t/www/index.html'"
check "page: says how often it is rewritten" grep -q 'rewritten at least every 30 minutes' "$t/www/index.html"
js=$(ctl status --json)
check "status --json: last read set" test "$(jget last_read <<<"$js")" != null
check "status --json: nothing failed" test "$(jget failed_since <<<"$js")" = 0
check "status --json: nothing waiting" test "$(jget waiting <<<"$js")" = 0
check "status --json: schema version" test "$(jget schema_version <<<"$js")" = "$(sql 'PRAGMA user_version')"
check "status --json: not stale" test "$(jget stale <<<"$js")" = false
check "pass recorded with its counts" test "$(sql "SELECT kind, exit_code, pledges FROM pass ORDER BY id DESC LIMIT 1")" = "once|0|5"
# A page older than that is rewritten even without news (kept fresh).
touch -d '-31 minutes' "$t/www/index.html"
i_old=$(inode "$t/www/index.html")
rc=0; once || rc=$?
check "an old page is refreshed" test "$(inode "$t/www/index.html")" != "$i_old"

# A pass with no news leaves both files alone.
i_org=$(inode "$t/www/org.html") i_pub=$(inode "$t/www/index.html")
rc=0; once || rc=$?
check "quiet pass: exit 0" test "$rc" = 0
check "quiet pass: organizers' page not rewritten" test "$(inode "$t/www/org.html")" = "$i_org"
check "quiet pass: public page not rewritten" test "$(inode "$t/www/index.html")" = "$i_pub"

# News: both rewritten.
tok=$("$PLEDGECTL" --config "$t/p.conf" issue --phase 1 --to singer1.with.a.rather.long.address@artists.example 2>/dev/null)
printf 'From: singer1.with.a.rather.long.address@artists.example\r\nSubject: Re: confirm\r\nMessage-ID: <c1@x>\r\n\r\nI am not sure yet, can we talk?\r\n\r\n> %s\r\n' "$tok" >"$t/c1.eml"
deliver "$t/c1.eml"
rc=0; once || rc=$?
check "news: organizers' page rewritten" test "$(inode "$t/www/org.html")" != "$i_org"
check "news: public page rewritten" test "$(inode "$t/www/index.html")" != "$i_pub"
check "organizers' page: the held reply's words" grep -q "can we talk?" "$t/www/org.html"

# An organizer's decision changes the ledger without mail: the next pass
# rewrites the pages all the same.
i_org=$(inode "$t/www/org.html") i_pub=$(inode "$t/www/index.html")
ctl review --approve "$(sql "SELECT id FROM audit WHERE outcome = 'review'")" >/dev/null
rc=0; once || rc=$?
check "after an approval: public page rewritten" test "$(inode "$t/www/index.html")" != "$i_pub"
check "after an approval: it counts the confirmation" grep -q '<div class="num">1</div><div class="label">confirmed, phase one</div>' "$t/www/index.html"
i_pub=$(inode "$t/www/index.html")
rc=0; once || rc=$?
check "and the pass after that leaves it alone" test "$(inode "$t/www/index.html")" = "$i_pub"

# The feed breaks: status and the pages say so.
sh "$PLEDGED_SOURCE_DIR/contrib/testenv/dovecot.sh" stop "$t/dc"
rc=0; once || rc=$?
check "dovecot stopped: exit 69 (got $rc)" test "$rc" = 69
js=$(ctl status --json)
check "status after a failure: one failed" test "$(jget failed_since <<<"$js")" = 1
check "status after a failure: the error in words" grep -q '"last_error":"[^"]*imap' <<<"$js"
check "status after a failure: its exit code" test "$(jget last_error_exit <<<"$js")" = 69
check "status after a failure: stale" test "$(jget stale <<<"$js")" = true
out=$(ctl status)
check "status text: STALE" grep -q "^feed  *STALE" <<<"$out"
check "status text: the last error" grep -q "^last error .*exit 69" <<<"$out"
check "page warns of the stale feed" grep -q 'feed is stale' "$t/www/index.html"
check "organizers' page names the error" grep -q 'Last error' "$t/www/org.html"
check "public page does not" sh -c "! grep -q 'Last error' '$t/www/index.html'"
rc=0; once || rc=$?
check "status: two failed" test "$(ctl status --json | jget failed_since)" = 2

dc_start_again
rc=0; once || rc=$?
check "dovecot back: exit 0" test "$rc" = 0
js=$(ctl status --json)
check "status after recovery: none failed" test "$(jget failed_since <<<"$js")" = 0
check "status after recovery: not stale" test "$(jget stale <<<"$js")" = false
check "status after recovery: last error kept" grep -q '"last_error":"[^"]*imap' <<<"$js"
check "page: the warning is gone" sh -c "! grep -q 'feed is stale' '$t/www/index.html'"

# The daemon keeps the page current too: a pledge arrives, the page shows
# it (waiting for the page, not for a time).
"$PLEDGED" --config "$t/p.conf" 2>>"$t/log" &
daemon_pid=$!
printf 'From: Zoltan Latecomer <latecomer@artists.example>\r\nSubject: I pledge\r\nMessage-ID: <late@x>\r\n\r\nIn.\r\n' >"$t/late.eml"
deliver "$t/late.eml"
wait_for 30 grep -q '<div class="num">6</div><div class="label">pledged</div>' "$t/www/index.html" || :
check "daemon: the page shows the new pledge" grep -q '<div class="num">6</div><div class="label">pledged</div>' "$t/www/index.html"
check "daemon: its pass recorded" test "$(sql "SELECT count(*) FROM pass WHERE kind = 'daemon' AND exit_code = 0 AND pledges = 1")" = 1
kill "$daemon_pid"
wait "$daemon_pid" || :
daemon_pid=

# The public page names nobody.
leak=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -qiF -- "$s" "$t/www/index.html"; then
		echo "public page shows: $s" >&2
		leak=1
	fi
done < <(sql "SELECT address FROM artist UNION SELECT display_name FROM artist UNION SELECT from_addr FROM audit UNION SELECT from_name FROM audit UNION SELECT own_text FROM audit UNION SELECT subject FROM audit")
check "public page: no address, name or text from the store" test "$leak" = 0

# In a browser, at a desktop's and a phone's width.
chrome=$(command -v chromium || command -v chromium-browser || :)
if [ -z "$chrome" ]; then
	echo "chromium not installed: browser checks skipped"
	finish
	exit 77
fi
shots=${PLEDGED_SCREENSHOTS:-$t/shots}
mkdir -p "$shots"
browse() { # WINDOW-WIDTH FILE [chromium options...]
	local w=$1 f=$2
	shift 2
	timeout 60 "$chrome" --headless=new --no-sandbox --disable-gpu \
	    --hide-scrollbars --no-first-run --user-data-dir="$t/chrome" \
	    --window-size="$w,2400" "$@" "file://$f" 2>/dev/null
}
# Headless Chromium will not make a window narrower than 500 px, so the
# page is shown in a frame of the width wanted (srcdoc: same origin, the
# frame is the page's viewport), which measures the page once loaded.
# The page itself carries no script.
frame() { # WIDTH PAGE OUT
	{
		printf '<!DOCTYPE html><html><body style="margin:0">'
		printf '<iframe style="border:0;display:block;width:%spx;height:2400px" onload="document.body.setAttribute(%s, this.contentDocument.documentElement.scrollWidth + %s + this.contentWindow.innerWidth)" srcdoc="' \
		    "$1" "'data-w'" "'/'"
		sed -e 's/&/\&amp;/g' -e 's/"/\&quot;/g' "$2"
		printf '"></iframe></body></html>\n'
	} >"$3"
}
for page in index org; do
	for w in 1200 390; do
		win=$((w < 500 ? 500 : w))
		frame "$w" "$t/www/$page.html" "$t/frame-$page-$w.html"
		got=$(browse "$win" "$t/frame-$page-$w.html" --dump-dom | grep -o 'data-w="[0-9]*/[0-9]*"' | tr -dc '0-9/')
		check "$page at $w px: page width = viewport width ($got)" test "$got" = "$w/$w"
		browse "$win" "$t/frame-$page-$w.html" --screenshot="$shots/$page-$w.png" >/dev/null || :
		check "$page at $w px: screenshot" test -s "$shots/$page-$w.png"
	done
done
finish
