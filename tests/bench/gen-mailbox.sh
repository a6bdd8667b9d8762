#!/bin/bash
# Generate a campaign mailbox of N messages into OUTDIR, with the mix a
# campaign inbox sees: pledges, confirmation replies carrying real tokens
# (from 'pledgectl issue'), refusals, auto-replies, bounces, list mail,
# other mail; about 10% of all messages carry an attachment of 0.2 to
# 2 MiB (base64), placed before the text as phones do.
#
#   gen-mailbox.sh PLEDGECTL CONFIG OUTDIR N [TOKENS]
#
# TOKENS (default 500) tokens are issued and quoted in replies; issuing is
# the slow part, so larger mailboxes reuse them (later uses are replays).
set -eu
ctl=$1 conf=$2 out=$3 n=$4 ntok=${5:-500}
mkdir -p "$out"
date=$(LC_ALL=C date -R)

toks=()
for ((i = 0; i < ntok; i++)); do
	toks+=("$("$ctl" --config "$conf" issue --phase 2 --to "artist$i@artists.example" 2>/dev/null)")
done

# A pool of attachments, made once (random bytes, base64 at 76 columns).
pool=$(mktemp -d)
trap 'rm -rf "$pool"' EXIT
for ((k = 0; k < 8; k++)); do
	kib=$((200 + k * 260))
	head -c $((kib * 1024)) /dev/urandom | base64 -w 76 | sed 's/$/\r/' >"$pool/$k"
done

for ((i = 1; i <= n; i++)); do
	f=$(printf '%s/%07d.eml' "$out" "$i")
	a=$((i % ntok))
	kind=$((i % 10))
	attach=$((i % 10 == 3))
	{
		printf 'From: Artist %d <artist%d@artists.example>\r\n' "$a" "$a"
		printf 'To: pledges@campaign.example\r\nDate: %s\r\n' "$date"
		printf 'Message-ID: <m%d.%d@artists.example>\r\nMIME-Version: 1.0\r\n' "$i" "$RANDOM"
		case $kind in
		0 | 1 | 2) subj="I pledge" body="I pledge not to play for them." ;;
		3 | 4 | 5) subj="Re: Phase two" body=$(printf 'Yes, done.\r\n\r\nOn Mon, NoMusicForICE wrote:\r\n> %s' "${toks[$a]}") ;;
		6) subj="Re: Phase two" body=$(printf 'No.\r\n\r\n> %s' "${toks[$a]}") ;;
		7) subj="Out of Office: Phase two" body="Away." ; printf 'Auto-Submitted: auto-replied\r\n' ;;
		8) subj="News" body="Newsletter." ; printf 'List-Id: <news.example>\r\n' ;;
		*) subj="Hello" body="Thank you for organising this." ;;
		esac
		printf 'Subject: %s\r\n' "$subj"
		if [ "$attach" = 1 ]; then
			printf 'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n' "$i"
			printf -- '--b%d\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="photo.jpg"\r\n\r\n' "$i"
			cat "$pool/$((i % 8))"
			printf -- '--b%d\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--b%d--\r\n' "$i" "$body" "$i"
		else
			printf 'Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' "$body"
		fi
	} >"$f"
done
