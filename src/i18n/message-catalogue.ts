import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IntlMessageFormat } from 'intl-messageformat';

import { isMessage, type Message, type MessageValue } from './message.js';

export const DEFAULT_LOCALES_DIR = fileURLToPath(new URL('../../views/locales/', import.meta.url));

/** The source language: every other catalogue must have exactly its keys and arguments. */
export const SOURCE_LOCALE = 'en';

/** Markup a translation may carry: built only by `element`, which escapes what goes in. */
export class SafeHtml {
  constructor(readonly html: string) {}
}

export type HtmlValue = MessageValue | SafeHtml;

/** Page text in one language. Pug calls it with a key and values; `=` escapes the result. */
export interface Translator {
  (key: string, values?: Readonly<Record<string, MessageValue>>): string;
  readonly locale: string;
  /** A message chosen by code (a refusal, an error), or a bare key. */
  text(message: Message | string): string;
  /** A name as it was registered (an application's), or words of ours standing for one. */
  name(value: Message | string): string;
  /** Escaped text with elements in it (a name in bold with a data attribute), for pug's `!=`. */
  html(key: string, values: Readonly<Record<string, HtmlValue>>): string;
  element(tag: string, attributes: Readonly<Record<string, string | true>>, text: string): SafeHtml;
}

export interface MessageCatalogue {
  /** The source locale first. */
  readonly locales: readonly string[];
  translator(locale: string): Translator;
}

export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
}

// Named date formats for `{at, date, signedIn}`: a person's sessions are shown in UTC, stated.
const FORMATS = {
  date: {
    signedIn: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short' },
  },
} as const;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

interface AstElement {
  type: number;
  value?: string;
  options?: Record<string, { value: AstElement[] }>;
  children?: AstElement[];
}

// intl-messageformat's element types that name an argument: argument, number, date, time, select, plural.
const ARGUMENT_TYPES = new Set([1, 2, 3, 4, 5, 6]);

function argumentsOf(elements: readonly AstElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    if (ARGUMENT_TYPES.has(element.type) && element.value) into.add(element.value);
    for (const option of Object.values(element.options ?? {})) argumentsOf(option.value, into);
    if (element.children) argumentsOf(element.children, into);
  }
  return into;
}

function compile(pattern: string, locale: string, where: string): IntlMessageFormat {
  try {
    // Tags are off: a '<' in a translation is text, and markup comes only from `element`.
    return new IntlMessageFormat(pattern, locale, FORMATS, { ignoreTag: true });
  } catch (error) {
    throw new CatalogueError(`${where}: not a valid ICU message (${error instanceof Error ? error.message : String(error)})`);
  }
}

