/**
 * `npm run bench -- footprint`: what Latchkey keeps in Redis per signed-in person and per token,
 * measured with MEMORY USAGE (the bytes Redis itself accounts to each key) after real sign-ins
 * through the pages (password, TOTP, consent, code with PKCE, offline_access) and real
 * client_credentials token requests. Writes bench/footprint.md.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

import * as oidc from 'openid-client';

import { connectRedis } from '../src/storage/redis-connection.js';
import { Browser } from '../test/support/browser.js';
import { basicAuthorization, registerClient } from '../test/support/register-client.js';
import { approveConsent, buildAuthorizationRequest, openLogin, redeem, REDIRECT_URI, submitCode, submitPassword, totpCode } from '../test/support/sign-in.js';
import { createCapturingLogger } from '../test/support/test-env.js';
import { startTestServer } from '../test/support/test-server.js';

const PEOPLE = Number(process.env.FOOTPRINT_PEOPLE ?? 50);
const SERVICE_TOKENS = Number(process.env.FOOTPRINT_TOKENS ?? 200);
const ROTATIONS = Number(process.env.FOOTPRINT_ROTATIONS ?? 10);
// Enough for one grant's index to pass Redis's 128-member listpack limit and become a skiplist.
const LONG_ROTATIONS = Number(process.env.FOOTPRINT_LONG_ROTATIONS ?? 100);
const PASSWORD = 'correct horse battery staple';
const RESULTS_FILE = new URL('./footprint.md', import.meta.url);

/** The kind of a key: its model (or index) name between the prefix and the hash tag. */
function kindOf(key: string, prefix: string): string {
  return key.slice(prefix.length).replace(/:?\{.*$/, '').replace(/:$/, '') || key;
}

async function main(): Promise<void> {
  const server = await startTestServer();
  const prefix = server.container.config.redisKeyPrefix;
  const redis = await connectRedis({ url: server.container.config.redisUrl ?? '', cluster: false }, createCapturingLogger().logger);
  try {
    const app = await registerClient(server.container, {
      client_name: 'Footprint', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: [REDIRECT_URI], scope: 'openid email offline_access',
    });
    const config = await oidc.discovery(new URL(server.url), app.clientId, { client_secret: app.clientSecret }, oidc.ClientSecretBasic(app.clientSecret), { execute: [oidc.allowInsecureRequests] });
    const refreshTokens: string[] = [];
    for (let person = 0; person < PEOPLE; person += 1) {
      const email = `footprint-${randomUUID()}@example.com`;
      const { totp } = await server.container.accounts.createAccount({ email, password: PASSWORD, withTotp: true });
      const browser = new Browser(REDIRECT_URI);
      const request = await buildAuthorizationRequest(config, { scope: 'openid email offline_access', prompt: 'consent' });
      const second = await submitPassword(browser, await openLogin(browser, request), email, PASSWORD);
      const consent = await submitCode(browser, second, await totpCode(totp?.secret ?? ''));
      if ('redirectedTo' in consent) throw new Error('expected the consent page');
      const tokens = await redeem(config, await approveConsent(browser, consent), request);
      if (!tokens.refresh_token) throw new Error('no refresh token: offline_access was not granted');
      refreshTokens.push(tokens.refresh_token);
    }
    const measure = async (): Promise<Map<string, { kind: string; bytes: number }>> => {
      const sizes = new Map<string, { kind: string; bytes: number }>();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) sizes.set(key, { kind: kindOf(key, prefix), bytes: Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) });
      } while (cursor !== '0');
      return sizes;
    };
    const summarise = (sizes: Iterable<{ kind: string; bytes: number }>): Map<string, { keys: number; bytes: number }> => {
      const byKind = new Map<string, { keys: number; bytes: number }>();
      for (const { kind, bytes } of sizes) {
        const total = byKind.get(kind) ?? { keys: 0, bytes: 0 };
        byKind.set(kind, { keys: total.keys + 1, bytes: total.bytes + bytes });
      }
      return byKind;
    };
    const afterSignIns = await measure();
    const people = summarise(afterSignIns.values());

    // Each rotation consumes one refresh token and stores its successor and a new access token.
    // The consumed one is kept until it expires, so that its reuse is caught (and the grant
    // revoked); the grant's index keeps a member for each artifact until that artifact expires.
    for (let rotation = 0; rotation < ROTATIONS; rotation += 1) {
      for (const [person, refreshToken] of refreshTokens.entries()) {
        const tokens = await oidc.refreshTokenGrant(config, refreshToken);
        if (!tokens.refresh_token) throw new Error('the refresh token was not rotated');
        refreshTokens[person] = tokens.refresh_token;
      }
    }
    const afterRotations = summarise((await measure()).values());
    const growth = [...afterRotations]
      .map(([kind, { keys, bytes }]) => ({ kind, keys: keys - (people.get(kind)?.keys ?? 0), bytes: bytes - (people.get(kind)?.bytes ?? 0) }))
      .filter(({ kind }) => ['AccessToken', 'RefreshToken', 'grant'].includes(kind));
    const rotations = PEOPLE * ROTATIONS;
    const perRotation = (kinds: readonly string[]): number => growth.filter(({ kind }) => kinds.includes(kind)).reduce((sum, { bytes }) => sum + bytes, 0) / rotations;
    const rotationRows = growth.map(({ kind, keys, bytes }) => `| ${kind} | ${(keys / rotations).toFixed(2)} | ${Math.round(bytes / rotations)} |`);

    // A grant refreshed for days has an index far past 128 members, which Redis keeps as a
    // skiplist, dearer per member than the listpack above: one person refreshes on, and the
    // biggest grant index gives the bytes per member at that size.
    let longToken = refreshTokens[0] ?? '';
    for (let rotation = 0; rotation < LONG_ROTATIONS; rotation += 1) longToken = (await oidc.refreshTokenGrant(config, longToken)).refresh_token ?? '';
    const grantIndexes = [...(await measure())].filter(([, size]) => size.kind === 'grant').sort(([, a], [, b]) => b.bytes - a.bytes);
    const [bigIndexKey, bigIndex] = grantIndexes[0] ?? ['', { bytes: 0 }];
    const bigIndexMembers = await redis.zcard(bigIndexKey);
    const bigIndexEncoding = String(await redis.call('OBJECT', 'ENCODING', bigIndexKey));
    const perMember = bigIndex.bytes / Math.max(1, bigIndexMembers);
    // What stays per rotation: the consumed refresh token, and its member in the grant's index
    // (the access token's member is dropped at the first rotation after the token expires).
    const refreshTokenBytes = perRotation(['RefreshToken']);
    const lasting = refreshTokenBytes + perMember;
    const grantDays = server.container.config.ttl.grantSeconds / 86400;
    // Held when the grant ends: the rotations of its last days, as many as a consumed token outlives.
    const keptDays = Math.min(grantDays, server.container.config.ttl.refreshTokenSeconds / 86400);
    const heldAfter = (everyMinutes: number): number => (lasting * keptDays * 24 * 60) / everyMinutes;

    const service = await registerClient(server.container, { client_name: 'Footprint service', scope: 'openid' });
    for (let token = 0; token < SERVICE_TOKENS; token += 1) {
      const response = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { authorization: basicAuthorization(service.clientId, service.clientSecret), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      if (!response.ok) throw new Error(`token request failed: ${response.status}`);
    }
    const serviceTokens = [...(await measure())].filter(([key, size]) => !afterSignIns.has(key) && size.kind === 'ClientCredentials').map(([, size]) => size.bytes);

    const perPerson = (kinds: readonly string[]): number => kinds.reduce((sum, kind) => sum + (people.get(kind)?.bytes ?? 0), 0) / PEOPLE;
    const session = ['Session', 'Session:uid', 'Grant', 'account', 'grant', 'consent'];
    const rows = [...people].sort(([a], [b]) => a.localeCompare(b)).map(([kind, { keys, bytes }]) => `| ${kind} | ${keys} | ${Math.round(bytes / keys)} | ${Math.round(bytes)} |`);
    const average = (values: readonly number[]): number => Math.round(values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length));
    const report = [
      '# Redis footprint',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- footprint\` on Redis ${String(await redis.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'}: ${PEOPLE} people signed in`,
      'through the pages (password, TOTP, consent, code with PKCE, `offline_access`), each holding the access and refresh token of that',
      'sign-in. Bytes are what Redis accounts to each key (`MEMORY USAGE <key> SAMPLES 0`), its per-key overhead included. Keys',
      'that expire within minutes (interactions, the consumed code, rate-limit windows) are counted while they still exist.',
      '',
      '| key kind | keys | bytes per key | bytes in all |',
      '| --- | ---: | ---: | ---: |',
      ...rows,
      '',
      `- A signed-in person (${session.join(', ')}): **${Math.round(perPerson(session))} bytes**.`,
      `- The same with the tokens of that sign-in (AccessToken, RefreshToken): **${Math.round(perPerson([...session, 'AccessToken', 'RefreshToken']))} bytes**.`,
      `- An opaque client_credentials access token (ClientCredentials, ${serviceTokens.length} issued): **${average(serviceTokens)} bytes**.`,
      '',
      '## Refresh token rotation',
      '',
      `Then each of the ${PEOPLE} people refreshed ${ROTATIONS} times (${rotations} rotations). What Redis holds more afterwards, per rotation:`,
      '',
      '| key kind | keys per rotation | bytes per rotation |',
      '| --- | ---: | ---: |',
      ...rotationRows,
      '',
      `- Each rotation adds **${Math.round(perRotation(['RefreshToken', 'AccessToken', 'grant']))} bytes**. The access token goes when it expires (1 hour by default), and its`,
      "  member of the grant's index is dropped at the first rotation after that. The consumed refresh token and its member stay until",
      `  the token expires (${Math.round(server.container.config.ttl.refreshTokenSeconds / 86400)} days after it was issued, by default), so that its reuse is caught and the grant revoked.`,
      `- One person refreshed ${LONG_ROTATIONS} times more: their grant's index holds ${bigIndexMembers} members as a ${bigIndexEncoding}, ${Math.round(perMember)} bytes per member.`,
      `  So a grant keeps about **${Math.round(lasting)} bytes** per rotation (${Math.round(refreshTokenBytes)} for the refresh token, ${Math.round(perMember)} for its member) for ${Math.round(server.container.config.ttl.refreshTokenSeconds / 86400)} days.`,
      `- Refreshes do not extend the grant: it ends, and its refreshes with it, ${grantDays} days after the person last authorized that client.`,
      `  By then a grant refreshed every hour holds about ${Math.round(heldAfter(60) / 1024)} KB, one refreshed every 5 minutes about ${(heldAfter(5) / 1024 / 1024).toFixed(1)} MB.`,
      '',
    ].join('\n');
    await writeFile(RESULTS_FILE, report);
    process.stdout.write(report);
  } finally {
    await redis.quit();
    await server.stop();
  }
}

await main();
