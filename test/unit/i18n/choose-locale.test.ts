import { chooseLocale } from '../../../src/i18n/choose-locale.js';

const SUPPORTED = ['en', 'de'];

/** Koa's acceptsLanguages as it behaves for one Accept-Language header (negotiator's matching). */
function accepting(header: string | undefined): (languages: string[]) => string | false {
  return (languages) => {
    if (!header) return languages[0] ?? false;
    const wanted = header.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '');
    for (const tag of wanted) {
      const hit = languages.find((language) => language === tag || language === tag.split('-')[0]);
      if (hit) return hit;
    }
    return false;
  };
}

describe('which language a page is written in', () => {
  it('follows the first of the relying party\'s ui_locales that is available', () => {
    expect(chooseLocale(SUPPORTED, 'fr-CA de-AT en', accepting('en'))).toBe('de');
    expect(chooseLocale(SUPPORTED, 'DE', accepting(undefined))).toBe('de');
    expect(chooseLocale(SUPPORTED, 'en', accepting('de-DE'))).toBe('en');
  });

  it('falls back to Accept-Language, then to English', () => {
    expect(chooseLocale(SUPPORTED, 'fr', accepting('de-DE,de;q=0.9'))).toBe('de');
    expect(chooseLocale(SUPPORTED, undefined, accepting('ja'))).toBe('en');
    expect(chooseLocale(SUPPORTED, '', accepting(undefined))).toBe('en');
  });
});
