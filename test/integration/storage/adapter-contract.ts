import { randomUUID } from 'node:crypto';
import type { AdapterFactory, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { AccountSessions } from '../../../src/storage/account-sessions.js';
import { DURABLE_MODELS } from '../../../src/storage/model-names.js';
import { readProviderModels } from '../../support/provider-models.js';

export interface AdapterUnderTest {
  readonly factory: AdapterFactory;
  /** Ends an account's sessions and grants over the same storage. */
  readonly accountSessions?: AccountSessions;
  teardown(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const models = readProviderModels();

function id(): string {
  return randomUUID();
}

/** What every store for the provider's expiring models must do, whatever it is backed by. */
export function describeEphemeralAdapterContract(name: string, setup: () => Promise<AdapterUnderTest>): void {
  describe(`${name}: expiring provider models`, () => {
    let subject: AdapterUnderTest;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject.teardown();
    });

    it('returns what was upserted, and nothing for an unknown id', async () => {
      const adapter = subject.factory('AccessToken');
      const jti = id();
      const payload: AdapterPayload = { jti, kind: 'AccessToken', clientId: 'c1', accountId: 'a1', scope: 'openid', iat: 1, exp: 2 };
      await adapter.upsert(jti, payload, 60);
      expect(await adapter.find(jti)).toEqual(payload);
      expect(await adapter.find(id())).toBeUndefined();
    });

    it('replaces the whole payload on a second upsert', async () => {
      const adapter = subject.factory('Session');
      const sid = id();
      await adapter.upsert(sid, { jti: sid, uid: 'u1', accountId: 'first' }, 60);
      await adapter.upsert(sid, { jti: sid, uid: 'u1', loginTs: 5 }, 60);
      expect(await adapter.find(sid)).toEqual({ jti: sid, uid: 'u1', loginTs: 5 });
    });

    it('forgets an artifact once its lifetime has passed', async () => {
      const adapter = subject.factory('AuthorizationCode');
      const code = id();
      await adapter.upsert(code, { jti: code, grantId: id() }, 1);
      expect(await adapter.find(code)).toBeDefined();
      await sleep(1150);
      expect(await adapter.find(code)).toBeUndefined();
    });

    it('finds a session by its uid, and no longer after destroy', async () => {
      const adapter = subject.factory('Session');
      const sid = id();
      const uid = id();
      await adapter.upsert(sid, { jti: sid, uid, accountId: 'acct' }, 60);
      expect(await adapter.findByUid(uid)).toMatchObject({ jti: sid, accountId: 'acct' });
      await adapter.destroy(sid);
      expect(await adapter.find(sid)).toBeUndefined();
      expect(await adapter.findByUid(uid)).toBeUndefined();
    });

    it('finds a device code by its user code', async () => {
      const adapter = subject.factory('DeviceCode');
      const code = id();
      const userCode = `UC-${id().slice(0, 8)}`;
      await adapter.upsert(code, { jti: code, userCode, grantId: id() }, 60);
      expect(await adapter.findByUserCode(userCode)).toMatchObject({ jti: code });
      expect(await adapter.findByUserCode('nope')).toBeUndefined();
    });

    it('marks an artifact consumed, and refuses a second consumption as invalid_grant', async () => {
      const adapter = subject.factory('AuthorizationCode');
      const code = id();
      await adapter.upsert(code, { jti: code, grantId: id() }, 60);
      await adapter.consume(code);
      const consumed = await adapter.find(code);
      expect(typeof consumed?.consumed).toBe('number');
      await expect(adapter.consume(code)).rejects.toBeInstanceOf(errors.InvalidGrant);
    });

    it('refuses to consume an artifact that does not exist', async () => {
      await expect(subject.factory('AuthorizationCode').consume(id())).rejects.toBeInstanceOf(errors.InvalidGrant);
    });

    // The model lists come from the installed oidc-provider, not from ours: a model the library
    // persists or consumes and this adapter cannot handle fails here.
    it.each(models.persisted.filter((model) => !DURABLE_MODELS.has(model)))('stores, finds and destroys a %s', async (model) => {
      const adapter = subject.factory(model);
      const jti = id();
      const payload: AdapterPayload = { jti, kind: model, grantId: id(), iat: 1, exp: 2 };
      await adapter.upsert(jti, payload, 60);
      expect(await adapter.find(jti)).toEqual(payload);
      await adapter.destroy(jti);
      expect(await adapter.find(jti)).toBeUndefined();
    });

    it.each(models.consumable)('lets exactly one of many concurrent consumptions of a %s win, and refuses the rest as OAuth errors', async (model) => {
      const adapter = subject.factory(model);
      const jti = id();
      // No grantId: a replay would revoke the grant, taking the artifact with it (tested below).
      await adapter.upsert(jti, { jti, kind: model }, 60);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => adapter.consume(jti)));
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const expected = model === 'PushedAuthorizationRequest' ? 'invalid_request_uri' : 'invalid_grant';
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ error: expected, statusCode: 400 });
      }
      expect(typeof (await adapter.find(jti))?.consumed).toBe('number');
    });

    it.each(models.grantBound)('revokes a %s together with its grant', async (model) => {
      const grantId = id();
      const jti = id();
      await subject.factory(model).upsert(jti, { jti, kind: model, grantId }, 60);
      await subject.factory('AccessToken').revokeByGrantId(grantId);
      expect(await subject.factory(model).find(jti)).toBeUndefined();
    });

    it('revokes every artifact of a grant across models, and nothing of other grants', async () => {
      const grantId = id();
      const otherGrant = id();
      const access = id();
      const refresh = id();
      const code = id();
      const device = id();
      const userCode = `UC-${id().slice(0, 8)}`;
      const unrelated = id();
      await subject.factory('AccessToken').upsert(access, { jti: access, grantId }, 60);
      await subject.factory('RefreshToken').upsert(refresh, { jti: refresh, grantId }, 600);
      await subject.factory('AuthorizationCode').upsert(code, { jti: code, grantId }, 60);
      await subject.factory('DeviceCode').upsert(device, { jti: device, grantId, userCode }, 60);
      await subject.factory('AccessToken').upsert(unrelated, { jti: unrelated, grantId: otherGrant }, 60);

      await subject.factory('AccessToken').revokeByGrantId(grantId);

      expect(await subject.factory('AccessToken').find(access)).toBeUndefined();
      expect(await subject.factory('RefreshToken').find(refresh)).toBeUndefined();
      expect(await subject.factory('AuthorizationCode').find(code)).toBeUndefined();
      expect(await subject.factory('DeviceCode').find(device)).toBeUndefined();
      expect(await subject.factory('DeviceCode').findByUserCode(userCode)).toBeUndefined();
      expect(await subject.factory('AccessToken').find(unrelated)).toBeDefined();
    });

    it('refuses an artifact stored for a grant after it was revoked, and keeps nothing of it', async () => {
      const grantId = id();
      await subject.factory('AccessToken').revokeByGrantId(grantId);
      const late = id();
      const userCode = `UC-${id().slice(0, 8)}`;
      await expect(subject.factory('AccessToken').upsert(late, { jti: late, grantId }, 60)).rejects.toBeInstanceOf(errors.InvalidGrant);
      await expect(subject.factory('DeviceCode').upsert(late, { jti: late, grantId, userCode }, 60)).rejects.toBeInstanceOf(errors.InvalidGrant);
      expect(await subject.factory('AccessToken').find(late)).toBeUndefined();
      expect(await subject.factory('DeviceCode').findByUserCode(userCode)).toBeUndefined();
      // Artifacts of other grants are stored as ever.
      const other = id();
      await subject.factory('AccessToken').upsert(other, { jti: other, grantId: id() }, 60);
      expect(await subject.factory('AccessToken').find(other)).toBeDefined();
    });

    it('leaves no token alive when a grant is revoked while tokens for it are being stored', async () => {
      for (let round = 0; round < 5; round += 1) {
        const grantId = id();
        const jtis = Array.from({ length: 24 }, () => id());
        const stores = jtis.map((jti, index) => subject.factory(index % 2 ? 'AccessToken' : 'RefreshToken').upsert(jti, { jti, grantId }, 60).then(() => 'stored', (error: unknown) => (error instanceof errors.InvalidGrant ? 'refused' : 'failed')));
        await sleep(round);
        const revoking = subject.factory('AccessToken').revokeByGrantId(grantId);
        const outcomes = await Promise.all(stores);
        await revoking;
        expect(outcomes.filter((outcome) => outcome === 'failed')).toEqual([]);
        const alive = (await Promise.all(jtis.map(async (jti, index) => subject.factory(index % 2 ? 'AccessToken' : 'RefreshToken').find(jti)))).filter(Boolean);
        expect(alive).toEqual([]);
      }
    });

    it('keeps the grant index as long as its longest-lived member', async () => {
      const grantId = id();
      const shortLived = id();
      const longLived = id();
      await subject.factory('RefreshToken').upsert(longLived, { jti: longLived, grantId }, 600);
      await subject.factory('AccessToken').upsert(shortLived, { jti: shortLived, grantId }, 1);
      await sleep(1150);
      await subject.factory('RefreshToken').revokeByGrantId(grantId);
      expect(await subject.factory('RefreshToken').find(longLived)).toBeUndefined();
    });

    it('ends every session and grant of an account, with the grants\' tokens, and nothing of other accounts', async () => {
      const sessions = subject.accountSessions;
      if (!sessions) throw new Error('this adapter has no account sessions');
      const account = id();
      const [session, grant, access, refresh] = [id(), id(), id(), id()];
      const [otherSession, otherGrant] = [id(), id()];
      await subject.factory('Session').upsert(session, { jti: session, uid: id(), accountId: account }, 600);
      await subject.factory('Grant').upsert(grant, { jti: grant, accountId: account, clientId: 'c1' }, 600);
      await subject.factory('AccessToken').upsert(access, { jti: access, grantId: grant, accountId: account }, 60);
      await subject.factory('RefreshToken').upsert(refresh, { jti: refresh, grantId: grant, accountId: account }, 600);
      await subject.factory('Session').upsert(otherSession, { jti: otherSession, uid: id(), accountId: id() }, 600);
      await subject.factory('Grant').upsert(otherGrant, { jti: otherGrant, accountId: id(), clientId: 'c1' }, 600);

      expect(await sessions.endAll(account)).toEqual({ sessions: 1, grants: 1 });
      for (const [model, jti] of [['Session', session], ['Grant', grant], ['AccessToken', access], ['RefreshToken', refresh]] as const) {
        expect(await subject.factory(model).find(jti)).toBeUndefined();
      }
      expect(await subject.factory('Session').find(otherSession)).toBeDefined();
      expect(await subject.factory('Grant').find(otherGrant)).toBeDefined();
      expect(await sessions.endAll(account)).toEqual({ sessions: 0, grants: 0 });
    });

    it('lists an account\'s sessions and grants, and ends the chosen ones with their tokens, leaving the rest', async () => {
      const sessions = subject.accountSessions;
      if (!sessions) throw new Error('this adapter has no account sessions');
      const account = id();
      const [kept, ended, grant, token] = [id(), id(), id(), id()];
      await subject.factory('Session').upsert(kept, { jti: kept, uid: id(), accountId: account }, 600);
      await subject.factory('Session').upsert(ended, { jti: ended, uid: id(), accountId: account }, 600);
      await subject.factory('Grant').upsert(grant, { jti: grant, accountId: account, clientId: 'c1' }, 600);
      await subject.factory('AccessToken').upsert(token, { jti: token, grantId: grant, accountId: account }, 60);
      expect((await sessions.list(account)).sort()).toEqual([`Grant:${grant}`, `Session:${ended}`, `Session:${kept}`].sort());

      expect(await sessions.end(account, [`Session:${ended}`, `Grant:${grant}`])).toEqual({ sessions: 1, grants: 1 });
      expect(await subject.factory('AccessToken').find(token)).toBeUndefined();
      expect(await subject.factory('Session').find(ended)).toBeUndefined();
      expect(await subject.factory('Session').find(kept)).toBeDefined();
      expect(await sessions.list(account)).toEqual([`Session:${kept}`]);
    });

    it('revokes the grant when a consumed artifact is consumed again (code replay)', async () => {
      const grantId = id();
      const code = id();
      const access = id();
      await subject.factory('AuthorizationCode').upsert(code, { jti: code, grantId }, 60);
      await subject.factory('AccessToken').upsert(access, { jti: access, grantId }, 60);
      await subject.factory('AuthorizationCode').consume(code);
      await expect(subject.factory('AuthorizationCode').consume(code)).rejects.toBeInstanceOf(errors.InvalidGrant);
      expect(await subject.factory('AccessToken').find(access)).toBeUndefined();
    });
  });
}

