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
   * A grant's index: a sorted set of its artifacts as `<Model>:<id>` (user codes `userCode:<code>`),
   * each scored with when it expires, so that expired members are dropped as new ones come;
   * members stay within 64 bytes, so that a small index is a compact listpack.
   */
  grant(grantId: string): string;
  /**
   * The indexes written by earlier versions, read by revocation and destroy until the last of them
   * has expired: a set of `<Model>:<id>` that dropped nothing before the whole index expired, and
   * before that a set of whole keys.
   */
  previousGrant(grantId: string): string;
  legacyGrant(grantId: string): string;
  /** Set when the grant is revoked: artifacts stored for it afterwards are refused. */
  grantRevoked(grantId: string): string;
  /**
   * The sessions and grants of one account, so that they can all be ended at once: a sorted set
   * scored like a grant's index, and the set earlier versions wrote.
   */
  account(accountId: string): string;
  previousAccount(accountId: string): string;
}

export function createRedisKeys(prefix: string): RedisKeys {
  return {
    artifact: (model, id) => `${prefix}${model}:{${id}}`,
    sessionUid: (uid) => `${prefix}Session:uid:{${uid}}`,
    userCode: (userCode) => `${prefix}userCode:{${userCode}}`,
    grant: (grantId) => `${prefix}grant:{${grantId}}:index`,
    previousGrant: (grantId) => `${prefix}grant:{${grantId}}:members`,
    legacyGrant: (grantId) => `${prefix}grant:{${grantId}}`,
    grantRevoked: (grantId) => `${prefix}grant:{${grantId}}:revoked`,
    account: (accountId) => `${prefix}account:{${accountId}}:index`,
    previousAccount: (accountId) => `${prefix}account:{${accountId}}`,
  };
}
