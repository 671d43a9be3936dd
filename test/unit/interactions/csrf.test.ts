import { createCsrf } from '../../../src/interactions/csrf.js';

const OLD = 'old-cookie-key-0123456789abcdefghijklmnop';
const NEW = 'new-cookie-key-0123456789abcdefghijklmnop';

describe('CSRF tokens', () => {
  it('accepts the token of its interaction only', () => {
    const csrf = createCsrf([OLD]);
    const token = csrf.tokenFor('uid-1');
    expect(csrf.check('uid-1', token)).toBe(true);
    expect(csrf.check('uid-2', token)).toBe(false);
    expect(csrf.check('uid-1', `${token}x`)).toBe(false);
    expect(csrf.check('uid-1', undefined)).toBe(false);
  });

  it('keeps a form opened before a COOKIE_KEYS rotation valid after it, and signs new forms with the new key', () => {
    const before = createCsrf([OLD]);
    const openForm = before.tokenFor('uid-1');
    const rotated = createCsrf([NEW, OLD]);
    expect(rotated.check('uid-1', openForm)).toBe(true);
    expect(rotated.tokenFor('uid-1')).not.toBe(openForm);
    expect(createCsrf([NEW]).check('uid-1', openForm)).toBe(false);
  });
});
