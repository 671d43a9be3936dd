import type { Middleware } from 'koa';

/**
 * Headers every response gets. The Content-Security-Policy for our own pages is set by the pages
 * themselves; provider pages (form_post, logout) carry inline scripts with their own handling.
 */
export function createSecurityHeaders(deps: { issuer: string }): Middleware {
  const https = deps.issuer.startsWith('https://');
  return function setSecurityHeaders(ctx, next) {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('X-Frame-Options', 'DENY');
    if (https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    return next();
  };
}

/**
 * CSP for pages we render: no scripts but our own named files, no foreign assets, no framing. No form-action: browsers
 * apply it to the redirects after a submit, and sign-in ends with a redirect to the client.
 * `imageOrigin` allows images from one more origin: the login and consent pages show a client's
 * https logo from where the client registered it, and from nowhere else. `frameOrigins` are the
 * relying parties whose front-channel logout URIs the logout page loads. `scripts` are the exact
 * script URLs a page may load (the passkey pages' one file); no page runs inline script.
 */
export function pageContentSecurityPolicy(imageOrigin?: string, frameOrigins: readonly string[] = [], scripts: readonly string[] = []): string {
  return [
    "default-src 'none'",
    ...(scripts.length > 0 ? [`script-src ${scripts.join(' ')}`] : []),
    "style-src 'unsafe-inline'",
    imageOrigin ? `img-src data: ${imageOrigin}` : 'img-src data:',
    ...(frameOrigins.length > 0 ? [`frame-src ${frameOrigins.join(' ')}`] : []),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
