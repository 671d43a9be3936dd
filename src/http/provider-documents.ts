import { createHash } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';

interface CachedDocument {
  readonly body: string;
  readonly etag: string;
  readonly type: string;
}

// Discovery names endpoints by the request's origin (behind trusted proxies it follows
// X-Forwarded-Host), so it is kept per origin; a few cover every real deployment, and a client
// sending made-up hosts gets answers computed afresh rather than a growing cache.
const MAX_ORIGINS = 16;

/**
 * If-None-Match against our ETag (RFC 9110 13.1.2: weak comparison). Koa's `fresh` is not used:
 * it answers 200 whenever the request says Cache-Control: no-cache, which fetch() adds to every
 * conditional request, though a matching ETag means the same body either way.
 */
function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch === '') return false;
  return ifNoneMatch.split(',').map((tag) => tag.trim().replace(/^W\//, '')).some((tag) => tag === '*' || tag === etag);
}

/**
 * Discovery and the JWKS change only when the provider is rebuilt (a signing key changes
 * state): each is computed by the provider once per build and then served from that body, with
 * an ETag (a revalidation answers 304) and Cache-Control, plus the CORS headers the provider
 * gives them. `current` names the provider in use; a new one starts a new cache.
 */
export function createProviderDocuments(deps: {
  readonly current: () => object;
  readonly paths: { readonly discovery: string; readonly jwks: string };
  readonly maxAgeSeconds: { readonly discovery: number; readonly jwks: number };
}): Middleware {
  const byProvider = new WeakMap<object, Map<string, CachedDocument>>();
  const serveDocument = async (ctx: Context, next: Next, isJwks: boolean): Promise<void> => {
    const provider = deps.current();
    let documents = byProvider.get(provider);
    if (!documents) {
      documents = new Map();
      byProvider.set(provider, documents);
    }
    const key = isJwks ? 'jwks' : `discovery ${ctx.origin}`;
    const cacheControl = `public, max-age=${isJwks ? deps.maxAgeSeconds.jwks : deps.maxAgeSeconds.discovery}`;
    let document = documents.get(key);
    if (!document) {
      await next();
      ctx.set('Cache-Control', cacheControl);
      if (ctx.status !== 200 || typeof ctx.body !== 'object' || ctx.body === null || Buffer.isBuffer(ctx.body)) return;
      const body = JSON.stringify(ctx.body);
      document = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`, type: ctx.response.get('Content-Type') };
      if (documents.size < MAX_ORIGINS + 1) documents.set(key, document);
      ctx.set('ETag', document.etag);
      ctx.body = body;
      ctx.type = document.type;
      return;
    }
    ctx.status = 200;
    ctx.type = document.type;
    ctx.set('ETag', document.etag);
    ctx.set('Cache-Control', cacheControl);
    // As the provider's open CORS does for these two documents.
    ctx.vary('Origin');
    ctx.set('Access-Control-Allow-Origin', ctx.get('Origin') || '*');
    if (matches(ctx.get('If-None-Match'), document.etag)) {
      ctx.status = 304;
      return;
    }
    ctx.body = document.body;
  };
  return function serveProviderDocuments(ctx, next) {
    const isJwks = ctx.path === deps.paths.jwks;
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || (!isJwks && ctx.path !== deps.paths.discovery)) return next();
    return serveDocument(ctx, next, isJwks);
  };
}
