import { InvalidProfileError, mergeAttributes, mergeProfile, parseProfileInput } from '../../../src/accounts/profile.js';

describe('profile claims', () => {
  it('accepts the standard claims in their specified forms', () => {
    const input = {
      given_name: ' Ada ', birthdate: '0000-12-10', zoneinfo: 'Europe/London', locale: 'en-GB', phone_number: '+442079460000;ext=12',
      picture: 'https://ada.example.com/me.png', phone_number_verified: true, address: { locality: 'London', country: 'GB' },
    };
    expect(parseProfileInput(input)).toEqual({ ...input, given_name: 'Ada' });
    expect(parseProfileInput({ birthdate: '1815' })).toEqual({ birthdate: '1815' });
  });

  it.each([
    [{ birthdate: '1815-02-30' }, /birthdate/],
    [{ birthdate: '10/12/1815' }, /birthdate/],
    [{ zoneinfo: 'Mars/Olympus_Mons' }, /zoneinfo: must be an IANA time zone/],
    [{ locale: 'not a locale!' }, /locale/],
    [{ phone_number: '020 7946 0000' }, /phone_number: must be in E\.164/],
    [{ picture: 'http://ada.example.com/me.png' }, /picture: must be an https URL/],
    [{ address: { planet: 'Earth' } }, /address/],
    [{ shoe_size: '42' }, /shoe_size|Unrecognized/],
    [{ phone_number_verified: 'yes' }, /phone_number_verified/],
  ])('refuses %j', (input, message) => {
    expect(() => parseProfileInput(input)).toThrow(InvalidProfileError);
    expect(() => parseProfileInput(input)).toThrow(message);
  });

  it('replaces given fields, removes null ones, keeps the rest; a new phone number is unverified', () => {
    const current = { given_name: 'Ada', family_name: 'Byron', phone_number: '+442079460000', phone_number_verified: true };
    expect(mergeProfile(current, { family_name: 'Lovelace', given_name: null })).toEqual({ family_name: 'Lovelace', phone_number: '+442079460000', phone_number_verified: true });
    expect(mergeProfile(current, { phone_number: '+442079460001' })).toEqual({ given_name: 'Ada', family_name: 'Byron', phone_number: '+442079460001' });
    expect(mergeProfile(current, { phone_number: '+442079460001', phone_number_verified: true })).toMatchObject({ phone_number_verified: true });
  });
});

describe('declared attributes', () => {
  const declared = { department: { type: 'string', scope: 'organisation' }, teams: { type: 'string[]', scope: 'organisation' }, clearance: { type: 'number', scope: 'organisation' } } as const;

  it('accepts declared attributes of their type and removes null ones', () => {
    expect(mergeAttributes({ clearance: 2 }, { department: 'R&D', teams: ['a', 'b'], clearance: null }, declared)).toEqual({ department: 'R&D', teams: ['a', 'b'] });
  });

  it('refuses undeclared attributes and values of another type', () => {
    expect(() => mergeAttributes({}, { salary: 1 }, declared)).toThrow('unknown attribute salary; declared: department, teams, clearance');
    expect(() => mergeAttributes({}, { clearance: 'top' }, declared)).toThrow('attribute clearance must be a number');
    expect(() => mergeAttributes({}, { teams: 'a' }, declared)).toThrow('attribute teams must be a string[]');
  });
});
