import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

import type { DataKey } from '../config/app-config.js';

// v2 ciphertexts name their key: `v2.<key id>.<iv>.<ciphertext+tag>`. v1 ones (written before
// keys could rotate) do not, and are tried against every listed key.
const VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends Error {
  constructor(message = 'stored ciphertext cannot be decrypted with DATA_ENCRYPTION_KEY') {
    super(message);
    this.name = 'DecryptionError';
  }
}

/** AES-256-GCM for secrets at rest; `purpose` is bound in as associated data. */
export interface DataCipher {
  /** Encrypts under the first key of DATA_ENCRYPTION_KEY. */
  encrypt(plaintext: string, purpose: string): string;
  decrypt(ciphertext: string, purpose: string): string;
  /** The id of the key a ciphertext was made with; undefined for one made before key ids. */
  keyIdOf(ciphertext: string): string | undefined;
  /** Whether a ciphertext is under the key that encrypts now (else `secrets reencrypt` rewrites it). */
  isCurrent(ciphertext: string): boolean;
  /** The id of the key that encrypts now. */
  readonly currentKeyId: string;
}

function open(key: Buffer, iv: Buffer, body: Buffer, purpose: string): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export function createDataCipher(keys: readonly DataKey[]): DataCipher {
  const [current] = keys;
  if (!current) throw new Error('DATA_ENCRYPTION_KEY lists no key');
  for (const { key } of keys) if (key.length !== 32) throw new Error('DATA_ENCRYPTION_KEY keys must be 32 bytes');
  const byId = new Map(keys.map((entry) => [entry.id, entry.key]));

  function parse(ciphertext: string): { keyId: string | undefined; iv: Buffer; body: Buffer } {
    const parts = ciphertext.split('.');
    const [version] = parts;
    const [keyId, ivText, bodyText] = version === VERSION && parts.length === 4 ? parts.slice(1) : version === LEGACY_VERSION && parts.length === 3 ? [undefined, ...parts.slice(1)] : [];
    if (!ivText || !bodyText) throw new DecryptionError();
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new DecryptionError();
    return { keyId, iv, body };
  }

  return {
    currentKeyId: current.id,
    encrypt(plaintext, purpose) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(purpose, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${current.id}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    decrypt(ciphertext, purpose) {
      const { keyId, iv, body } = parse(ciphertext);
      if (keyId !== undefined) {
        const key = byId.get(keyId);
        if (!key) throw new DecryptionError(`stored ciphertext is under key id "${keyId}", which DATA_ENCRYPTION_KEY does not list`);
        const plaintext = open(key, iv, body, purpose);
        if (plaintext === undefined) throw new DecryptionError();
        return plaintext;
      }
      for (const { key } of keys) {
        const plaintext = open(key, iv, body, purpose);
        if (plaintext !== undefined) return plaintext;
      }
      throw new DecryptionError();
    },
    keyIdOf(ciphertext) {
      return parse(ciphertext).keyId;
    },
    isCurrent(ciphertext) {
      return parse(ciphertext).keyId === current.id;
    },
  };
}
