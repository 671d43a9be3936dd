import type { AuditLog } from '../audit/audit-log.js';
import type { ReencryptionReport } from '../secrets/reencrypt-secrets.js';
import { toCliFailure, unknownSubcommand } from './cli-error.js';
import type { CliOutput } from './cli-output.js';
import { CLI_CONTEXT } from './cli-audit-context.js';

export const SECRETS_SUBCOMMANDS: readonly string[] = ['reencrypt'];

export const SECRETS_USAGE = `latchkey secrets reencrypt                         move secrets at rest to the first DATA_ENCRYPTION_KEY; says which old keys may go`;

function sharedKeysPhrase(report: ReencryptionReport): string {
  const keys = [...(report.pairwiseKey ? ['the pairwise subject key'] : []), ...(report.dpopNonceKey ? ['the DPoP nonce key'] : [])];
  return keys.length > 0 ? ` and ${keys.join(' and ')}` : '';
}

function describe(report: ReencryptionReport): string {
  const lines = [`Re-encrypted ${report.clientSecrets} client secret(s), ${report.totpSecrets} TOTP secret(s), ${report.signingKeys} signing key(s)${sharedKeysPhrase(report)} under key "${report.currentKeyId}".`];
  for (const keyId of report.retiredKeyIds) lines.push(`Key "${keyId}" is no longer needed: remove it from DATA_ENCRYPTION_KEY once sign-ins started before now are over (interaction lifetime).`);
  for (const [keyId, codes] of Object.entries(report.stillNeeded)) {
    lines.push(`Key "${keyId}" is still needed by ${codes} unused recovery code(s) (one-way hashes, re-keyed only when their users get new codes): keep it listed.`);
  }
  return lines.join('\n');
}

/** `latchkey secrets ...`: data encryption key rotation. */
export async function runSecretsCommand(args: readonly string[], deps: { reencrypt: () => Promise<ReencryptionReport>; output: CliOutput; audit: Pick<AuditLog, 'record'> }): Promise<void> {
  const [subcommand] = args;
  try {
    if (subcommand !== 'reencrypt' || args.length !== 1) throw unknownSubcommand('secrets', subcommand, SECRETS_USAGE);
    const report = await deps.reencrypt();
    deps.audit.record({
      ...CLI_CONTEXT,
      type: 'secrets.reencrypted',
      outcome: 'success',
      details: { key_id: report.currentKeyId, client_secrets: report.clientSecrets, totp_secrets: report.totpSecrets, signing_keys: report.signingKeys, retired_key_ids: report.retiredKeyIds.join(' ') },
    });
    deps.output.result(
      { current_key_id: report.currentKeyId, client_secrets: report.clientSecrets, totp_secrets: report.totpSecrets, signing_keys: report.signingKeys, pairwise_key: report.pairwiseKey, dpop_nonce_key: report.dpopNonceKey, retired_key_ids: report.retiredKeyIds, still_needed: report.stillNeeded },
      () => describe(report),
    );
  } catch (error) {
    throw toCliFailure(error);
  }
}
