/**
 * The language a page is written in: the relying party's `ui_locales` (OpenID Connect Core
 * 3.1.2.1, space-separated, in order of preference) when one of them is available, else the
 * browser's Accept-Language, else the first supported locale (English).
 */
export function chooseLocale(supported: readonly string[], uiLocales: string | undefined, acceptsLanguages: (languages: string[]) => string | false): string {
  const fallback = supported[0] ?? 'en';
  for (const tag of (uiLocales ?? '').split(' ').filter(Boolean).slice(0, 10)) {
    const wanted = tag.toLowerCase();
    const exact = supported.find((locale) => locale.toLowerCase() === wanted);
    if (exact) return exact;
    const primary = supported.find((locale) => locale.toLowerCase() === wanted.split('-')[0]);
    if (primary) return primary;
  }
  const accepted = acceptsLanguages([...supported]);
  return accepted === false ? fallback : accepted;
}
