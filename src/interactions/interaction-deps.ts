import type Provider from 'oidc-provider';

import type { AccountService } from '../accounts/account-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DataCipher } from '../accounts/data-cipher.js';
import type { Renderer } from '../http/renderer.js';
import type { Logger } from '../logging/create-logger.js';
import type { ExpiringStore } from '../storage/expiring-store.js';
import type { RememberedConsents } from '../oidc/remembered-consents.js';
import type { Csrf } from './csrf.js';
import type { SecurityNotices } from '../mail/security-notices.js';
import type { LoginState } from './login-state.js';
import type { PasskeyService } from '../accounts/passkey-service.js';
import type { PageScript } from '../http/page-scripts.js';

/** What the interaction handlers need; built once in the container. */
export interface InteractionDeps {
  readonly provider: Provider;
  readonly accounts: AccountService;
  readonly passkeys: PasskeyService;
  /** The script the passkey forms need; pages without one load no script. */
  readonly passkeyScript: PageScript;
  readonly cipher: DataCipher;
  readonly loginStates: ExpiringStore<LoginState>;
  readonly consents: RememberedConsents;
  readonly csrf: Csrf;
  readonly renderer: Renderer;
  readonly logger: Logger;
  readonly audit: AuditLog;
  readonly notices: SecurityNotices;
  readonly interactionTtlSeconds: number;
  readonly grantTtlSeconds: number;
}
