import { InvalidAccountInputError } from './account-errors.js';

// Deliberately simple: one @, something on each side, a dot in the domain, no spaces. Full
// RFC 5322 parsing accepts addresses no mail system delivers to.
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The one spelling of an email address that uniqueness and lookups use. */
export function normaliseEmail(raw: string): string {
  const email = raw.trim().normalize('NFC').toLowerCase();
  if (email.length > 254 || !EMAIL_PATTERN.test(email)) {
    throw new InvalidAccountInputError('Enter a valid email address.');
  }
  return email;
}
