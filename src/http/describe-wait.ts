import { message, type Message } from '../i18n/message.js';

/** How long to wait, in words a person reads: seconds under a minute and a half, else minutes. */
export function describeWait(seconds: number): Message {
  if (seconds < 90) return message('wait.seconds', { count: seconds });
  return message('wait.minutes', { count: Math.ceil(seconds / 60) });
}
