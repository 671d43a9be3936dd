import type { ProfileChange } from '../accounts/account-service.js';
import { PROFILE_FIELDS, type AttributeDeclaration, type PostalAddress } from '../accounts/profile.js';
import { UsageError } from './cli-error.js';

const ADDRESS_FIELDS = ['formatted', 'street_address', 'locality', 'region', 'postal_code', 'country'] as const;

function parseBoolean(field: string, raw: string): boolean {
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new UsageError(`${field} takes true or false; got ${raw}`);
}

function parseAttribute(name: string, declaration: AttributeDeclaration, raw: string): unknown {
  switch (declaration.type) {
    case 'boolean':
      return parseBoolean(name, raw);
    case 'number': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${name} takes a number; got ${raw}`);
      return value;
    }
    case 'string[]':
      return raw.split(',').map((item) => item.trim()).filter(Boolean);
    default:
      return raw;
  }
}

/**
 * One `claim=value` (or `address.part=value`, or a declared attribute) into a profile change;
 * `undefined` as the value clears it. Shared by `users update --set/--unset` and CSV import columns.
 */
export function applyClaim(change: { profile: Record<string, unknown>; attributes: Record<string, unknown> }, field: string, raw: string | null, declared: Readonly<Record<string, AttributeDeclaration>>): void {
  const [head = '', part, ...rest] = field.split('.');
  if (head === 'address' && part !== undefined && rest.length === 0) {
    if (!ADDRESS_FIELDS.some((known) => known === part)) throw new UsageError(`unknown address field ${part}; known: ${ADDRESS_FIELDS.join(', ')}`);
    const current = change.profile.address;
    const address: Record<string, unknown> = typeof current === 'object' && current !== null ? { ...current } : {};
    if (raw === null) delete address[part];
    else address[part] = raw;
    change.profile.address = address;
    return;
  }
  if (PROFILE_FIELDS.some((known) => known === field) && field !== 'address') {
    change.profile[field] = raw === null ? null : field === 'phone_number_verified' ? parseBoolean(field, raw) : raw;
    return;
  }
  const declaration = declared[field];
  if (declaration) {
    change.attributes[field] = raw === null ? null : parseAttribute(field, declaration, raw);
    return;
  }
  const custom = Object.keys(declared);
  throw new UsageError(`unknown claim ${field}; standard: ${PROFILE_FIELDS.join(', ')} (address.<part>)${custom.length > 0 ? `; declared: ${custom.join(', ')}` : ''}`);
}

/** `--set claim=value`... and `--unset claim`... as one profile change. */
export function parseProfileFlags(sets: readonly string[], unsets: readonly string[], declared: Readonly<Record<string, AttributeDeclaration>>, currentAddress?: PostalAddress): ProfileChange {
  const change = { profile: {} as Record<string, unknown>, attributes: {} as Record<string, unknown> };
  // One address part changes that part: the others are kept.
  if ([...sets, ...unsets].some((entry) => entry.startsWith('address.')) && currentAddress) change.profile.address = { ...currentAddress };
  for (const entry of sets) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--set takes claim=value; got ${entry}`);
    applyClaim(change, entry.slice(0, at), entry.slice(at + 1), declared);
  }
  for (const field of unsets) applyClaim(change, field, null, declared);
  const address = change.profile.address;
  if (typeof address === 'object' && address !== null && Object.keys(address).length === 0) change.profile.address = null;
  return {
    ...(Object.keys(change.profile).length > 0 ? { profile: change.profile } : {}),
    ...(Object.keys(change.attributes).length > 0 ? { attributes: change.attributes } : {}),
  };
}
