import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CatalogueError, loadMessageCatalogue, DEFAULT_LOCALES_DIR } from '../../../src/i18n/message-catalogue.js';
import { message } from '../../../src/i18n/message.js';

const shipped = loadMessageCatalogue();

function catalogueDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-catalogue-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return dir;
}

function refusal(files: Record<string, unknown>): string {
  const dir = catalogueDir(files);
  try {
    loadMessageCatalogue(dir);
    return 'loaded';
  } catch (error) {
    expect(error).toBeInstanceOf(CatalogueError);
    return (error as Error).message;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the message catalogue', () => {
  it('ships English first and German, and every message of each formats with sample values', () => {
    expect(shipped.locales).toEqual(['en', 'de']);
    const keys = Object.keys(JSON.parse(readFileSync(join(DEFAULT_LOCALES_DIR, 'en.json'), 'utf8')) as object);
    const sample = { name: 'Blue key', limit: 10, app: 'Photo Printer', email: 'a@example.com', wait: message('wait.minutes', { count: 2 }), count: 2, minutes: 30, at: new Date(0), back: message('errorPage.back'), detail: 'x', code: 'invalid_request', scope: 's', scopes: 'openid', attributes: 'a', min: 12, max: 128, site: 'id.example.com', download: 'd', address: '192.0.2.1', forgot: 'Forgot?', what: message('mail.change.password'), link: 'https://id.example.com/x' };
    for (const locale of shipped.locales) {
      const t = shipped.translator(locale);
      for (const key of keys) expect(t(key, sample)).not.toBe('');
    }
  });

  it('chooses plural forms and nested messages in each language', () => {
    const en = shipped.translator('en');
    const de = shipped.translator('de');
    expect(en.text(message('refusal.pair', { wait: message('wait.minutes', { count: 1 }) }))).toBe('Too many attempts from this device; try again in 1 minute.');
    expect(en('wait.seconds', { count: 30 })).toBe('30 seconds');
    expect(de('wait.minutes', { count: 1 })).toBe('1 Minute');
    expect(de('wait.minutes', { count: 5 })).toBe('5 Minuten');
    expect(en('account.signedInThere', { at: new Date(Date.UTC(2026, 10, 26, 9, 5)) })).toContain('UTC');
  });

  it('escapes names and text in HTML messages; markup comes only from element()', () => {
    const en = shipped.translator('en');
    const html = en.html('login.continueTo', { app: en.element('strong', { 'data-x': '"><script>' }, '<img src=x onerror=alert(1)>') });
    expect(html).toBe('to continue to <strong data-x="&quot;&gt;&lt;script&gt;">&lt;img src=x onerror=alert(1)&gt;</strong>');
    expect(en.html('login.continueTo', { app: '<b>Evil</b>' })).toBe('to continue to &lt;b&gt;Evil&lt;/b&gt;');
    expect(() => en.element('img src=x', {}, '')).toThrow(CatalogueError);
  });

  it('answers a language it does not have in English, and refuses a key it does not know', () => {
    expect(shipped.translator('fr').locale).toBe('en');
    expect(() => shipped.translator('en')('no.such.key')).toThrow(CatalogueError);
  });

  it('refuses at start a translation that is incomplete, has a key of its own, other arguments, or broken syntax', () => {
    const en = { 'a.b': 'Hello {name}', 'a.c': 'Bye' };
    expect(refusal({ 'en.json': en, 'de.json': { 'a.b': 'Hallo {name}', 'a.c': 'Tschüss' } })).toBe('loaded');
    expect(refusal({ 'en.json': en, 'de.json': { 'a.b': 'Hallo {name}' } })).toMatch(/missing 1 message\(s\): a\.c/);
    expect(refusal({ 'en.json': en, 'de.json': { ...en, 'a.d': 'extra' } })).toMatch(/"a\.d" is not in en\.json/);
    expect(refusal({ 'en.json': en, 'de.json': { 'a.b': 'Hallo {nom}', 'a.c': 'Tschüss' } })).toMatch(/"a\.b" must use the arguments \{name\}/);
    expect(refusal({ 'en.json': en, 'de.json': { 'a.b': 'Hallo {name', 'a.c': 'Tschüss' } })).toMatch(/not a valid ICU message/);
    expect(refusal({ 'en.json': en, 'de.json': { 'a.b': 3, 'a.c': 'Tschüss' } })).toMatch(/must be a string/);
    expect(refusal({ 'en.json': en, 'de.json': '{ not json' })).toMatch(/not readable JSON/);
    expect(refusal({ 'en.json': en, 'de_DE.json': en })).toMatch(/BCP 47/);
    expect(refusal({ 'de.json': en })).toMatch(/en\.json \(the source catalogue\) is missing/);
  });
});
