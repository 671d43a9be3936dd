import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pug from 'pug';

import { loadMessageCatalogue, SOURCE_LOCALE, type MessageCatalogue } from '../i18n/message-catalogue.js';
import type { Message } from '../i18n/message.js';

/**
 * Renders a pug template from views/ with a view model, in one of the catalogue's languages;
 * templates are compiled once. Every template gets `t` (the translator) and `lang`.
 */
export interface Renderer {
  /** The languages pages can be written in, the source (English) first. */
  readonly locales: readonly string[];
  render(view: string, model: Readonly<Record<string, unknown>>, locale?: string): string;
  /** One message outside a template (a mail's subject). */
  translate(text: Message, locale?: string): string;
}

export const DEFAULT_VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

/** `globals` are in every view's model (the branding), under the view's own values. */
export function createRenderer(viewsDir: string = DEFAULT_VIEWS_DIR, globals: Readonly<Record<string, unknown>> = {}, catalogue: MessageCatalogue = loadMessageCatalogue(join(viewsDir, 'locales'))): Renderer {
  const compiled = new Map<string, pug.compileTemplate>();
  return {
    locales: catalogue.locales,
    render(view, viewModel, locale = SOURCE_LOCALE) {
      const t = catalogue.translator(locale);
      const model = { ...globals, ...viewModel, t, lang: t.locale };
      let template = compiled.get(view);
      if (!template) {
        template = pug.compileFile(join(viewsDir, `${view}.pug`), { basedir: viewsDir });
        compiled.set(view, template);
      }
      return template(model);
    },
    translate(text, locale = SOURCE_LOCALE) {
      return catalogue.translator(locale).text(text);
    },
  };
}
