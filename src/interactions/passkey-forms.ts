import type { Account } from '../accounts/account.js';
import type { PasskeyRegistration } from '../accounts/passkey-service.js';
import { message, type Message } from '../i18n/message.js';
import type { PageOptions } from '../http/send-page.js';
import type { InteractionDeps } from './interaction-deps.js';

/** A passkey form on a sign-in page: the ceremony's options for the script, and where it posts. */
export interface PasskeyForm {
  readonly options: string;
  readonly action: string;
  readonly script: string;
}

/** The "use a passkey" form of the second-factor step, when the account has passkeys. */
export async function signInPasskeyForm(deps: Pick<InteractionDeps, 'passkeys' | 'passkeyScript'>, account: Account | undefined, uid: string): Promise<PasskeyForm | undefined> {
  const options = account ? await deps.passkeys.signInOptions(account, uid) : undefined;
  return options ? { options: JSON.stringify(options), action: `/interaction/${uid}/passkey`, script: deps.passkeyScript.url } : undefined;
}

/** The "add a passkey too" form beside the first sign-in's recovery codes. */
export async function enrolPasskeyForm(deps: Pick<InteractionDeps, 'passkeys' | 'passkeyScript'>, account: Account | undefined, uid: string): Promise<PasskeyForm | undefined> {
  const options = account ? await deps.passkeys.registrationOptions(account, uid) : undefined;
  return options ? { options: JSON.stringify(options), action: `/interaction/${uid}/passkey-enrol`, script: deps.passkeyScript.url } : undefined;
}

/** The page may load the passkey script only when it has a passkey form. */
export function passkeyPageOptions(form: PasskeyForm | undefined): Omit<PageOptions, 'status'> {
  return form ? { scripts: [form.script] } : {};
}

const REFUSALS = {
  invalid: 'passkey.refused.invalid',
  limit: 'passkey.refused.limit',
  duplicate: 'passkey.refused.duplicate',
  changed: 'passkey.refused.changed',
  unavailable: 'passkey.refused.unavailable',
} as const;

/** What the owner is told when a new passkey is not stored. */
export function passkeyRefusal(reason: Extract<PasskeyRegistration, { ok: false }>['reason']): Message {
  return message(REFUSALS[reason]);
}
