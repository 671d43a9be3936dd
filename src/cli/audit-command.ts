import { parseArgs } from 'node:util';

import type { AuditStore } from '../audit/audit-event.js';
import { toAuditJson } from '../audit/audit-json.js';
import { parseLimit, toCliFailure, UsageError } from './cli-error.js';
import { formatTable, type CliOutput } from './cli-output.js';

export const AUDIT_USAGE = 'latchkey audit list [--type T] [--account ID] [--client ID] [--since ISO] [--limit N] [--before CURSOR]';

/** `latchkey audit list`: the trail, newest first. */
export async function runAuditCommand(args: readonly string[], store: AuditStore, output: CliOutput): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand !== 'list') throw new UsageError(`unknown audit command${subcommand ? ` "${subcommand}"` : ''}\n${AUDIT_USAGE}`);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: { type: { type: 'string' }, account: { type: 'string' }, client: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' }, before: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    throw toCliFailure(error);
  }
  const limit = parseLimit(values.limit);
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError('--since must be an ISO 8601 date or time, e.g. 2026-11-25T12:00:00Z');
  const events = await store.query({
    limit,
    ...(values.type ? { type: values.type } : {}),
    ...(values.account ? { accountId: values.account } : {}),
    ...(values.client ? { clientId: values.client } : {}),
    ...(since ? { since } : {}),
    ...(values.before ? { before: values.before } : {}),
  });
  const last = events.at(-1);
  output.result(
    { events: events.map(toAuditJson), ...(events.length === limit && last ? { next_cursor: last.id } : {}) },
    () => formatTable(['TIME', 'TYPE', 'OUTCOME', 'ACCOUNT', 'CLIENT', 'IP'], events.map((event) => [
      event.time.toISOString(), event.type, event.outcome, event.accountId ?? '-', event.clientId ?? '-', event.ip ?? '-',
    ])),
  );
}
