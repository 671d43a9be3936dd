import { createAddressResolver } from '../../../src/http/client-address.js';

describe('client address from the path a request took', () => {
  it('ignores X-Forwarded-For when no proxy is trusted', () => {
    expect(createAddressResolver({ kind: 'none' })('203.0.113.9', '1.2.3.4')).toBe('203.0.113.9');
    expect(createAddressResolver({ kind: 'none' })('::ffff:203.0.113.9', '')).toBe('203.0.113.9');
  });

  it('with one proxy, takes the address that proxy saw, whatever the client wrote to its left', () => {
    const resolve = createAddressResolver({ kind: 'hops', hops: 1 });
    expect(resolve('10.0.0.2', '198.51.100.1, 203.0.113.7')).toBe('203.0.113.7');
    expect(resolve('10.0.0.2', '203.0.113.7')).toBe('203.0.113.7');
    // A request that reached us without the proxy: the peer is all there is.
    expect(resolve('203.0.113.7', '')).toBe('203.0.113.7');
  });

  it('with two hops, skips the first proxy too', () => {
    const resolve = createAddressResolver({ kind: 'hops', hops: 2 });
    expect(resolve('10.0.0.2', 'spoofed, 203.0.113.7, 10.0.0.1')).toBe('203.0.113.7');
  });

  it('with trusted addresses, walks left past them to the first untrusted entry', () => {
    const resolve = createAddressResolver({ kind: 'addresses', ranges: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(resolve('10.0.0.2', '198.51.100.1, 203.0.113.7, 10.1.1.1')).toBe('203.0.113.7');
    expect(resolve('2001:db8::5', '203.0.113.8')).toBe('203.0.113.8');
    // The peer itself is not a trusted proxy: its header is the client's own words.
    expect(resolve('203.0.113.50', '10.0.0.9, 1.1.1.1')).toBe('203.0.113.50');
    // Every entry is a proxy: the leftmost is the best there is.
    expect(resolve('10.0.0.2', '10.0.0.3')).toBe('10.0.0.3');
  });

  it('reads ports and brackets as proxies write them, and never returns garbage', () => {
    const resolve = createAddressResolver({ kind: 'hops', hops: 1 });
    expect(resolve('10.0.0.2', '203.0.113.7:51234')).toBe('203.0.113.7');
    expect(resolve('10.0.0.2', '[2001:db8::7]:443')).toBe('2001:db8::7');
    expect(resolve('10.0.0.2', 'not-an-address')).toBe('10.0.0.2');
  });
});
