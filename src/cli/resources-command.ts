import { parseArgs } from 'node:util';

import type { AuditLog } from '../audit/audit-log.js';
import { toResourceJson, type ResourceService } from '../resources/resource-service.js';
import { CLI_CONTEXT } from './cli-audit-context.js';
import { parseLimit, toCliFailure, unknownSubcommand, UsageError } from './cli-error.js';
import { formatTable, type CliOutput } from './cli-output.js';

/** The subcommands, checked before any database is opened. */
export const RESOURCES_SUBCOMMANDS: readonly string[] = ['create', 'list', 'show', 'delete'];

export const RESOURCES_USAGE = `latchkey resources create --identifier URI [--scope "a b"] [--format jwt|opaque] [--ttl SECONDS] [--introspector CLIENT_ID]...
    --identifier URI        the resource indicator (RFC 8707) clients name; tokens for it are audienced to it
    --scope "a b"           the scopes a token for it may carry
    --format jwt|opaque     JWT access tokens (RFC 9068, verified offline against the JWKS) or opaque ones (introspection)
    --ttl SECONDS           access token lifetime for this resource
    --introspector ID       a client allowed to introspect this resource's tokens (repeatable)
latchkey resources list [--limit N] [--after CURSOR]
latchkey resources show|delete <identifier>`;

/** `latchkey resources ...`: registered resource servers (RFC 8707). */
export async function runResourcesCommand(args: readonly string[], open: () => Promise<ResourceService>, output: CliOutput, audit: Pick<AuditLog, 'record'>): Promise<void> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'create': {
        const { values } = parseArgs({
          args: [...rest],
          options: { identifier: { type: 'string' }, scope: { type: 'string' }, format: { type: 'string' }, ttl: { type: 'string' }, introspector: { type: 'string', multiple: true } },
          strict: true,
        });
        if (!values.identifier) throw new UsageError('resources create needs --identifier');
        if (values.format !== undefined && values.format !== 'jwt' && values.format !== 'opaque') throw new UsageError('--format must be jwt or opaque');
        const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
        const resource = await (await open()).create({
          identifier: values.identifier,
          ...(values.scope !== undefined ? { scope: values.scope } : {}),
          ...(values.format !== undefined ? { format: values.format } : {}),
          ...(ttl !== undefined ? { ttlSeconds: ttl } : {}),
          introspectors: values.introspector ?? [],
        });
        audit.record({ ...CLI_CONTEXT, type: 'resource.created', outcome: 'success', details: { identifier: resource.identifier } });
        output.result(toResourceJson(resource), () => `Registered ${resource.identifier} (${resource.format}, ${resource.ttlSeconds} s, scopes: ${resource.scopes.join(' ') || '-'})`);
        return;
      }
      case 'list': {
        const { values } = parseArgs({ args: [...rest], options: { limit: { type: 'string' }, after: { type: 'string' } }, strict: true });
        const page = await (await open()).list({ limit: parseLimit(values.limit), ...(values.after ? { after: values.after } : {}) });
        output.result(
          { resources: page.resources.map(toResourceJson), ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) },
          () => formatTable(['IDENTIFIER', 'FORMAT', 'TTL', 'SCOPES'], page.resources.map((resource) => [resource.identifier, resource.format, String(resource.ttlSeconds), resource.scopes.join(' ')])),
        );
        return;
      }
      case 'show':
      case 'delete': {
        const { positionals } = parseArgs({ args: [...rest], options: {}, allowPositionals: true, strict: true });
        const [identifier] = positionals;
        if (!identifier || positionals.length !== 1) throw new UsageError(`resources ${subcommand} takes one identifier`);
        if (subcommand === 'show') {
          const resource = await (await open()).get(identifier);
          output.result(toResourceJson(resource), () => Object.entries(toResourceJson(resource)).map(([key, value]) => `${key.padEnd(12)}${String(value)}`).join('\n'));
        } else {
          await (await open()).delete(identifier);
          audit.record({ ...CLI_CONTEXT, type: 'resource.deleted', outcome: 'success', details: { identifier } });
          output.result({ identifier, deleted: true }, () => `Deleted ${identifier}`);
        }
        return;
      }
      default:
        throw unknownSubcommand('resources', subcommand, RESOURCES_USAGE);
    }
  } catch (error) {
    throw toCliFailure(error);
  }
}
