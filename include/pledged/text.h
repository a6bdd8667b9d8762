/*
 * text: pure functions over UTF-8 text that the classifier needs to read a
 * reply: HTML to plain text, the writer's own text apart from the quote,
 * token candidates (also hard-wrapped or inside rewritten links), subject
 * prefixes and references, keywords and questions, and automatic-mail
 * subjects.
 *
 * Inputs are already transfer-decoded and converted to UTF-8 by the caller
 * (the message module); each comes with an explicit length and may contain
 * anything, NUL bytes and invalid UTF-8 included.  Nothing here does I/O or
 * keeps state between calls.
 *
 * Memory: every char * returned is a new NUL-terminated heap string that
 * the caller frees with free(); structs are released with their _free
 * function, which is a no-op on a zeroed struct and may be called twice.
 * On memory exhaustion a function logs "text: ..." once and returns NULL
 * (or, for the struct fillers, leaves fewer results); it never aborts.
 */
#ifndef PLEDGED_TEXT_H
#define PLEDGED_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Limits of text_find_tokens. */
#define TEXT_TOKENS_MAX 64
#define TEXT_TOKEN_LEN_MAX 8192
/* How many following lines a hard-wrapped token may continue onto. */
#define TEXT_TOKEN_WRAP_LINES 12

/*
 * HTML to plain text.  Tags are dropped; the content of <script>, <style>,
 * <head>, <title> and comments is dropped; block elements (<br>, <p>,
 * <div>, <tr>, <li>, headings, <hr>, ...) become line breaks and runs of
 * white space collapse as a browser would (not inside <pre>).  Character
 * references are decoded (common named ones, &#NN; and &#xNN;; an invalid
 * number gives U+FFFD; an unknown name stays as written).  The value of an
 * href or src attribute follows the element's text as " <URL>" (mailto:,
 * cid:, data: and tel: values are left out), so tokens in links are found.
 *
 * Quotes are rendered with "> " line prefixes (">> " when nested), so that
 * text_split_reply sees them as quoted: <blockquote>, div.gmail_quote,
 * div.yahoo_quoted, protonmail_quote, and, together with everything after
 * them to the end of the document, Outlook's #divRplyFwdMsg and
 * #appendonsend, Outlook for Mac's #OLK_SRC_BODY_SECTION, Word's
 * separator div ("border-top:solid ...; padding:3.0pt 0 ..."), Hotmail's
 * hr#stopSpelling and Zimbra's hr#zwchr.  Quotes no client marks (a bare
 * <hr> before "From: ... Sent: ...") are left to text_split_reply.
 *
 * Bounded: the result is at most 2 * len + 64 bytes (pathological input is
 * cut there); element nesting is tracked up to a fixed depth.  Returns a
 * new string, or NULL on memory exhaustion.
 */
char *text_from_html(const char *html, size_t len);

/*
 * Split a reply into the writer's own text and the rest.
 *
 * Own text is every line that is not quoted ('>' at the start, after at
 * most three spaces, any depth) and that comes before the first of:
 *  - an attribution ("On ... wrote:", "Le ... a écrit :", "Am ... schrieb
 *    ...:", "El ... escribió:", "Il ... ha scritto:", "Op ... schreef ...:",
 *    "... kirjoitti:", "... skrev ...:", "在 ... 写道：", "Em ... escreveu:",
 *    "W dniu ... pisze:", "Dnia ... napisał(a):", "... написал(а):", and
 *    "<date>, Name <addr@host>:"), possibly wrapped over up to three lines,
 *    that is NOT followed by a '>' quote block;
 *  - "---- On ... wrote ----" (Zoho);
 *  - an original-message or forward separator ("-----Original Message-----",
 *    "-----Ursprüngliche Nachricht-----", "-------- Message d'origine
 *    --------", "---------- Forwarded message ---------", "Begin forwarded
 *    message:" and kin);
 *  - a header block: a From-like line ("From:", "*From:*", "De :", "Von:",
 *    "Da:", "Van:", "Från:", ...) or Date/Sent line with at least two more
 *    header lines (Sent/To/Subject/Date/Cc and their translations) within
 *    the next seven lines; a separator line of '_' or '-' just above it
 *    goes with it;
 *  - the signature delimiter "-- " (also "--" with the space lost), which
 *    also cuts list and notification footers written below a signature.
 * An attribution that IS followed by a quote block heads that quote: it is
 * left out of the own text, and unquoted lines after the quote (inline or
 * bottom-posted answers) are own text again.  A quote block is '>' lines,
 * or (POSIX mailx, bsd-mailx, s-nail) lines indented with a TAB or spaces
 * up to a blank line; a quoted line folded with a trailing '\' (s-nail's
 * quote-fold) takes the next line into the quote.  "Sent from my iPhone" and
 * similar lines stay in the own text; they are harmless.  A "To
 * unsubscribe ..." footer is not special: in replies it sits inside the
 * quote or below a signature, and list mail is recognised by its headers.
 *
 * out->own gets the own lines joined with "\n" (leading and trailing blank
 * lines removed), out->quoted every other line, verbatim.  Both are new
 * strings (possibly empty), or both NULL on memory exhaustion.  Release
 * with text_split_free.
 */
