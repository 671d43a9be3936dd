/**
 * Key names for provider artifacts in Redis. Every key carries a hash tag ({...}), so that on a
 * Redis Cluster all keys one command or script touches are in one slot: an artifact by its id,
 * a grant's index and revocation marker by the grant id, an account's index by the account id.
 * Operations that touch several of these (storing a token bound to a grant, revoking a grant)
 * are ordered so that they stay safe without a transaction across slots (redis-adapter.ts).
 */
export interface RedisKeys {
  artifact(model: string, id: string): string;
  sessionUid(uid: string): string;
  userCode(userCode: string): string;
  /**
   * A grant's index: its artifacts as `<Model>:<id>` (user codes `userCode:<code>`), short
   * enough (<= 64 bytes) for Redis 7.2+ to keep the set as a compact listpack.
   */
  grant(grantId: string): string;
  /**
   * The index written before that, holding whole keys (66 bytes and more: a hash table). Only
   * read, by revocation and destroy, until the last grant written that way has expired.
   */
  legacyGrant(grantId: string): string;
  /** Set when the grant is revoked: artifacts stored for it afterwards are refused. */
  grantRevoked(grantId: string): string;
  /** The sessions and grants of one account, so that they can all be ended at once. */
  account(accountId: string): string;
}

export function createRedisKeys(prefix: string): RedisKeys {
  return {
    artifact: (model, id) => `${prefix}${model}:{${id}}`,
    sessionUid: (uid) => `${prefix}Session:uid:{${uid}}`,
    userCode: (userCode) => `${prefix}userCode:{${userCode}}`,
    grant: (grantId) => `${prefix}grant:{${grantId}}:members`,
    legacyGrant: (grantId) => `${prefix}grant:{${grantId}}`,
    grantRevoked: (grantId) => `${prefix}grant:{${grantId}}:revoked`,
    account: (accountId) => `${prefix}account:{${accountId}}`,
  };
}
