/**
 * A resource server that trusts Latchkey: JWT access tokens are checked offline against the
 * JWKS (issuer, audience, expiry, typ at+jwt), opaque ones through introspection with the
 * resource server's own client credentials. Run it with:
 *
 *   ISSUER=https://id.example.com AUDIENCE=https://api.example.com \
 *   INTROSPECTION_CLIENT_ID=... INTROSPECTION_CLIENT_SECRET=... \
 *   npx tsx examples/resource-server/resource-server.ts
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export interface ResourceServerOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly introspection?: { readonly clientId: string; readonly clientSecret: string };
}

interface Principal {
  readonly sub: string | undefined;
  readonly clientId: string | undefined;
  readonly scope: string;
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
    return { sub: payload.sub, clientId: payload.client_id as string | undefined, scope: String(payload.scope ?? '') };
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
    const result = (await response.json()) as { active?: boolean; aud?: string | string[]; sub?: string; client_id?: string; scope?: string };
    const audiences = Array.isArray(result.aud) ? result.aud : [result.aud];
    if (!result.active || !audiences.includes(options.audience)) throw new Error('inactive token or another audience');
    return { sub: result.sub, clientId: result.client_id, scope: result.scope ?? '' };
  }

  const app = new Koa();
  app.use(async (ctx) => {
    const token = /^Bearer (\S+)$/i.exec(ctx.get('authorization'))?.[1];
    if (!token) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer');
      ctx.body = { error: 'invalid_token' };
      return;
    }
    try {
      const principal = token.split('.').length === 3 ? await verifyJwt(token) : await introspect(token);
      ctx.body = { hello: principal.sub ?? principal.clientId, scope: principal.scope };
    } catch {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
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
