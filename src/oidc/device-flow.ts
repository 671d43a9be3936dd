import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';

import { sendPage } from '../http/send-page.js';
import type { Renderer } from '../http/renderer.js';
import { message, type Message } from '../i18n/message.js';

/** RFC 8628 section 3.4: the grant type a device polls the token endpoint with. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Where people type the code their device shows (oidc-provider's route). */
export const DEVICE_PATH = '/device';

type DeviceFlowFeature = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;

function clientNameOf(ctx: KoaContextWithOIDC): string {
  const client = ctx.oidc.client;
  return client?.clientName ?? client?.clientId ?? '';
}

/**
 * The action and anti-forgery token of the form oidc-provider made for a device page. Our pages
 * write their own form (labelled, no inline script) around these two values.
 */
function providerFormFields(form: string): { action: string; xsrf: string } {
  const action = /\saction="([^"]+)"/.exec(form)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (!action || !xsrf) throw new Error('oidc-provider changed its device form: no action or xsrf field');
  return { action, xsrf };
}

/** What the code page says after a failed attempt, without telling a guesser more than "no". */
function describeFailure(error: { name?: string; userCode?: unknown } | undefined): Message | undefined {
  if (!error) return undefined;
  if (error.userCode !== undefined || error.name === 'NoCodeError' || error.name === 'NotFoundError' || error.name === 'ExpiredError' || error.name === 'AlreadyUsedError') return message('device.wrongCode');
  if (error.name === 'AbortedError') return message('device.aborted');
  return message('device.failed');
}

/**
 * RFC 8628 device sign-in: a TV or a CLI shows a code, the person types it at /device, confirms
 * the device, then signs in with password and second factor and consents on the same pages as
 * any sign-in. These are the three pages oidc-provider leaves to us. Codes are 8 characters of
 * a 20-letter alphabet (20^8 ≈ 2.6 × 10^10), and POST /device shares the interaction pages'
 * per-address rate limit (app.ts), so guessing one is hopeless.
 */
export function buildDeviceFlowFeature(renderer: Renderer): DeviceFlowFeature {
  return {
    enabled: true,
    charset: 'base-20',
    mask: '****-****',
    userCodeInputSource(ctx, form, _out, error) {
      const failure = describeFailure(error);
      const typed = ctx.oidc.params?.user_code;
      sendPage(ctx, renderer, 'device-code', { title: 'device.title', ...providerFormFields(form), error: failure, userCode: typeof typed === 'string' ? typed : '' }, { status: failure ? 400 : 200 });
    },
    userCodeConfirmSource(ctx, form, _client, _deviceInfo, userCode) {
      sendPage(ctx, renderer, 'device-confirm', { title: 'device.confirmTitle', ...providerFormFields(form), clientName: clientNameOf(ctx), userCode });
    },
    successSource(ctx) {
      sendPage(ctx, renderer, 'device-done', { title: 'device.doneTitle', clientName: clientNameOf(ctx) });
    },
  };
}
