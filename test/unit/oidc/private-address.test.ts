import { assertPublicHost, PrivateAddressError } from '../../../src/oidc/private-address.js';

describe('private address guard', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '[::1]', '[fd00::1]', '[fe80::1]', '[::ffff:127.0.0.1]', 'localhost'])(
    'refuses %s', async (host) => {
      await expect(assertPublicHost(host)).rejects.toThrow(PrivateAddressError);
    },
  );

  it.each(['93.184.216.34', '[2606:4700::1111]'])('lets %s through', async (host) => {
    await expect(assertPublicHost(host)).resolves.toBeUndefined();
  });
});
