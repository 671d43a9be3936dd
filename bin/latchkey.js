#!/usr/bin/env node
// In a checkout (sources and tsx present) the CLI runs from src/ through tsx, so it can never
// be older than the code beside it; the production image has only dist/ and runs that.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/bin.ts', import.meta.url);
const compiled = new URL('../dist/cli/bin.js', import.meta.url);

async function loadTsx() {
  try {
    return await import('tsx/esm/api');
  } catch {
    return undefined;
  }
}

const tsx = existsSync(source) ? await loadTsx() : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('latchkey: run `npm run build` first (dist/cli/bin.js is missing)\n');
  process.exitCode = 1;
}
