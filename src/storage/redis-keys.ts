/**
 * Key names for provider artifacts in Redis. The id sits in a hash tag so that on a Redis
 * Cluster every artifact key, and each index key, maps to a slot by the id alone; no command
 * or script in the adapter needs two differently tagged keys in one slot.
 */
export interface RedisKeys {
  artifact(model: string, id: string): string;
  sessionUid(uid: string): string;
  userCode(userCode: string): string;
  grant(grantId: string): string;
  /** The sessions and grants of one account, so that they can all be ended at once. */
  account(accountId: string): string;
}

export function createRedisKeys(prefix: string): RedisKeys {
  return {
    artifact: (model, id) => `${prefix}${model}:{${id}}`,
    sessionUid: (uid) => `${prefix}Session:uid:{${uid}}`,
    userCode: (userCode) => `${prefix}userCode:{${userCode}}`,
    grant: (grantId) => `${prefix}grant:{${grantId}}`,
    account: (accountId) => `${prefix}account:{${accountId}}`,
  };
}
