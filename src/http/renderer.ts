import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pug from 'pug';

/** Renders a pug template from views/ with a view model; templates are compiled once. */
export interface Renderer {
  render(view: string, model: Readonly<Record<string, unknown>>): string;
}

export const DEFAULT_VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

/** `globals` are in every view's model (the branding), under the view's own values. */
export function createRenderer(viewsDir: string = DEFAULT_VIEWS_DIR, globals: Readonly<Record<string, unknown>> = {}): Renderer {
  const compiled = new Map<string, pug.compileTemplate>();
  return {
    render(view, viewModel) {
      const model = { ...globals, ...viewModel };
      let template = compiled.get(view);
      if (!template) {
        template = pug.compileFile(join(viewsDir, `${view}.pug`), { basedir: viewsDir });
        compiled.set(view, template);
      }
      return template(model);
    },
  };
}
