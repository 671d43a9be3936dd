/**
 * An unbounded in-memory adapter for the memory ceiling. oidc-provider's own development adapter
 * keeps only the last 1,000 records, so under bench load it drops the session and the codes
 * minted for a redemption run before they are used. Expiry is not enforced: a run is minutes.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

export function createBareMemoryAdapter(): (model: string) => Adapter {
  const records = new Map<string, AdapterPayload>();
  const pointers = new Map<string, string>();
  const grants = new Map<string, string[]>();
  return (model) => {
    const key = (id: string): string => `${model}:${id}`;
    return {
      async upsert(id, payload) {
        records.set(key(id), payload);
        if (payload.grantId) grants.set(payload.grantId, [...(grants.get(payload.grantId) ?? []), key(id)].slice(-1000));
        if (payload.uid) pointers.set(`uid:${payload.uid}`, id);
        if (payload.userCode) pointers.set(`userCode:${payload.userCode}`, id);
      },
      async find(id) {
        return records.get(key(id));
      },
      async findByUid(uid) {
        const id = pointers.get(`uid:${uid}`);
        return id ? records.get(key(id)) : undefined;
      },
      async findByUserCode(userCode) {
        const id = pointers.get(`userCode:${userCode}`);
        return id ? records.get(key(id)) : undefined;
      },
      async consume(id) {
        const record = records.get(key(id));
        if (record) records.set(key(id), { ...record, consumed: Math.floor(Date.now() / 1000) });
      },
      async destroy(id) {
        records.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const stored of grants.get(grantId) ?? []) records.delete(stored);
        grants.delete(grantId);
      },
    };
  };
}
