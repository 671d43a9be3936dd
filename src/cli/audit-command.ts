import { parseArgs } from 'node:util';

import type { AuditStore } from '../audit/audit-event.js';
import { AUDIT_EVENT_TYPES, isAuditEventType } from '../audit/audit-event-types.js';
import { toAuditJson } from '../audit/audit-json.js';
import { parseLimit, toCliFailure, UsageError } from './cli-error.js';
import { formatTable, type CliOutput } from './cli-output.js';

export const AUDIT_USAGE = `latchkey audit list [--type T] [--account ID] [--client ID] [--since ISO] [--limit N] [--before CURSOR]
    --type T      one of: ${wrapTypes()}
    --account ID  events of one user (its id, the OpenID sub)
    --client ID   events of one client
    --since ISO   events at or after this time, e.g. 2026-11-25T12:00:00Z
    --limit N     at most N events (1-500, default 50)
    --before C    the page after the one that returned next_cursor C`;

function wrapTypes(): string {
  const lines: string[] = [];
  let line = '';
  for (const type of AUDIT_EVENT_TYPES) {
    if (line.length + type.length > 70) {
      lines.push(line.trimEnd());
      line = '';
    }
    line += `${type} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n                  ');
}

export interface AuditListArgs {
  readonly limit: number;
  readonly type?: string;
  readonly accountId?: string;
  readonly clientId?: string;
  readonly since?: Date;
  readonly before?: string;
}

/** Reads and checks `audit list` arguments; called before any database is opened. */
export function parseAuditArgs(args: readonly string[]): AuditListArgs {
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
  if (values.type !== undefined && !isAuditEventType(values.type)) {
    throw new UsageError(`unknown event type "${values.type}"; known types: ${AUDIT_EVENT_TYPES.join(', ')}`);
  }
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError('--since must be an ISO 8601 date or time, e.g. 2026-11-25T12:00:00Z');
  return {
    limit: parseLimit(values.limit),
    ...(values.type ? { type: values.type } : {}),
    ...(values.account ? { accountId: values.account } : {}),
    ...(values.client ? { clientId: values.client } : {}),
    ...(since ? { since } : {}),
    ...(values.before ? { before: values.before } : {}),
  };
}

/** `latchkey audit list`: the trail, newest first. */
export async function runAuditCommand(query: AuditListArgs, store: AuditStore, output: CliOutput): Promise<void> {
  const events = await store.query(query);
  const last = events.at(-1);
  output.result(
    { events: events.map(toAuditJson), ...(events.length === query.limit && last ? { next_cursor: last.id } : {}) },
    () => formatTable(['TIME', 'TYPE', 'OUTCOME', 'ACCOUNT', 'CLIENT', 'IP'], events.map((event) => [
      event.time.toISOString(), event.type, event.outcome, event.accountId ?? '-', event.clientId ?? '-', event.ip ?? '-',
    ])),
  );
}
