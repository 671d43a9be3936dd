import type { Context } from 'koa';

import { chooseLocale } from '../i18n/choose-locale.js';
import type { Renderer } from './renderer.js';
import { pageContentSecurityPolicy } from './security-headers.js';

export interface PageOptions {
  /** Left as the context has it when absent (a provider error page has set its own). */
  readonly status?: number;
  /** One more origin images may come from: an application's registered https logo. */
  readonly imageOrigin?: string;
  /** The relying party's ui_locales, when the page belongs to its request. */
  readonly uiLocales?: string;
  /** Origins the page may frame: the front-channel logout page loads each client's logout URI. */
  readonly frameOrigins?: readonly string[];
  /** The script URLs the page loads (the passkey pages' one script). */
  readonly scripts?: readonly string[];
}

/** Where the interaction pages leave the request's ui_locales for the page that follows. */
export interface PageLocaleState {
  uiLocales?: string;
}

/** The language this request's pages are written in. */
export function pageLocale(ctx: Pick<Context, 'acceptsLanguages' | 'state'>, renderer: Pick<Renderer, 'locales'>, uiLocales?: string): string {
  const fromState = (ctx.state as PageLocaleState).uiLocales;
  return chooseLocale(renderer.locales, uiLocales ?? fromState, (languages) => ctx.acceptsLanguages(languages));
}

/**
 * Writes one of our pages, the only way any is written: never cached, never framed, no scripts
 * but the files it names (CSP), in the language the request asks for.
 */
export function sendPage(ctx: Context, renderer: Renderer, view: string, model: Readonly<Record<string, unknown>>, options: PageOptions = {}): void {
  const locale = pageLocale(ctx, renderer, options.uiLocales);
  if (options.status !== undefined) ctx.status = options.status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', pageContentSecurityPolicy(options.imageOrigin, options.frameOrigins, options.scripts));
  ctx.set('Content-Language', locale);
  ctx.vary('Accept-Language');
  ctx.body = renderer.render(view, model, locale);
}
