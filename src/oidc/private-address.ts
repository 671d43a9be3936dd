import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup as dnsLookupAsync } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/** Addresses no client-supplied URL may reach: loopback, private, link-local, CGNAT, and the like. */
function buildSpecialUse(): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3],
  ] as const) list.addSubnet(network, prefix, 'ipv4');
  for (const [network, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['2001:db8::', 32], ['64:ff9b::', 96], ['ff00::', 8]] as const) {
    list.addSubnet(network, prefix, 'ipv6');
  }
  return list;
}

const SPECIAL_USE = buildSpecialUse();

function isSpecialUse(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return SPECIAL_USE.check(mapped, 'ipv4');
  return SPECIAL_USE.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Resolves, then refuses special-use addresses before connecting: the check and the connection
 * use the same answer, so a name that resolves differently the second time gains nothing.
 */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const usable = addresses.filter((entry) => !isSpecialUse(entry.address));
    if (usable.length === 0) return callback(Object.assign(new Error(`${hostname} resolves to a private or special-use address`), { code: 'EPRIVATE' }), '', 0);
    if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, usable);
    const [first] = usable as [LookupAddress];
    return callback(null, first.address, first.family);
  });
};

export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError';
}

/**
 * Refuses a host that is, or resolves to, a private or special-use address. A check before the
 * connection, so it leaves a window for a name that resolves differently the second time; the
 * connection itself is guarded too (guardedLookup here, oidc-provider's own dispatcher for its
 * fetches), and this check also covers addresses written in the URL, which are never looked up.
 */
export async function assertPublicHost(hostname: string): Promise<void> {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const addresses = isIP(bare) ? [bare] : (await dnsLookupAsync(bare, { all: true })).map((entry) => entry.address);
  if (addresses.length === 0 || addresses.some(isSpecialUse)) throw new PrivateAddressError(`${hostname} is a private or special-use address`);
}
