import type { AttributeDeclaration } from '../accounts/profile.js';

/** What each scope means, in the words the consent page uses. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are (a stable account identifier)',
  email: 'See your email address',
  profile: 'See your name and profile (such as your picture, birthdate, language and time zone)',
  address: 'See your postal address',
  phone: 'See your phone number',
  offline_access: 'Stay connected while you are away (keep access without asking again)',
};

/**
 * A scope an operator declared for custom attributes (config customClaims) is described by what
 * it releases: each attribute's description, else its name.
 */
export function describeScope(scope: string, declared: Readonly<Record<string, AttributeDeclaration>> = {}): string {
  const standard = DESCRIPTIONS[scope];
  if (standard) return standard;
  const released = Object.entries(declared).filter(([, declaration]) => declaration.scope === scope).map(([name, declaration]) => declaration.description ?? name.replace(/_/g, ' '));
  return released.length > 0 ? `See your ${released.join(', ')}` : `Use the "${scope}" permission`;
}
