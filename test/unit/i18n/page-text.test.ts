import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import lex from 'pug-lexer';

function filesUnder(dir: string, extension: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path, extension) : path.endsWith(extension) ? [path] : [];
  });
}

const catalogue = JSON.parse(readFileSync('views/locales/en.json', 'utf8')) as Record<string, string>;
const pages = filesUnder('views', '.pug');
const sources = [...filesUnder('src', '.ts'), ...filesUnder('views', '.pug')].map((path) => ({ path, text: readFileSync(path, 'utf8') }));

// Attributes a person reads or hears (a screen reader): their text belongs in the catalogue too.
const READ_ATTRIBUTES = new Set(['alt', 'title', 'placeholder', 'aria-label', 'aria-description']);

interface PugToken {
  type: string;
  val?: unknown;
  name?: string;
  line?: number;
}

/** Words written straight into a page template, instead of taken from the catalogue. */
function literalText(path: string): string[] {
  const found: string[] = [];
  let lastTag = '';
  let inStyle = false;
  for (const token of lex(readFileSync(path, 'utf8'), { filename: path }) as PugToken[]) {
    if (token.type === 'tag') lastTag = String(token.val);
    if (token.type === 'start-pipeless-text') inStyle = lastTag === 'style';
    if (token.type === 'end-pipeless-text') inStyle = false;
    if (token.type === 'text' && !inStyle && /\p{L}/u.test(String(token.val))) found.push(`${path}:${token.line}: ${String(token.val)}`);
    if (token.type === 'attribute' && READ_ATTRIBUTES.has(token.name ?? '') && typeof token.val === 'string' && /^['"].*\p{L}/u.test(token.val)) found.push(`${path}:${token.line}: ${token.name}=${token.val}`);
  }
  return found;
}

describe('page text', () => {
  it('is never written into a page or mail template: every word comes from the catalogue', () => {
    expect(pages.length).toBeGreaterThan(30);
    expect(pages.flatMap(literalText)).toEqual([]);
  });

  it('finds words written into a template (the check above can fail)', () => {
    const tokens = lex('p Hello\nimg(alt="A photo")\nstyle.\n  body { color: red; }\np= t("x")', { filename: 'probe.pug' }) as PugToken[];
    expect(tokens.filter((token) => token.type === 'text').map((token) => token.val)).toContain('Hello');
  });

  it('names only messages the English catalogue has', () => {
    const patterns = [/\bt\(\s*'([^']+)'/g, /\bt\.html\(\s*'([^']+)'/g, /\bmessage\(\s*'([^']+)'/g, /\bt\([\w.]+ \? '([^']+)' : '([^']+)'/g, /\b(?:title|heading): '([a-z][A-Za-z]*\.[A-Za-z.]+)'/g];
    const unknown: string[] = [];
    for (const { path, text } of sources) {
      for (const pattern of patterns) {
        for (const match of text.matchAll(pattern)) {
          for (const key of match.slice(1)) if (key !== undefined && !(key in catalogue)) unknown.push(`${path}: ${key}`);
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  it('has no message that nothing uses', () => {
    const everything = sources.map((source) => source.text).join('\n');
    expect(Object.keys(catalogue).filter((key) => !everything.includes(`'${key}'`))).toEqual([]);
  });
});
