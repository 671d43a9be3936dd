import { parseArgs } from 'node:util';

import type { AppConfig } from '../config/app-config.js';
import { generateKeySet, KeySetError, SIGNING_ALGORITHMS, summariseKeys, type SigningAlgorithm } from '../keys/key-set.js';
import { stateAt, type SigningKeyRecord } from '../keys/key-lifecycle.js';
import { CLI_CONTEXT } from './cli-audit-context.js';
import { CliError, toCliFailure, unknownSubcommand, UsageError } from './cli-error.js';
import type { KeyServices } from './cli-services.js';
import { formatTable, type CliOutput } from './cli-output.js';

export const KEYS_USAGE = `latchkey keys list                     the signing keys in MongoDB: state (next, active, retired) and when each changes
latchkey keys rotate [--immediately]   a successor for every signing key: published now, signing after one JWKS cache
                                       period; --immediately signs with it at once (a key that must stop now)
latchkey keys retire                   remove keys whose retirement time has passed (servers also do this by themselves)
latchkey keys generate [--alg ALG]     write KEYS_DIR/jwks.json (RS256 + ES256, or add ES256|EdDSA|RS256): the keys a
                                       server imports into an empty MongoDB, and uses as they are without MongoDB (development)`;

function checkAlgorithm(value: string | undefined): SigningAlgorithm | undefined {
  if (value === undefined) return undefined;
  const alg = SIGNING_ALGORITHMS.find((candidate) => candidate === value);
  if (!alg) throw new UsageError(`--alg must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
  return alg;
}

function iso(time: Date | null): string {
  return time ? time.toISOString() : '';
}

function toKeyJson(key: SigningKeyRecord, now: Date): Record<string, string> {
  return {
    kid: key.kid,
    alg: key.alg,
    state: stateAt(key, now),
    created_at: iso(key.createdAt),
    activates_at: iso(key.activatesAt),
    ...(key.deactivatesAt ? { deactivates_at: iso(key.deactivatesAt) } : {}),
    ...(key.retiresAt ? { retires_at: iso(key.retiresAt) } : {}),
  };
}

function keyRows(keys: readonly SigningKeyRecord[], now: Date): string {
  const ordered = [...keys].sort((a, b) => a.alg.localeCompare(b.alg) || a.activatesAt.getTime() - b.activatesAt.getTime());
  return formatTable(['KID', 'ALG', 'STATE', 'SIGNS FROM', 'SIGNS UNTIL', 'RETIRES'], ordered.map((key) => [key.kid, key.alg, stateAt(key, now), iso(key.activatesAt), iso(key.deactivatesAt), iso(key.retiresAt)]));
}

/** `latchkey keys ...`: the signing keys every instance shares (MongoDB), and the KEYS_DIR bootstrap file. */
export async function runKeysCommand(args: readonly string[], deps: { config: AppConfig; output: CliOutput; openKeys: () => Promise<KeyServices> }): Promise<void> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'generate': {
        const { values } = parseArgs({ args: [...rest], options: { alg: { type: 'string' } }, strict: true });
        const { created } = await generateKeySet(deps.config.keysDir, checkAlgorithm(values.alg));
        const summaries = summariseKeys({ keys: created });
        deps.output.result(
          { keys_dir: deps.config.keysDir, keys: summaries.map((key) => ({ kid: key.kid, alg: key.alg, kty: key.kty, created_at: key.createdAt })) },
          () => `Wrote ${summaries.length} key(s) to ${deps.config.keysDir}/jwks.json\n${formatTable(['KID', 'ALG', 'CREATED'], summaries.map((key) => [key.kid, key.alg, key.createdAt]))}`,
        );
        return;
      }
      case 'list': {
        parseArgs({ args: [...rest], options: {}, strict: true });
        const services = await deps.openKeys();
        try {
          const now = new Date();
          const keys = await services.signingKeys.load();
          deps.output.result({ keys: keys.map((key) => toKeyJson(key, now)) }, () => keyRows(keys, now));
        } finally {
          await services.close();
        }
        return;
      }
      case 'rotate': {
        const { values } = parseArgs({ args: [...rest], options: { immediately: { type: 'boolean' } }, strict: true });
        const services = await deps.openKeys();
        try {
          const now = new Date();
          const outcome = await services.signingKeys.rotate(now, { immediately: values.immediately ?? false });
          for (const key of outcome.created) {
            services.audit.record({ ...CLI_CONTEXT, type: 'signing_keys.rotated', outcome: 'success', details: { kid: key.kid, alg: key.alg, activates_at: key.activatesAt.toISOString(), immediately: values.immediately ?? false } });
          }
          const keys = await services.signingKeys.load();
          deps.output.result(
            { created: outcome.created.map((key) => toKeyJson(key, now)), already_scheduled: outcome.alreadyScheduled, keys: keys.map((key) => toKeyJson(key, now)) },
            () => [
              keyRows(keys, now),
              ...outcome.created.map((key) => `New ${key.alg} key ${key.kid} signs from ${key.activatesAt.toISOString()} on every instance (nothing to reload).`),
              ...outcome.alreadyScheduled.map((alg) => `${alg}: a successor is already scheduled; left as it is.`),
            ].join('\n'),
          );
        } finally {
          await services.close();
        }
        return;
      }
      case 'retire': {
        parseArgs({ args: [...rest], options: {}, strict: true });
        const services = await deps.openKeys();
        try {
          const removed = await services.signingKeys.removeRetired(new Date());
          if (removed.length > 0) services.audit.record({ ...CLI_CONTEXT, type: 'signing_keys.retired', outcome: 'success', details: { kids: removed.join(' ') } });
          deps.output.result({ removed }, () => `Removed ${removed.length} retired key(s).`);
        } finally {
          await services.close();
        }
        return;
      }
      default:
        throw unknownSubcommand('keys', subcommand, KEYS_USAGE);
    }
  } catch (error) {
    if (error instanceof KeySetError) throw new CliError(error.message);
    throw toCliFailure(error);
  }
}
