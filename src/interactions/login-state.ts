/**
 * How far a sign-in has got inside one interaction. The session gets a login only when this
 * reaches the end, so no order of requests can skip a step. `login` is the email as typed at the
 * password step: later steps count their failures under the same (login, address) pair.
 * `hasPasskeys` saves the second-factor page a read of the account when it has none to offer.
 */
export type LoginState =
  | { readonly stage: 'second_factor'; readonly accountId: string; readonly login: string; readonly hasPasskeys?: boolean }
  | { readonly stage: 'enrol'; readonly accountId: string; readonly login: string; readonly secretEncrypted: string }
  | { readonly stage: 'recovery_codes'; readonly accountId: string; readonly login: string; readonly codesEncrypted: string };
