/**
 * A resource server that trusts Latchkey: JWT access tokens are checked offline against the
 * JWKS (issuer, audience, expiry, typ at+jwt), opaque ones through introspection with the
 * resource server's own client credentials. A token bound to a DPoP key (cnf.jkt) is accepted
 * only with `Authorization: DPoP` and a fresh proof signed by that key (RFC 9449 section 7).
 * Run it with:
 *
 *   ISSUER=https://id.example.com AUDIENCE=https://api.example.com \
 *   INTROSPECTION_CLIENT_ID=... INTROSPECTION_CLIENT_SECRET=... \
 *   npx tsx examples/resource-server/resource-server.ts
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import Koa from 'koa';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, jwtVerify } from 'jose';

export interface ResourceServerOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly introspection?: { readonly clientId: string; readonly clientSecret: string };
}

interface Principal {
  readonly sub: string | undefined;
  readonly clientId: string | undefined;
  readonly scope: string;
  /** The thumbprint of the DPoP key the token is bound to, if it is. */
  readonly jkt: string | undefined;
}

const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519'];
// How old a proof may be, and so how long its jti is remembered against replay.
const DPOP_PROOF_SECONDS = 60;

class TokenRefused extends Error {}

/**
 * The jti of every proof accepted in the last minute. One process only: a fleet of resource
 * servers shares this set (Redis SET NX with a TTL) or requires nonces of its own.
 */
function createReplayGuard(): (jti: string) => boolean {
  const seen = new Map<string, number>();
  return (jti) => {
    const now = Date.now();
    for (const [key, until] of seen) if (until < now) seen.delete(key);
    if (seen.has(jti)) return false;
    seen.set(jti, now + DPOP_PROOF_SECONDS * 1000);
    return true;
  };
}

export function createResourceServer(options: ResourceServerOptions): Koa {
  const discovery = fetch(`${options.issuer}/.well-known/openid-configuration`).then(async (response) => (await response.json()) as { jwks_uri: string; introspection_endpoint: string });
  // jose caches the key set and refetches it when a token names a kid it has not seen, at most
  // once per cooldown: after a rotation, new tokens verify within a second.
  const jwks = discovery.then((metadata) => createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: 1000 }));

  async function verifyJwt(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, await jwks, {
      issuer: options.issuer,
      audience: options.audience,
      typ: 'at+jwt',
      algorithms: ['ES256', 'EdDSA', 'RS256'],
    });
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    return { sub: payload.sub, clientId: payload.client_id as string | undefined, scope: String(payload.scope ?? ''), jkt: typeof cnf?.jkt === 'string' ? cnf.jkt : undefined };
  }

  async function introspect(token: string): Promise<Principal> {
    if (!options.introspection) throw new Error('opaque tokens need introspection credentials');
    const { introspection_endpoint: endpoint } = await discovery;
    const credentials = Buffer.from(`${encodeURIComponent(options.introspection.clientId)}:${encodeURIComponent(options.introspection.clientSecret)}`).toString('base64');
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    const result = (await response.json()) as { active?: boolean; aud?: string | string[]; sub?: string; client_id?: string; scope?: string; cnf?: { jkt?: string } };
    const audiences = Array.isArray(result.aud) ? result.aud : [result.aud];
    if (!result.active || !audiences.includes(options.audience)) throw new TokenRefused('inactive token or another audience');
    return { sub: result.sub, clientId: result.client_id, scope: result.scope ?? '', jkt: result.cnf?.jkt };
  }

  const firstUse = createReplayGuard();

  /** RFC 9449 section 4.3: a proof for this request, this token, and the key the token is bound to. */
  async function checkProof(ctx: Koa.Context, token: string, jkt: string): Promise<void> {
    const proof = ctx.get('dpop');
    if (!proof) throw new TokenRefused('a DPoP-bound token needs a DPoP proof');
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS, maxTokenAge: DPOP_PROOF_SECONDS, clockTolerance: 5 });
    if (!protectedHeader.jwk || (await calculateJwkThumbprint(protectedHeader.jwk)) !== jkt) throw new TokenRefused('the proof is signed by another key');
    if (payload.htm !== ctx.method) throw new TokenRefused('the proof is for another method');
    // Behind a proxy, this is the URL the client called only if app.proxy trusts its headers.
    if (payload.htu !== `${ctx.protocol}://${ctx.host}${ctx.path}`) throw new TokenRefused('the proof is for another URL');
    if (payload.ath !== createHash('sha256').update(token).digest('base64url')) throw new TokenRefused('the proof is for another token');
    if (typeof payload.jti !== 'string' || !firstUse(payload.jti)) throw new TokenRefused('the proof was used before');
  }

  const app = new Koa();
  app.use(async (ctx) => {
    const [, scheme, token] = /^(Bearer|DPoP) (\S+)$/i.exec(ctx.get('authorization')) ?? [];
    const algs = `algs="${DPOP_ALGORITHMS.join(' ')}"`;
    if (!scheme || !token) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', `Bearer, DPoP ${algs}`);
      ctx.body = { error: 'invalid_token' };
      return;
    }
    try {
      const principal = token.split('.').length === 3 ? await verifyJwt(token) : await introspect(token);
      // A bound token presented as a bearer token is refused (RFC 9449 section 7.2): whoever
      // copied it does not hold the key.
      if (principal.jkt) await checkProof(ctx, token, principal.jkt);
      else if (scheme.toLowerCase() === 'dpop') throw new TokenRefused('the token is not bound to a DPoP key');
      ctx.body = { hello: principal.sub ?? principal.clientId, scope: principal.scope, ...(principal.jkt ? { jkt: principal.jkt } : {}) };
    } catch {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', scheme.toLowerCase() === 'dpop' ? `DPoP error="invalid_token", ${algs}` : 'Bearer error="invalid_token"');
      ctx.body = { error: 'invalid_token' };
    }
  });
  return app;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const issuer = process.env.ISSUER ?? 'http://localhost:3000';
  const audience = process.env.AUDIENCE ?? 'http://localhost:4000';
  const id = process.env.INTROSPECTION_CLIENT_ID;
  const secret = process.env.INTROSPECTION_CLIENT_SECRET;
  const app = createResourceServer({ issuer, audience, ...(id && secret ? { introspection: { clientId: id, clientSecret: secret } } : {}) });
  const port = Number(process.env.PORT ?? 4000);
  createServer(app.callback()).listen(port, () => process.stdout.write(`resource server for ${audience} on :${port}\n`));
}
