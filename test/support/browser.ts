import { parse, type HTMLElement } from 'node-html-parser';

export interface Page {
  readonly url: string;
  readonly status: number;
  readonly html: string;
  readonly document: HTMLElement;
}

export interface FormSubmission {
  /** The form to submit: the first one that contains this selector. */
  readonly containing: string;
  readonly fields?: Record<string, string>;
  /** A submit button's name=value, as a click on it would send. */
  readonly button?: { name: string; value: string };
}

/** One request and its answer, as a browser's network panel would list it. */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** Until the response headers arrived. */
  readonly ms: number;
}

/**
 * A small stand-in for a browser: keeps cookies per host, follows redirects, submits HTML forms
 * with their hidden fields. It stops at any URL that starts with one of `stopAt` (the client's
 * redirect URIs), as a real browser would leave the IdP there.
 */
export class Browser {
  readonly #cookies = new Map<string, Map<string, string>>();
  readonly #stopAt: readonly string[];
  readonly #headers = new Map<string, string>();
  #timeoutMs: number | undefined;
  #onResponse: ((exchange: Exchange) => void) | undefined;

  constructor(...stopAt: string[]) {
    this.#stopAt = stopAt;
  }

  /** Gives up on any one request after `ms` (a hung server fails the test instead of hanging it). */
  withTimeout(ms: number): this {
    this.#timeoutMs = ms;
    return this;
  }

  /** Called after every HTTP exchange, redirects included (a form submission may be several). */
  onResponse(observer: (exchange: Exchange) => void): this {
    this.#onResponse = observer;
    return this;
  }

  /** A header sent with every request from now on (e.g. X-Forwarded-For, as a proxy would add it). */
  setHeader(name: string, value: string): this {
    this.#headers.set(name.toLowerCase(), value);
    return this;
  }

  async open(url: string): Promise<Page | { redirectedTo: string }> {
    return this.#follow(url, { method: 'GET' });
  }

  async submit(page: Page, submission: FormSubmission): Promise<Page | { redirectedTo: string }> {
    const form = page.document.querySelectorAll('form').find((candidate) => candidate.querySelector(submission.containing));
    if (!form) throw new Error(`no form containing ${submission.containing} on ${page.url}:\n${page.html}`);
    const body = new URLSearchParams();
    for (const input of form.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      if (name && input.getAttribute('type') === 'hidden') body.set(name, input.getAttribute('value') ?? '');
    }
    for (const [name, value] of Object.entries(submission.fields ?? {})) body.set(name, value);
    if (submission.button) body.set(submission.button.name, submission.button.value);
    const action = new URL(form.getAttribute('action') ?? page.url, page.url).toString();
    return this.#follow(action, { method: 'POST', body: body.toString(), contentType: 'application/x-www-form-urlencoded' });
  }

  /** Sends a raw POST with this browser's cookies (for requests no page would make). */
  async post(url: string, fields: Record<string, string>): Promise<Page | { redirectedTo: string }> {
    return this.#follow(url, { method: 'POST', body: new URLSearchParams(fields).toString(), contentType: 'application/x-www-form-urlencoded' });
  }

  /** The Cookie header this browser would send to `url` (for hand-made requests in tests). */
  cookiesFor(url: string): string {
    return this.#cookieHeader(new URL(url));
  }

  #cookieHeader(url: URL): string {
    return [...(this.#cookies.get(url.host) ?? new Map<string, string>())].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #store(url: URL, headers: Headers): void {
    const jar = this.#cookies.get(url.host) ?? new Map<string, string>();
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const expired = attributes.some((attribute) => /^\s*expires=Thu, 01 Jan 1970/i.test(attribute)) || value === '';
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(url.host, jar);
  }

  async #follow(start: string, first: { method: string; body?: string; contentType?: string }): Promise<Page | { redirectedTo: string }> {
    let url = start;
    let request = first;
    for (let hops = 0; hops < 20; hops += 1) {
      if (this.#stopAt.some((prefix) => url.startsWith(prefix))) return { redirectedTo: url };
      const target = new URL(url);
      const headers: Record<string, string> = { accept: 'text/html', ...Object.fromEntries(this.#headers) };
      const cookie = this.#cookieHeader(target);
      if (cookie) headers.cookie = cookie;
      if (request.contentType) headers['content-type'] = request.contentType;
      const started = Date.now();
      const response = await fetch(url, {
        method: request.method,
        headers,
        body: request.body,
        redirect: 'manual',
        ...(this.#timeoutMs ? { signal: AbortSignal.timeout(this.#timeoutMs) } : {}),
      });
      this.#onResponse?.({ method: request.method, url, status: response.status, ms: Date.now() - started });
      this.#store(target, response.headers);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        url = new URL(location, url).toString();
        request = { method: 'GET' };
        continue;
      }
      const html = await response.text();
      return { url, status: response.status, html, document: parse(html) };
    }
    throw new Error(`too many redirects from ${start}`);
  }
}

export function isPage(result: Page | { redirectedTo: string }): result is Page {
  return 'html' in result;
}

export function expectPage(result: Page | { redirectedTo: string }): Page {
  if (!isPage(result)) throw new Error(`expected a page, was redirected to ${result.redirectedTo}`);
  return result;
}

export function expectRedirect(result: Page | { redirectedTo: string }): string {
  if (isPage(result)) throw new Error(`expected a redirect to the client, got page ${result.url} (${result.status}):\n${result.html}`);
  return result.redirectedTo;
}
