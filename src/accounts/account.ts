import type { AttributeValue, Profile } from './profile.js';

export type AccountStatus = 'active' | 'disabled';

/** A recovery code as stored: a keyed hash, never the code itself. */
export interface StoredRecoveryCode {
  readonly hash: string;
  readonly usedAt: Date | null;
}

/**
 * A passkey (WebAuthn credential) registered as a second factor. Its public key is not secret;
 * the signature counter only grows for authenticators that keep one (synced passkeys send 0).
 */
export interface StoredPasskey {
  /** The credential ID, base64url, as the authenticator returns it. */
  readonly id: string;
  /** The COSE public key, base64url. */
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  /** The owner's name for it ("Laptop", "Blue key"). */
  readonly name: string;
  /** Backup eligible: copied between devices by its platform, not bound to one piece of hardware. */
  readonly synced: boolean;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

/** A user account as the rest of Latchkey sees it. */
export interface Account {
  /** The OpenID `sub`: random, opaque and stable; not the email, not a Mongo ObjectId. */
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly name: string | null;
  readonly status: AccountStatus;
  /** OpenID standard claims beyond email and name. */
  readonly profile: Profile;
  /** Operator-declared attributes (config customClaims), each released under its scope. */
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly passwordHash: string;
  /** AES-256-GCM ciphertext of the base32 TOTP secret, or null until the user enrols. */
  readonly totpSecretEncrypted: string | null;
  readonly totpEnrolledAt: Date | null;
  readonly recoveryCodes: readonly StoredRecoveryCode[];
  /** Second factors beside TOTP, which an account only has once TOTP is enrolled. */
  readonly passkeys: readonly StoredPasskey[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewAccount {
  readonly email: string;
  readonly name: string | null;
  readonly passwordHash: string;
  readonly emailVerified?: boolean;
  readonly profile?: Profile;
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
  readonly totpSecretEncrypted?: string | null;
  readonly recoveryCodes?: readonly StoredRecoveryCode[];
}

export type AccountPatch = Partial<Pick<Account,
  'name' | 'status' | 'profile' | 'attributes' | 'passwordHash' | 'totpSecretEncrypted' | 'totpEnrolledAt' | 'recoveryCodes' | 'passkeys' | 'emailVerified'>>;
