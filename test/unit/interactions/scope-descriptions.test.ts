import { describeScope } from '../../../src/interactions/scope-descriptions.js';

describe('what the consent page says a scope gives', () => {
  it('says it in words for the standard scopes', () => {
    expect(describeScope('email')).toBe('See your email address');
    expect(describeScope('phone')).toBe('See your phone number');
  });

  it('describes a declared scope by the attributes it releases, else names it', () => {
    const declared = { department: { type: 'string', scope: 'organisation', description: 'department' }, cost_centre: { type: 'string', scope: 'organisation' } } as const;
    expect(describeScope('organisation', declared)).toBe('See your department, cost centre');
    expect(describeScope('billing', declared)).toBe('Use the "billing" permission');
  });
});
