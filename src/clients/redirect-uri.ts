import { InvalidClientInputError } from './client-errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a URL's hostname is this machine, where plain http is acceptable. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/**
 * Redirect URIs are matched exactly, so each must be a complete URL: https (plain http only on
 * loopback), no fragment, and for public (native) clients a private-use scheme such as
 * com.example.app:/callback (RFC 8252).
 */
export function checkRedirectUri(raw: string, options: { publicClient: boolean; field: string }): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidClientInputError(`${options.field} must be an absolute URL: ${raw}`);
  }
  if (url.hash || raw.includes('#')) throw new InvalidClientInputError(`${options.field} must not contain a fragment: ${raw}`);
  if (url.protocol === 'https:') return raw;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return raw;
    throw new InvalidClientInputError(`${options.field} must use https outside localhost: ${raw}`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (options.publicClient && scheme.includes('.')) return raw;
  throw new InvalidClientInputError(`${options.field} must use https (or a reverse-domain scheme for native public clients): ${raw}`);
}
