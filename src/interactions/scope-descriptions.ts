/** What each scope means, in the words the consent page uses. */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are (a stable account identifier)',
  email: 'See your email address',
  profile: 'See your name and profile (such as your picture, birthdate, language and time zone)',
  address: 'See your postal address',
  phone: 'See your phone number',
  offline_access: 'Stay connected while you are away (keep access without asking again)',
};

export function describeScope(scope: string): string {
  return DESCRIPTIONS[scope] ?? `Use the "${scope}" permission`;
}
