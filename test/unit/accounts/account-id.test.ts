import { createAccountId } from '../../../src/accounts/account-id.js';

describe('account ids', () => {
  it('are 22 base64url characters that never start with a dash or underscore (a CLI would read an option)', () => {
    const ids = Array.from({ length: 2000 }, () => createAccountId());
    expect(ids.every((id) => /^[A-Za-z0-9][A-Za-z0-9_-]{21}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
