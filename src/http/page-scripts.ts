import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import Router from '@koa/router';

import { DEFAULT_VIEWS_DIR } from './renderer.js';

export const ASSETS_PATH = '/assets';

/** A script our pages load: its URL (for the page and its CSP) and its fixed body. */
export interface PageScript {
  readonly path: string;
  /** Absolute, under the issuer: the page's CSP names this URL and nothing else. */
  readonly url: string;
  readonly body: string;
  readonly etag: string;
}

/**
 * The passkey pages' script: @simplewebauthn/browser's bundle (the well-kept half of the
 * library the server verifies with) and views/scripts/passkeys.js, which wires it to the forms,
 * served as one file. Its name carries a hash of the body, so it can be cached for good.
 */
export function loadPasskeyScript(issuer: string, viewsDir: string = DEFAULT_VIEWS_DIR): PageScript {
  const require = createRequire(import.meta.url);
  // The package exports its CommonJS entry (script/index.js); the bundle sits beside that folder.
  const libraryDir = dirname(dirname(require.resolve('@simplewebauthn/browser')));
  const body = `${readFileSync(join(libraryDir, 'dist', 'bundle', 'index.umd.min.js'), 'utf8')}\n;${readFileSync(join(viewsDir, 'scripts', 'passkeys.js'), 'utf8')}`;
  const hash = createHash('sha256').update(body).digest('base64url');
  const path = `${ASSETS_PATH}/passkeys-${hash.slice(0, 12)}.js`;
  return { path, url: `${issuer}${path}`, body, etag: `"${hash}"` };
}

/** Serves the page scripts; anything else under /assets is a 404. */
export function createPageScriptsRouter(scripts: readonly PageScript[]): Router {
  const router = new Router();
  for (const script of scripts) {
    router.get(script.path, (ctx) => {
      ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
      ctx.set('ETag', script.etag);
      if (ctx.get('if-none-match') === script.etag) {
        ctx.status = 304;
        return;
      }
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = script.body;
    });
  }
  return router;
}
