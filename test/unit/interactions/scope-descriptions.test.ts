import { describeScope } from '../../../src/interactions/scope-descriptions.js';
import { loadMessageCatalogue } from '../../../src/i18n/message-catalogue.js';

const catalogue = loadMessageCatalogue();
const en = catalogue.translator('en');
const de = catalogue.translator('de');

describe('what the consent page says a scope gives', () => {
  it('says it in words for the standard scopes, in the page language', () => {
    expect(en.text(describeScope('email'))).toBe('See your email address');
    expect(en.text(describeScope('phone'))).toBe('See your phone number');
    expect(de.text(describeScope('email'))).not.toBe(en.text(describeScope('email')));
  });

  it('describes a declared scope by the attributes it releases, else names it', () => {
    const declared = { department: { type: 'string', scope: 'organisation', description: 'department' }, cost_centre: { type: 'string', scope: 'organisation' } } as const;
    expect(en.text(describeScope('organisation', declared))).toBe('See your department, cost centre');
    expect(en.text(describeScope('billing', declared))).toBe('Use the “billing” permission');
    expect(de.text(describeScope('billing', declared))).toContain('„billing“');
  });
});
