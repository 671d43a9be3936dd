import { message, type Message } from '../i18n/message.js';

/** What a person sees when the provider refuses a request in the browser: plain words, a next step. */
export interface ErrorPage {
  /** Catalogue key of the heading. */
  readonly heading: string;
  readonly explanation: Message;
}

const BACK = message('errorPage.back');

function page(heading: string, explanation: string, withBack = true): ErrorPage {
  return { heading, explanation: message(explanation, withBack ? { back: BACK } : undefined) };
}

const PAGES: Readonly<Record<string, ErrorPage>> = {
  invalid_redirect_uri: page('errorPage.invalidRedirectUri.heading', 'errorPage.invalidRedirectUri.text'),
  invalid_client: page('errorPage.invalidClient.heading', 'errorPage.invalidClient.text'),
  unauthorized_client: page('errorPage.unauthorizedClient.heading', 'errorPage.unauthorizedClient.text'),
  unsupported_response_type: page('errorPage.unsupportedResponseType.heading', 'errorPage.unsupportedResponseType.text'),
  invalid_scope: page('errorPage.invalidScope.heading', 'errorPage.invalidScope.text'),
  invalid_request_object: page('errorPage.invalidRequestObject.heading', 'errorPage.invalidRequestObject.text'),
  invalid_request_uri: page('errorPage.invalidRequestUri.heading', 'errorPage.invalidRequestUri.text'),
  invalid_request: page('errorPage.invalidRequest.heading', 'errorPage.invalidRequest.text'),
  temporarily_unavailable: page('errorPage.temporarilyUnavailable.heading', 'errorPage.temporarilyUnavailable.text', false),
  server_error: page('errorPage.serverError.heading', 'errorPage.serverError.text', false),
};

const UNKNOWN: ErrorPage = { heading: 'errorPage.unknown.heading', explanation: BACK };

// RP-initiated logout: any refusal means the same to the person, whose session is untouched.
const SIGN_OUT = page('errorPage.signOut.heading', 'errorPage.signOut.text');

/**
 * The page for an OAuth error code; the provider's own description goes under it as detail.
 * `route` is the provider's route name: refusals at the end-session endpoint are about signing out.
 */
export function errorPageFor(error: string, route?: string): ErrorPage {
  if (route === 'end_session' && error !== 'temporarily_unavailable' && error !== 'server_error') return SIGN_OUT;
  return PAGES[error] ?? UNKNOWN;
}