struct text_split {
	char *own;
	char *quoted;
};
void text_split_reply(const char *text, size_t len, struct text_split *out);
/* Free both strings and zero *s; NULL and a zeroed struct are no-ops. */
void text_split_free(struct text_split *s);

/*
 * Token candidates: every substring that may be a PASETO v4.public token,
 * "v4.public." + base64url [A-Za-z0-9_-]+, optionally "." + base64url
 * footer.  Mangled tokens are reassembled, never altered:
 *  - a token that runs to the end of a line may have been hard-wrapped:
 *    the leading base64url run of each of the next lines (after stripping
 *    any "> " quote prefix) is joined on, up to TEXT_TOKEN_WRAP_LINES lines
 *    and until a run stops before its line ends; one candidate for each
 *    number of joined lines, longest first;
 *  - percent-encoded text (link-protection services such as Outlook
 *    SafeLinks put the original URL in a parameter) is decoded, twice at
 *    most, and searched again; Proofpoint v2 "u=" parameters ("-3A-2F",
 *    '_' for '/') likewise; a candidate ending in "__" just before ';'
 *    (urldefense v3 "__URL__;") is also given without the "__".
 * A "=" or "3D" left over from a bad quoted-printable decoding is not
 * repaired.  Most candidates are not tokens (a wrapped one gives several);
 * the caller keeps those that verify.
 *
 * Appends to out (so it may be called over several texts), skipping
 * candidates already present; at most TEXT_TOKENS_MAX items, each at most
 * TEXT_TOKEN_LEN_MAX bytes (longer runs are not candidates).  Start with a
 * zeroed struct; release with text_tokens_free.  The items are new strings
 * owned by out.
 */
struct text_tokens {
	char **items;
	size_t n;
};
void text_find_tokens(const char *text, size_t len, struct text_tokens *out);
/* Free the items and zero *t; NULL and a zeroed struct are no-ops. */
void text_tokens_free(struct text_tokens *t);

/*
 * Skip leading reply, forward and external-sender markers, repeated and in
 * any order: Re:, RE:, Re[2]:, Re(2):, AW:, SV:, VS:, Fwd:, FW:, WG:, TR:,
 * RIF:, R:, Antw:, Odp:, Ynt:, 回复:, [EXTERNAL], [External], [EXT],
 * *EXTERNAL*, EXTERNAL: (case-insensitive, with a space allowed before the
 * colon and a full-width colon accepted), and surrounding white space.
 * '*len' is the length of 'subject' on entry and of the rest on return;
 * the result points into 'subject' (borrowed).
 */
const char *text_subject_strip(const char *subject, size_t *len);

/*
 * Find the first "[ref:<jti>]" ("ref" in any case, white space allowed
 * around the jti) whose jti is 8 to 64 characters of [A-Za-z0-9_-]; copy
 * the jti, as written, NUL-terminated into 'jti'.  Returns whether one was
 * found ('jti' is then set, else left as an empty string).
 */
bool text_find_ref(const char *subject, size_t len, char jti[65]);

/*
 * Whether any of the n keywords occurs in text as a whole word (or phrase:
 * a space in a keyword matches any run of white space).  Case-insensitive
 * for ASCII and the Latin-1 range (À..Þ fold to à..þ).  A word is a run of
 * letters and digits; any non-ASCII character is a letter except Latin-1
 * and general punctuation (¡ ¿ « » “ ” – …, no-break space), so "know" is
 * not "no" while "No.", "NO!" and "¡No!" are.  Occurrences inside a URL or
 * an email address (a white-space-delimited chunk containing "://", "@",
 * or starting "www.") do not count.  Empty keywords are ignored.
 */
bool text_has_keyword(
    const char *text, size_t len, char *const *keywords, size_t n);

/*
 * Whether the text asks a question: a '?' (or full-width '？') that ends a
 * sentence with at least one letter or digit before it on its line, and is
 * followed, after any of ?!)"'» and closing quotes, by the end of the text
 * or white space.  A '?' inside a URL does not count.
 */
bool text_is_question(const char *text, size_t len);

/*
 * Automatic-mail subjects, matched at the start of the subject (after white
 * space and external-sender tags, but not after Re:/Fwd:), case-insensitive,
 * and followed by a word boundary, so "Re: absence of evidence" and
 * "Absence of evidence" are not auto-replies while "Absence: ..." is.
 * Vacation and auto-reply subjects in common languages ("Out of Office",
 * "Automatic reply", "Auto:", "Autoreply", "Réponse automatique",
 * "Abwesenheitsnotiz", "Respuesta automática", "Risposta automatica",
 * "Resposta automática", "Afwezig", "自動応答", ...), and bounces
 * ("Undeliverable", "Undelivered Mail Returned to Sender", "Delivery Status
 * Notification", "Mail delivery failed", "Returned mail", "failure notice",
 * "Delivery Failure", "Mail System Error", "Nondeliverable",
 * "Unzustellbar", "Non remis", ...).
 */
bool text_is_autoreply_subject(const char *subject, size_t len);
bool text_is_bounce_subject(const char *subject, size_t len);

#endif
