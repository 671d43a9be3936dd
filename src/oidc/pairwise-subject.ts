import { createHmac } from 'node:crypto';

/**
 * The setting (settings/shared-key.ts) holding the secret behind pairwise subjects, shared by
 * every instance and kept for good: a new one would give every user a new `sub` at every
 * pairwise client.
 */
export const PAIRWISE_KEY_SETTING = 'pairwise-subject-key';

interface SectorAware {
  readonly sectorIdentifier?: string;
  readonly clientId: string;
}

/**
 * OpenID Connect Core 8.1: the same user gets the same `sub` at every client of one sector (the
 * host of its sector_identifier_uri, else of its redirect URIs) and unrelated ones elsewhere;
 * nobody without the key can link them.
 */
export function createPairwiseIdentifier(key: Buffer): (ctx: unknown, accountId: string, client: unknown) => Promise<string> {
  return async (_ctx, accountId, client) => {
    const { sectorIdentifier, clientId } = client as SectorAware;
    return createHmac('sha256', key).update(`${sectorIdentifier ?? clientId}\n${accountId}`).digest('base64url');
  };
}