/** What every store for the durable models (clients, registration tokens) must do. */
export function describeDurableAdapterContract(name: string, setup: () => Promise<AdapterUnderTest>): void {
  describe(`${name}: durable provider models`, () => {
    let subject: AdapterUnderTest;
    beforeAll(async () => {
      subject = await setup();
    });
    afterAll(async () => {
      await subject.teardown();
    });

    it('stores a client without expiry and returns its metadata', async () => {
      const adapter = subject.factory('Client');
      const clientId = `client-${id()}`;
      const metadata: AdapterPayload = {
        client_id: clientId,
        client_secret: 'not-a-real-secret',
        redirect_uris: ['https://app.example.com/cb'],
        grant_types: ['authorization_code', 'refresh_token'],
        jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def' }] },
      };
      await adapter.upsert(clientId, metadata);
      expect(await adapter.find(clientId)).toEqual(metadata);
      await adapter.upsert(clientId, { ...metadata, client_name: 'Renamed' });
      expect(await adapter.find(clientId)).toMatchObject({ client_name: 'Renamed' });
      await adapter.destroy(clientId);
      expect(await adapter.find(clientId)).toBeUndefined();
    });

    it('hides an initial access token once it has expired', async () => {
      const adapter = subject.factory('InitialAccessToken');
      const token = id();
      await adapter.upsert(token, { jti: token, kind: 'InitialAccessToken' }, 1);
      expect(await adapter.find(token)).toMatchObject({ jti: token });
      await sleep(1150);
      expect(await adapter.find(token)).toBeUndefined();
    });

    it('keeps registration access tokens apart from clients with the same id', async () => {
      const shared = id();
      await subject.factory('Client').upsert(shared, { client_id: shared });
      await subject.factory('RegistrationAccessToken').upsert(shared, { jti: shared, clientId: shared });
      expect(await subject.factory('Client').find(shared)).toEqual({ client_id: shared });
      expect(await subject.factory('RegistrationAccessToken').find(shared)).toEqual({ jti: shared, clientId: shared });
    });
  });
}
