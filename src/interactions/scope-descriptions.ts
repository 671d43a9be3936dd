import type { AttributeDeclaration } from '../accounts/profile.js';
import { message, type Message } from '../i18n/message.js';

/** What each scope means, in the words the consent page uses (catalogue keys). */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'scope.openid',
  email: 'scope.email',
  profile: 'scope.profile',
  address: 'scope.address',
  phone: 'scope.phone',
  offline_access: 'scope.offlineAccess',
};

/**
 * A scope an operator declared for custom attributes (config customClaims) is described by what
 * it releases: each attribute's description, else its name. Operators write those descriptions
 * in one language, so they are shown as written.
 */
export function describeScope(scope: string, declared: Readonly<Record<string, AttributeDeclaration>> = {}): Message {
  const standard = DESCRIPTIONS[scope];
  if (standard) return message(standard);
  const released = Object.entries(declared).filter(([, declaration]) => declaration.scope === scope).map(([name, declaration]) => declaration.description ?? name.replace(/_/g, ' '));
  return released.length > 0 ? message('scope.attributes', { attributes: released.join(', ') }) : message('scope.other', { scope });
}
