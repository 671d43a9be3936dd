import { z } from 'zod';

/** OpenID Connect Core 5.1 address claim. */
export interface PostalAddress {
  readonly formatted?: string;
  readonly street_address?: string;
  readonly locality?: string;
  readonly region?: string;
  readonly postal_code?: string;
  readonly country?: string;
}

/**
 * The OpenID Connect standard claims an account holds beyond email and name (Core 5.1), under
 * their claim names so that they pass through to tokens unchanged. `updated_at` is derived.
 */
export interface Profile {
  readonly given_name?: string;
  readonly family_name?: string;
  readonly middle_name?: string;
  readonly nickname?: string;
  readonly preferred_username?: string;
  readonly profile?: string;
  readonly picture?: string;
  readonly website?: string;
  readonly gender?: string;
  readonly birthdate?: string;
  readonly zoneinfo?: string;
  readonly locale?: string;
  readonly phone_number?: string;
  readonly phone_number_verified?: boolean;
  readonly address?: PostalAddress;
}

export const PROFILE_FIELDS = [
  'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website',
  'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address',
] as const satisfies readonly (keyof Profile)[];

/** A custom attribute's value, as the operator declared its type. */
export type AttributeValue = string | number | boolean | readonly string[];
export type AttributeType = 'string' | 'number' | 'boolean' | 'string[]';

const text = (max: number) => z.string().trim().min(1).max(max);

const httpsUrl = text(2000).refine((value) => {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}, 'must be an https URL');

const TIME_ZONES = new Set(Intl.supportedValuesOf('timeZone'));

const zoneinfo = text(64).refine((value) => TIME_ZONES.has(value) || value === 'UTC', 'must be an IANA time zone such as Europe/Paris');

const locale = text(35).refine((value) => {
  try {
    return Intl.getCanonicalLocales(value.replace('_', '-')).length === 1;
  } catch {
    return false;
  }
}, 'must be a BCP 47 language tag such as en-US');

// Core 5.1: YYYY-MM-DD, or YYYY alone, or 0000-MM-DD when the year is withheld.
const birthdate = z.string().trim().refine((value) => {
  if (/^\d{4}$/.test(value)) return true;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const probe = new Date(Date.UTC(year === 0 ? 2000 : year, month - 1, day));
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}, 'must be YYYY-MM-DD, YYYY, or 0000-MM-DD');

// E.164 as Core 5.1 recommends, with an optional extension.
const phoneNumber = z.string().trim().regex(/^\+[1-9]\d{6,14}(;ext=\d{1,10})?$/, 'must be in E.164 form, such as +14155550123');

const addressSchema = z.strictObject({
  formatted: text(500).optional(),
  street_address: text(300).optional(),
  locality: text(100).optional(),
  region: text(100).optional(),
  postal_code: text(20).optional(),
  country: text(100).optional(),
});

/** What an administrator, an import file or the account area may write; null clears a field. */
export const profileInputSchema = z.strictObject({
  given_name: text(100).nullable().optional(),
  family_name: text(100).nullable().optional(),
  middle_name: text(100).nullable().optional(),
  nickname: text(100).nullable().optional(),
  preferred_username: text(100).nullable().optional(),
  profile: httpsUrl.nullable().optional(),
  picture: httpsUrl.nullable().optional(),
  website: httpsUrl.nullable().optional(),
  gender: text(50).nullable().optional(),
  birthdate: birthdate.nullable().optional(),
  zoneinfo: zoneinfo.nullable().optional(),
  locale: locale.nullable().optional(),
  phone_number: phoneNumber.nullable().optional(),
  phone_number_verified: z.boolean().nullable().optional(),
  address: addressSchema.nullable().optional(),
});

export type ProfileInput = z.infer<typeof profileInputSchema>;

/** Applies an input to a stored profile: given fields replace, null removes, absent keeps. */
export function mergeProfile(current: Profile, input: ProfileInput): Profile {
  const next: Record<string, unknown> = { ...current };
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (value === null) delete next[field];
    else next[field] = value;
  }
  if (next.address && Object.keys(next.address).length === 0) delete next.address;
  // A new phone number has not been verified, whatever the old one was.
  if (input.phone_number !== undefined && input.phone_number !== current.phone_number && input.phone_number_verified === undefined) {
    delete next.phone_number_verified;
  }
  return next;
}

/** A custom attribute the operator declared (config `customClaims`). */
export interface AttributeDeclaration {
  readonly type: AttributeType;
  /** The scope under which the claim is released. */
  readonly scope: string;
  readonly description?: string | undefined;
}

export class InvalidProfileError extends Error {
  override readonly name = 'InvalidProfileError';
}

function checkAttribute(name: string, declaration: AttributeDeclaration, value: unknown): AttributeValue {
  const ok = declaration.type === 'string[]'
    ? Array.isArray(value) && value.length <= 100 && value.every((item) => typeof item === 'string' && item.length <= 500)
    : declaration.type === 'string'
      ? typeof value === 'string' && value.length <= 2000
      : declaration.type === 'number'
        ? typeof value === 'number' && Number.isFinite(value)
        : typeof value === 'boolean';
  if (!ok) throw new InvalidProfileError(`attribute ${name} must be a ${declaration.type}`);
  return value as AttributeValue;
}

/**
 * Applies attribute input: only declared attributes are accepted, each of its declared type;
 * null removes one.
 */
export function mergeAttributes(
  current: Readonly<Record<string, AttributeValue>>,
  input: Readonly<Record<string, unknown>>,
  declared: Readonly<Record<string, AttributeDeclaration>>,
): Record<string, AttributeValue> {
  const next: Record<string, AttributeValue> = { ...current };
  for (const [name, value] of Object.entries(input)) {
    const declaration = declared[name];
    if (!declaration) {
      const known = Object.keys(declared);
      throw new InvalidProfileError(`unknown attribute ${name}; declared: ${known.length > 0 ? known.join(', ') : 'none (config customClaims)'}`);
    }
    if (value === null) delete next[name];
    else next[name] = checkAttribute(name, declaration, value);
  }
  return next;
}

/** Reads a profile input, turning zod's report into one line that names the field. */
export function parseProfileInput(raw: unknown): ProfileInput {
  const parsed = profileInputSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new InvalidProfileError(`${issue?.path.join('.') || 'profile'}: ${issue?.message ?? 'invalid'}`);
}
