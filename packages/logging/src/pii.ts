/**
 * PII masking for log lines: e-mail addresses keep only their domain (`***@example.com`),
 * phone numbers only their last two digits (`***43`).
 *
 * Phone numbers are recognised only in the written forms people use — `+` and a country code
 * with separated groups (`+44 20 7946 0958`, `+1-202-555-0143`, `+33 1 23 45 67 89`) or the
 * North American `(202) 555-0143`, `202-555-0143`, `202.555.0143`, `1-800-555-0199`, or E.164
 * without separators (`+442079460958`) — never a
 * bare run of digits, so statistics (`1,234,567`, `12.4`), years, timestamps, ports, durations,
 * UUIDs, IP addresses, SPIFFE IDs and URL paths are left alone.
 */

// Local part: the usual characters; domain: labels and an alphabetic TLD (so `pino@10.4.0` and
// `@stats-agent/logging` are not addresses).
const EMAIL = /[A-Za-z0-9._%+-]+@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![A-Za-z0-9-])/g;

// Not inside a word, number, path, query or fragment (but right after an escaped newline or tab
// of the JSON line is fine).
const BEFORE = String.raw`(?:(?<=\\[nrt])|(?<![\w.,+\-/=&?#%@]))`;
const AFTER = String.raw`(?![\w\-/@]|[.,]\d)`;
// International: "+", a country code, then 2–6 groups (1–8 digits) separated by a space or a hyphen, an
// optional parenthesised area code; 8–15 digits in all (checked in code).
const INTL = String.raw`\+[1-9]\d{0,2}(?:[ -]?\(\d{1,4}\))?(?:[ -]\d{1,8}){2,6}`;
// North American: optional "1", area code and exchange starting 2–9, line number.
const NANP = String.raw`(?:1[ .-])?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}`;
// E.164 written without separators: `+442079460958`.
const E164 = String.raw`\+[1-9]\d{7,14}`;
const PHONE = new RegExp(`${BEFORE}(?:${INTL}|${E164}|${NANP})${AFTER}`, 'g');

/** Masks an e-mail address to `***@domain`. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '***' : `***${address.slice(at)}`;
}

/** Masks a phone number to `***` and its last two digits. */
export function maskPhone(phone: string): string {
  return `***${phone.replace(/\D/g, '').slice(-2)}`;
}

/** `text` with e-mail addresses and phone numbers masked. */
export function maskPii(text: string): string {
  let out = text;
  if (out.includes('@')) out = out.replace(EMAIL, (m) => maskEmail(m));
  out = out.replace(PHONE, (m) => {
    const digits = m.replace(/\D/g, '').length;
    return digits >= 8 && digits <= 15 ? maskPhone(m) : m;
  });
  return out;
}
