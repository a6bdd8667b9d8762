#!/bin/sh
# Write a sample campaign mailbox as numbered .eml files into OUTDIR: the
# mix of mail pledged meets (pledges, confirmation replies with real
# tokens from 'pledgectl issue', a refusal, a question, a forged token, an
# auto-reply and a bounce that quote a token, list mail, a withdrawal).
# Used by the demo and by the end-to-end tests.
#
#   sample-mail.sh PLEDGECTL CONFIG OUTDIR
#
# Prints one line per file: NAME EXPECTED-DECISION.
set -eu
ctl=$1 conf=$2 out=$3
mkdir -p "$out"
n=0
msg() { # expected-decision; message text on stdin
	n=$((n + 1))
	name=$(printf '%03d.eml' "$n")
	# Mail on the wire has CRLF line ends.
	sed 's/$/\r/' >"$out/$name"
	echo "$name $1"
}
issue() { "$ctl" --config "$conf" issue --phase "$1" --to "$2" 2>/dev/null; }
date=$(LC_ALL=C date -R)

for a in ada bela chiara dmitri eun; do
	msg pledge <<MSG
From: ${a} <${a}@artists.example>
To: NoMusicForICE <pledges@campaign.example>
Subject: I pledge
Date: $date
Message-ID: <pledge-${a}@artists.example>

I pledge not to perform for the company while its contracts stand.
-- 
${a}
MSG
done

tok=$(issue 2 ada@artists.example)
msg "confirm phase 2" <<MSG
From: ada <ada@artists.example>
To: pledges@campaign.example
Subject: Re: Phase two: please confirm
Date: $date
Message-ID: <confirm-ada@artists.example>
In-Reply-To: <request-ada@campaign.example>

Yes, done. The takedown notice went out this morning.

On Mon, NoMusicForICE <pledges@campaign.example> wrote:
> Reply to confirm; answer NO if you do not want to join.
>
> $tok
MSG

# Outlook-style: the token hard-wrapped at 76 columns in the quote.
tok=$(issue 2 bela@artists.example)
wrapped=$(printf '%s\n' "$tok" | fold -w 76 | sed 's/^/> /')
msg "confirm phase 2" <<MSG
From: bela <bela@artists.example>
To: pledges@campaign.example
Subject: RE: Phase two: please confirm
Date: $date
Message-ID: <confirm-bela@artists.example>

Je confirme.

-----Original Message-----
$wrapped
MSG

tok=$(issue 2 chiara@artists.example)
msg "decline phase 2" <<MSG
From: chiara <chiara@artists.example>
To: pledges@campaign.example
Subject: Re: Phase two: please confirm
Date: $date
Message-ID: <decline-chiara@artists.example>

No, not this time.

> $tok
MSG

tok=$(issue 2 dmitri@artists.example)
msg "review/unclear phase 2" <<MSG
From: dmitri <dmitri@artists.example>
To: pledges@campaign.example
Subject: Re: Phase two: please confirm
Date: $date
Message-ID: <question-dmitri@artists.example>

What happens to my existing bookings?

> $tok
MSG

# A forged token: the signature of a real one with one character changed.
tok=$(issue 2 eun@artists.example)
forged=$(printf '%s' "$tok" | awk -F. '{ s = $3; c = substr(s, 20, 1);
	r = (c == "A") ? "B" : "A"; $3 = substr(s, 1, 19) r substr(s, 21);
	OFS = "."; print $1, $2, $3, $4 }' OFS=.)
msg "reject/bad-signature" <<MSG
From: eun <eun@artists.example>
To: pledges@campaign.example
Subject: Re: Phase two: please confirm
Date: $date
Message-ID: <forged-eun@artists.example>

yes

> $forged
MSG

msg "ignore/auto-reply" <<MSG
From: eun <eun@artists.example>
To: pledges@campaign.example
Subject: Out of Office: Phase two: please confirm
Date: $date
Message-ID: <ooo-eun@artists.example>
Auto-Submitted: auto-replied

I am on tour until the 12th.

> $tok
MSG

msg "ignore/bounce" <<MSG
From: Mail Delivery System <MAILER-DAEMON@mx.campaign.example>
To: pledges@campaign.example
Subject: Undelivered Mail Returned to Sender
Date: $date
Message-ID: <bounce-1@mx.campaign.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

Your message to gone@artists.example could not be delivered.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.campaign.example

Final-Recipient: rfc822; gone@artists.example
Action: failed
Status: 5.1.1

--b--
MSG

msg "ignore/list" <<MSG
From: Musicians Union <news@union.example>
To: pledges@campaign.example
Subject: This week: pledge drives everywhere
Date: $date
Message-ID: <news-1@union.example>
List-Id: <news.union.example>
Precedence: list

Newsletter.
MSG

# A withdrawal answering a request: the quoted token shows that the
# writer reads eun's mail (a bare "withdraw" with a From anyone can type
# would be held for review).
tok=$(issue 1 eun@artists.example)
msg "withdraw" <<MSG
From: eun <eun@artists.example>
To: pledges@campaign.example
Subject: Re: please confirm your pledge
Date: $date
Message-ID: <withdraw-eun@artists.example>

I have to withdraw, sorry.

> $tok
MSG

msg "ignore/other" <<MSG
From: Fan <fan@listeners.example>
To: pledges@campaign.example
Subject: Thank you
Date: $date
Message-ID: <thanks-1@listeners.example>

Thank you all for doing this.
MSG
