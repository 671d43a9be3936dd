import type { Context } from 'koa';
import { errors, type InteractionResults } from 'oidc-provider';

import { pathParam } from '../http/path-param.js';
import { readForm } from '../http/read-form.js';
import { sendPage, type PageLocaleState, type PageOptions } from '../http/send-page.js';
import type { Account } from '../accounts/account.js';
import type { InteractionDeps } from './interaction-deps.js';
import { AccountUnavailableError, CsrfError, InteractionExpiredError } from './interaction-errors.js';
import type { LoginState } from './login-state.js';

export type InteractionDetails = Awaited<ReturnType<InteractionDeps['provider']['interactionDetails']>>;

/** The interaction this browser is in; it must be the one the URL names. */
export async function loadInteraction(ctx: Context, deps: Pick<InteractionDeps, 'provider'>): Promise<InteractionDetails> {
  let details: InteractionDetails;
  try {
    details = await deps.provider.interactionDetails(ctx.req, ctx.res);
  } catch (error) {
    if (error instanceof errors.SessionNotFound) throw new InteractionExpiredError();
    throw error;
  }
  if (details.uid !== pathParam(ctx, 'uid')) throw new InteractionExpiredError();
  // The relying party's ui_locales choose the language of this sign-in's pages.
  const uiLocales = details.params.ui_locales;
  if (typeof uiLocales === 'string') (ctx.state as PageLocaleState).uiLocales = uiLocales;
  return details;
}

/** A parameter of the authorization request behind the interaction, when it is a string. */
export function requestParam(details: InteractionDetails, name: string): string | undefined {
  const value: unknown = details.params[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function checkCsrf(deps: Pick<InteractionDeps, 'csrf'>, uid: string, form: Record<string, string>): void {
  if (!deps.csrf.check(uid, form.csrf)) throw new CsrfError();
}

/** One of the sign-in pages, in the language of the interaction's request. */
export function renderPage(ctx: Context, deps: Pick<InteractionDeps, 'renderer'>, view: string, model: Record<string, unknown>, status = 200, options: Omit<PageOptions, 'status'> = {}): void {
  sendPage(ctx, deps.renderer, view, model, { ...options, status });
}

/** Hands the result back to the provider and sends the browser on to resume authorization. */
export async function finishInteraction(ctx: Context, deps: Pick<InteractionDeps, 'provider'>, result: InteractionResults): Promise<void> {
  const returnTo = await deps.provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

/** Back to the interaction's page, which shows whatever step the sign-in is at. */
export function redirectToInteraction(ctx: Context, uid: string): void {
  ctx.status = 303;
  ctx.redirect(`/interaction/${encodeURIComponent(uid)}`);
}

export interface SubmittedStep<S extends LoginState['stage']> {
  readonly details: InteractionDetails;
  readonly form: Record<string, string>;
  readonly state: Extract<LoginState, { stage: S }>;
  /** The account signing in, as read by this request (and found active). */
  readonly account: Account;
}

/**
 * The common start of every POST after the password: the interaction, its CSRF-checked form,
 * and the sign-in state, which must be at `stage`. Otherwise the browser is sent back to the
 * interaction page (which shows the step it is really at) and undefined is returned.
 */
export async function loadSubmittedStep<S extends LoginState['stage']>(ctx: Context, deps: Pick<InteractionDeps, 'provider' | 'csrf' | 'loginStates' | 'accounts'>, stage: S): Promise<SubmittedStep<S> | undefined> {
  const details = await loadInteraction(ctx, deps);
  const form = await readForm(ctx);
  checkCsrf(deps, details.uid, form);
  const state = await deps.loginStates.get(details.uid);
  if (details.prompt.name !== 'login' || state?.stage !== stage) {
    redirectToInteraction(ctx, details.uid);
    return undefined;
  }
  const account = await requireActiveAccount(deps, details.uid, state.accountId);
  return { details, form, state: state as Extract<LoginState, { stage: S }>, account };
}

/**
 * Every step after the password re-reads the account: one disabled or deleted since the sign-in
 * began gets no further, and its sign-in state is dropped.
 */
export async function requireActiveAccount(deps: Pick<InteractionDeps, 'accounts' | 'loginStates'>, uid: string, accountId: string): Promise<Account> {
  const account = await deps.accounts.findById(accountId);
  if (account?.status === 'active') return account;
  await deps.loginStates.delete(uid);
  throw new AccountUnavailableError();
}
