import { randomBytes } from 'node:crypto';

import type { AccountService } from '../accounts/account-service.js';

export interface DemoUser {
  readonly email: string;
  readonly password: string;
  readonly otpauthUri: string;
  readonly totpSecret: string;
}

export const DEMO_EMAIL = 'demo@example.com';

/** The user `npm run dev` prints: recreated on every start with a fresh password and TOTP secret. */
export async function seedDemoUser(accounts: AccountService): Promise<DemoUser> {
  const existing = await accounts.findByEmail(DEMO_EMAIL);
  if (existing) await accounts.delete(existing.id);
  const password = randomBytes(12).toString('base64url');
  const { totp } = await accounts.createAccount({ email: DEMO_EMAIL, name: 'Demo User', password, withTotp: true });
  if (!totp) throw new Error('demo user was created without TOTP');
  return { email: DEMO_EMAIL, password, otpauthUri: totp.uri, totpSecret: totp.secret };
}
