/**
 * How far a sign-in has got inside one interaction. The session gets a login only when this
 * reaches the end, so no order of requests can skip a step.
 */
export type LoginState =
  | { readonly stage: 'second_factor'; readonly accountId: string }
  | { readonly stage: 'enrol'; readonly accountId: string; readonly secretEncrypted: string }
  | { readonly stage: 'recovery_codes'; readonly accountId: string; readonly codesEncrypted: string };
