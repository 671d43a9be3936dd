import { normaliseEmail } from '../../../src/accounts/email.js';

describe('normaliseEmail', () => {
  it('trims and lower-cases so that one address has one spelling', () => {
    expect(normaliseEmail('  Ada.Lovelace@Example.COM ')).toBe('ada.lovelace@example.com');
  });

  it.each(['', 'ada', 'ada@', '@example.com', 'ada@example', 'ada lovelace@example.com', `${'a'.repeat(250)}@example.com`])('rejects %j', (input) => {
    expect(() => normaliseEmail(input)).toThrow('Enter a valid email address.');
  });
});