function readCatalogueFile(path: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CatalogueError(`${path}: not readable JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CatalogueError(`${path}: must be an object of key -> message`);
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new CatalogueError(`${path}: "${key}" must be a string`);
  }
  return parsed as Record<string, string>;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((item) => b.has(item));
}

/**
 * Reads `<locale>.json` files from `dir` once at start and compiles every message, so a broken
 * or incomplete translation stops the server at start instead of showing a person a key.
 */
export function loadMessageCatalogue(dir: string = DEFAULT_LOCALES_DIR): MessageCatalogue {
  const files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  const locales = files.map((name) => name.slice(0, -'.json'.length));
  if (!locales.includes(SOURCE_LOCALE)) throw new CatalogueError(`${dir}: ${SOURCE_LOCALE}.json (the source catalogue) is missing`);
  for (const locale of locales) {
    let canonical: string[];
    try {
      canonical = Intl.getCanonicalLocales(locale);
    } catch {
      canonical = [];
    }
    if (canonical[0] !== locale) throw new CatalogueError(`${dir}${locale}.json: the file name must be a BCP 47 language tag such as de or pt-BR`);
  }
  const compiled = new Map<string, Map<string, IntlMessageFormat>>();
  const sourceArguments = new Map<string, Set<string>>();
  const ordered = [SOURCE_LOCALE, ...locales.filter((locale) => locale !== SOURCE_LOCALE)];
  for (const locale of ordered) {
    const path = join(dir, `${locale}.json`);
    const messages = readCatalogueFile(path);
    const formats = new Map<string, IntlMessageFormat>();
    for (const [key, pattern] of Object.entries(messages)) {
      const format = compile(pattern, locale, `${path} "${key}"`);
      const names = argumentsOf(format.getAst());
      if (locale === SOURCE_LOCALE) {
        sourceArguments.set(key, names);
      } else {
        const expected = sourceArguments.get(key);
        if (!expected) throw new CatalogueError(`${path}: "${key}" is not in ${SOURCE_LOCALE}.json`);
        if (!sameSet(names, expected)) throw new CatalogueError(`${path}: "${key}" must use the arguments {${[...expected].sort().join('}, {')}}, as ${SOURCE_LOCALE}.json does`);
      }
      formats.set(key, format);
    }
    const missing = [...sourceArguments.keys()].filter((key) => !formats.has(key));
    if (missing.length > 0) throw new CatalogueError(`${path}: missing ${missing.length} message(s): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
    compiled.set(locale, formats);
  }

  const translators = new Map<string, Translator>();
  for (const locale of ordered) translators.set(locale, buildTranslator(locale, compiled.get(locale) ?? new Map()));
  return {
    locales: ordered,
    translator(locale) {
      const translator = translators.get(locale) ?? translators.get(SOURCE_LOCALE);
      if (!translator) throw new CatalogueError(`no catalogue for ${locale}`);
      return translator;
    },
  };
}

function buildTranslator(locale: string, formats: ReadonlyMap<string, IntlMessageFormat>): Translator {
  const formatOf = (key: string): IntlMessageFormat => {
    const format = formats.get(key);
    // A key missing here is a programming error: a unit test keeps every key used in the catalogue.
    if (!format) throw new CatalogueError(`no message "${key}" in ${locale}`);
    return format;
  };
  const resolve = (values: Readonly<Record<string, MessageValue>> | undefined): Record<string, string | number | Date> => {
    const out: Record<string, string | number | Date> = {};
    for (const [name, value] of Object.entries(values ?? {})) out[name] = isMessage(value) ? translate(value.key, value.values) : value;
    return out;
  };
  const translate = (key: string, values?: Readonly<Record<string, MessageValue>>): string => String(formatOf(key).format(resolve(values)));

  const translator = ((key: string, values?: Readonly<Record<string, MessageValue>>) => translate(key, values)) as Translator;
  Object.defineProperties(translator, {
    locale: { value: locale, enumerable: true },
    text: { value: (text: Message | string) => (typeof text === 'string' ? translate(text) : translate(text.key, text.values)) },
    name: { value: (value: Message | string) => (typeof value === 'string' ? value : translate(value.key, value.values)) },
    html: {
      value: (key: string, values: Readonly<Record<string, HtmlValue>>): string => {
        const plain: Record<string, MessageValue> = {};
        const markup: Record<string, SafeHtml> = {};
        for (const [name, value] of Object.entries(values)) {
          if (value instanceof SafeHtml) markup[name] = value;
          else plain[name] = value;
        }
        const parts = formatOf(key).format<SafeHtml>({ ...resolve(plain), ...markup });
        return (Array.isArray(parts) ? parts : [parts]).map((part) => (part instanceof SafeHtml ? part.html : escapeHtml(String(part)))).join('');
      },
    },
    element: {
      value: (tag: string, attributes: Readonly<Record<string, string | true>>, text: string): SafeHtml => {
        if (!/^[a-z][a-z0-9]*$/.test(tag)) throw new CatalogueError(`not an element name: ${tag}`);
        const attrs = Object.entries(attributes).map(([name, value]) => {
          if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new CatalogueError(`not an attribute name: ${name}`);
          return value === true ? ` ${name}` : ` ${name}="${escapeHtml(value)}"`;
        }).join('');
        return new SafeHtml(`<${tag}${attrs}>${escapeHtml(text)}</${tag}>`);
      },
    },
  });
  return translator;
}
