// Addresses (connectFrom / connectTo) as deletion jobs match them: a subject's phone number is
// written many ways ("+44 20 7946 0018", "+44-20-7946-0018", "+44 (20) 7946.0018") and an e-mail
// address in any case. The normal form is stored beside the address when an interaction is
// written (and backfilled by migration 0008), so that matching is an index lookup, never a function
// applied to every row.

const PHONE_NOISE = /[\s\-.()]/g;

/**
 * The address's normal form: an e-mail address (anything with an '@') trimmed and lower-cased;
 * anything else (phone numbers, SIP or queue names) without spaces, dashes, dots and parentheses.
 */
export function normalizeAddress(address: string): string {
  const trimmed = address.trim();
  return trimmed.includes('@') ? trimmed.toLowerCase() : trimmed.replace(PHONE_NOISE, '');
}
