/** What a person sees when the provider refuses a request in the browser: plain words, a next step. */
export interface ErrorPage {
  readonly heading: string;
  readonly explanation: string;
}

const BACK = 'Go back to the application you came from and try again. If it keeps happening, tell the people who run that application: the details below are for them.';

const PAGES: Readonly<Record<string, ErrorPage>> = {
  invalid_redirect_uri: {
    heading: 'This sign-in link is not set up correctly',
    explanation: `The application asked to send you back to an address it has not registered with us (its redirect_uri), so we did not send you there. ${BACK}`,
  },
  invalid_client: {
    heading: 'We do not know this application',
    explanation: `The application that sent you here is not registered with us, or it has been removed. ${BACK}`,
  },
  unauthorized_client: {
    heading: 'This application may not sign you in this way',
    explanation: `The application asked for a kind of sign-in it is not allowed to use. ${BACK}`,
  },
  unsupported_response_type: {
    heading: 'This application asked for something we do not offer',
    explanation: `The application asked for a kind of answer we do not give (its response_type). ${BACK}`,
  },
  invalid_scope: {
    heading: 'This application asked for access we cannot give',
    explanation: `The application asked for a kind of access (scope) it is not allowed. ${BACK}`,
  },
  invalid_request_object: {
    heading: 'The sign-in request could not be verified',
    explanation: `The application sent its request in a signed form we could not check. ${BACK}`,
  },
  invalid_request_uri: {
    heading: 'This sign-in link has expired or was already used',
    explanation: `Sign-in links like this one work once and for a short time. ${BACK}`,
  },
  invalid_request: {
    heading: 'The sign-in request is incomplete',
    explanation: `The application sent a request we cannot act on. ${BACK}`,
  },
  temporarily_unavailable: {
    heading: 'Sign-in is briefly unavailable',
    explanation: 'Please try again in a moment.',
  },
  server_error: {
    heading: 'Something went wrong on our side',
    explanation: 'Please try again in a moment. If it keeps happening, let us know.',
  },
};

const UNKNOWN: ErrorPage = { heading: 'We could not complete this request', explanation: BACK };

// RP-initiated logout: any refusal means the same to the person, whose session is untouched.
const SIGN_OUT: ErrorPage = {
  heading: 'This sign-out link is not valid',
  explanation: `The application asked us to sign you out with a link we cannot act on (for example one that names a return address it has not registered, or a token that is not ours), so nothing was changed: you may still be signed in here. ${BACK}`,
};

/**
 * The page for an OAuth error code; the provider's own description goes under it as detail.
 * `route` is the provider's route name: refusals at the end-session endpoint are about signing out.
 */
export function errorPageFor(error: string, route?: string): ErrorPage {
  if (route === 'end_session' && error !== 'temporarily_unavailable' && error !== 'server_error') return SIGN_OUT;
  return PAGES[error] ?? UNKNOWN;
}
