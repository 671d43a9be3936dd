import { BlockList, isIP } from 'node:net';
import type { Middleware } from 'koa';

import type { TrustProxy } from '../config/app-config.js';

/** An address as proxies write it, without brackets, ports or the IPv4-in-IPv6 prefix. */
function normalise(entry: string): string {
  let address = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed?.[1]) address = bracketed[1];
  else if (/^\d{1,3}(?:\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  if (/^::ffff:\d{1,3}(?:\.\d{1,3}){3}$/i.test(address)) address = address.slice(7);
  return address;
}

function buildTrustCheck(trust: TrustProxy): (address: string, indexFromRight: number) => boolean {
  if (trust.kind === 'hops') return (_address, indexFromRight) => indexFromRight < trust.hops;
  if (trust.kind === 'none') return () => false;
  const list = new BlockList();
  for (const range of trust.ranges) {
    const [address = '', prefix] = range.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(address, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family);
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * Picks the client address from the path a request took: the socket's peer, then each
 * X-Forwarded-For entry from the right. Entries are skipped only while they belong to trusted
 * proxies (by count or by address); the first one that does not is the client. What a client
 * writes to the left of that cannot move its address, so it cannot escape per-address limits
 * or forge the address in the audit trail.
 */
export function createAddressResolver(trust: TrustProxy): (peer: string, forwardedFor: string) => string {
  const trusted = buildTrustCheck(trust);
  return (peer, forwardedFor) => {
    if (trust.kind === 'none') return normalise(peer);
    const chain = [...forwardedFor.split(',').map(normalise).filter(Boolean), normalise(peer)];
    let client = chain[chain.length - 1] ?? '';
    for (let indexFromRight = 0; indexFromRight < chain.length; indexFromRight += 1) {
      const address = chain[chain.length - 1 - indexFromRight] ?? '';
      // Garbage can only sit where no trusted proxy wrote; keep the last sound address then.
      if (isIP(address) === 0) break;
      client = address;
      if (!trusted(address, indexFromRight)) break;
    }
    return client;
  };
}

/**
 * Sets ctx.ip, which rate limits, lockout, sessions, logs and the audit trail all read. Without
 * trusted proxies Koa's own ctx.ip (the socket's peer) is already right, and nothing is added
 * to every request.
 */
export function createClientAddress(trust: TrustProxy): Middleware | undefined {
  if (trust.kind === 'none') return undefined;
  const resolve = createAddressResolver(trust);
  // Not async: one promise fewer per request on a path every request takes.
  return function setClientAddress(ctx, next) {
    ctx.request.ip = resolve(ctx.req.socket.remoteAddress ?? '', ctx.get('x-forwarded-for'));
    return next() as Promise<void>;
  };
}
