import type { Account } from '../accounts/account.js';
import type { PasskeyRegistration } from '../accounts/passkey-service.js';
import { message, type Message } from '../i18n/message.js';
import type { PageScript } from '../http/page-scripts.js';
import type { PageOptions } from '../http/send-page.js';
import type { InteractionDeps } from './interaction-deps.js';

/** A passkey form on a page (sign-in or account area): the ceremony's options for the script, and where it posts. */
export interface PasskeyForm {
  readonly options: string;
  readonly action: string;
  readonly script: string;
}

/** A ceremony's options as a form posting to `action`; none when there is no ceremony to offer. */
export function toPasskeyForm(options: object | undefined, action: string, script: PageScript): PasskeyForm | undefined {
  return options ? { options: JSON.stringify(options), action, script: script.url } : undefined;
}

/** The "use a passkey" form of the second-factor step, when the account has passkeys. */
export async function signInPasskeyForm(deps: Pick<InteractionDeps, 'passkeys' | 'passkeyScript'>, account: Account | undefined, uid: string): Promise<PasskeyForm | undefined> {
  const options = account ? await deps.passkeys.signInOptions(account, uid) : undefined;
  return toPasskeyForm(options, `/interaction/${uid}/passkey`, deps.passkeyScript);
}

/** The "add a passkey too" form beside the first sign-in's recovery codes. */
export async function enrolPasskeyForm(deps: Pick<InteractionDeps, 'passkeys' | 'passkeyScript'>, account: Account | undefined, uid: string): Promise<PasskeyForm | undefined> {
  const options = account ? await deps.passkeys.registrationOptions(account, uid) : undefined;
  return toPasskeyForm(options, `/interaction/${uid}/passkey-enrol`, deps.passkeyScript);
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
