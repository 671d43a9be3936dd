import type { AppConfig } from '../config/app-config.js';
import { createAccountService, type AccountService } from './account-service.js';
import type { AccountStore } from './account-store.js';
import { createDataCipher } from './data-cipher.js';
import type { OneTimeClaims } from './one-time-claims.js';
import type { SignInThrottle } from './sign-in-throttle.js';
import type { AccountSessions } from '../storage/account-sessions.js';
import { createPasswordHasher } from './password-hasher.js';
import { createRecoveryCodes } from './recovery-codes.js';
import { createTotp } from './totp.js';

/** The account service as configured; the server and the CLI build it the same way. */
export function buildAccountService(config: AppConfig, stores: { store: AccountStore; throttle: SignInThrottle; claims: OneTimeClaims; sessions: AccountSessions }): AccountService {
  return createAccountService({
    ...stores,
    hasher: createPasswordHasher(config.argon2, config.passwordHashConcurrency),
    cipher: createDataCipher(config.dataEncryptionKeys.value),
    totp: createTotp(config.totpIssuer),
    recoveryCodes: createRecoveryCodes(config.dataEncryptionKeys.value),
    passwordPolicy: config.password,
    attributes: config.customClaims,
  });
}
