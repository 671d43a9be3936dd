import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { AUDIT_EVENT_TYPES } from '../../../src/audit/audit-event-types.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the list of audit event types', () => {
  it('names every type the code records, and nothing else', () => {
    const recorded = new Set<string>();
    for (const file of sourceFiles('src')) {
      const text = readFileSync(file, 'utf8');
      // `type: 'x.y'` in record calls, the provider event map's second column, the CLI's table.
      for (const match of text.matchAll(/type: '([a-z_]+\.[a-z_.]+)'/g)) recorded.add(match[1] ?? '');
      for (const match of text.matchAll(/\['[a-z_.]+', '([a-z_]+\.[a-z_]+)', '(?:success|failure)'\]/g)) recorded.add(match[1] ?? '');
      for (const match of text.matchAll(/^\s+'?[a-z-]+'?: '([a-z_]+\.[a-z_]+)',$/gm)) recorded.add(match[1] ?? '');
    }
    recorded.delete('');
    // Page text is named by catalogue keys of the same shape (`title: 'login.title',`): not events.
    for (const key of Object.keys(JSON.parse(readFileSync('views/locales/en.json', 'utf8')) as object)) recorded.delete(key);
    expect([...recorded].sort()).toEqual([...AUDIT_EVENT_TYPES].sort());
  });
});
