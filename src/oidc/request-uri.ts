import { request as httpsRequest } from 'node:https';
import type { Context, Middleware, Next } from 'koa';

import { assertPublicHost, guardedLookup } from './private-address.js';

/** oidc-provider's own request_uri values (pushed authorization requests) are its to resolve. */
const PUSHED_REQUEST_URN = 'urn:ietf:params:oauth:request_uri:';
const FETCH_TIMEOUT_MS = 2500;
const MAX_REQUEST_OBJECT_BYTES = 64 * 1024;

class RequestUriError extends Error {
  override readonly name = 'RequestUriError';
}

/** GETs a request object: https only, a short deadline and a size cap, no redirects. */
function fetchRequestObject(uri: URL, guarded: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(uri, { method: 'GET', headers: { accept: 'application/oauth-authz-req+jwt, application/jwt' }, timeout: FETCH_TIMEOUT_MS, ...(guarded ? { lookup: guardedLookup } : {}) }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new RequestUriError(`request_uri answered HTTP ${res.statusCode ?? 0}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REQUEST_OBJECT_BYTES) {
          req.destroy(new RequestUriError('the request object is too large'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8').trim()));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new RequestUriError('request_uri did not answer in time')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * OpenID Connect Core 6.2, passing a request object by reference: the authorization request
 * names an https URL, which is fetched (behind the same private-address guard as every other
 * client-supplied URL, see oidc/outbound-fetch.ts) and handed to the provider as `request`, so
 * the provider verifies it exactly as a request object passed by value. oidc-provider resolves
 * only its own pushed-request URNs. A fetch that fails leaves a `request` that cannot verify,
 * so the client gets invalid_request_object with its state, like any other bad request object.
 */
export function createRequestUriResolver(options: { readonly authorizationPath: string; readonly discoveryPath: string; readonly privateNetworkHosts: readonly string[] }): Middleware {
  const allowed = new Set(options.privateNetworkHosts.map((host) => host.toLowerCase()));
  const resolve = async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path === options.discoveryPath) {
      await next();
      // oidc-provider always says false, since it resolves none itself; this middleware does.
      const body = ctx.body as Record<string, unknown> | undefined;
      if (ctx.status === 200 && body && typeof body === 'object') body.request_uri_parameter_supported = true;
      return;
    }
    const requestUri = ctx.path === options.authorizationPath && ctx.method === 'GET' ? ctx.query.request_uri : undefined;
    if (typeof requestUri !== 'string' || requestUri.startsWith(PUSHED_REQUEST_URN) || ctx.query.request !== undefined) {
      await next();
      return;
    }
    let requestObject = 'unavailable';
    try {
      const uri = new URL(requestUri);
      if (uri.protocol !== 'https:') throw new RequestUriError('request_uri must be https');
      const guarded = !(allowed.has(uri.host) || allowed.has(uri.hostname));
      // An address in the URL itself is never looked up, so the lookup guard would not see it.
      if (guarded) await assertPublicHost(uri.hostname);
      requestObject = await fetchRequestObject(uri, guarded);
    } catch {
      // Left as 'unavailable': the provider refuses it as a request object that is not a JWT.
    }
    const params = new URLSearchParams(ctx.querystring);
    params.delete('request_uri');
    params.set('request', requestObject);
    ctx.querystring = params.toString();
    await next();
  };
  return function resolveRequestUri(ctx, next) {
    const concerned = ctx.path === options.discoveryPath || (ctx.path === options.authorizationPath && ctx.method === 'GET');
    return concerned ? resolve(ctx, next) : next();
  };
}
