import { createRenderer, type Renderer } from '../../../src/http/renderer.js';
import { message } from '../../../src/i18n/message.js';
import { createMailWriter } from '../../../src/mail/mail-writer.js';
import { createDisabledMailer, type MailMessage, type Mailer } from '../../../src/mail/mailer.js';
import { createCapturingLogger } from '../../support/test-env.js';

const ISSUER = 'https://id.example.test';
const NOTICE = {
  to: { id: 'acc-1', email: 'ada@example.test' },
  subject: message('mail.newSignIn.subject'),
  view: 'new-sign-in',
  model: { address: '203.0.113.7', userAgent: 'Test Browser', at: new Date('2026-11-27T05:00:00Z') },
  locale: 'en',
};

function recordingMailer(): Mailer & { sent: MailMessage[] } {
  const sent: MailMessage[] = [];
  return { delivers: true, sent, send: async (mail) => void sent.push(mail) };
}

/** Counts what it renders, so a test can tell that nothing was. */
function countingRenderer(): Renderer & { renders: () => number } {
  const real = createRenderer();
  let renders = 0;
  return {
    locales: real.locales,
    translate: (text, locale) => real.translate(text, locale),
    render(view, model, locale) {
      renders += 1;
      return real.render(view, model, locale);
    },
    renders: () => renders,
  };
}

describe('createMailWriter', () => {
  it('renders the text and HTML of a notice and hands both to a mailer that delivers', async () => {
    const mailer = recordingMailer();
    const renderer = countingRenderer();
    createMailWriter({ mailer, renderer, logger: createCapturingLogger().logger, issuer: ISSUER }).send(NOTICE);
    await new Promise((resolve) => setImmediate(resolve));
    expect(renderer.renders()).toBe(2);
    expect(mailer.sent).toHaveLength(1);
    const [mail] = mailer.sent;
    expect(mail?.to).toBe('ada@example.test');
    expect(mail?.text).toContain('203.0.113.7');
    expect(mail?.html).toContain('203.0.113.7');
  });

  it('renders nothing when the mailer delivers nowhere (production without SMTP_URL)', () => {
    const disabled = createDisabledMailer();
    let sends = 0;
    const mailer: Mailer = { delivers: disabled.delivers, send: async (mail) => { sends += 1; await disabled.send(mail); } };
    const renderer = countingRenderer();
    createMailWriter({ mailer, renderer, logger: createCapturingLogger().logger, issuer: ISSUER }).send(NOTICE);
    expect(renderer.renders()).toBe(0);
    expect(sends).toBe(0);
  });
});
