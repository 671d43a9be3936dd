import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { AdapterPayload } from 'oidc-provider';

import type { ClientService } from '../clients/client-service.js';
import type { AuditLog } from '../audit/audit-log.js';
import { parseLimit, toCliFailure, unknownSubcommand, UsageError } from './cli-error.js';
import { formatTable, type CliOutput } from './cli-output.js';
import { CLI_CONTEXT } from './cli-audit-context.js';
import { CLIENT_PROFILE_PROPERTY, CLIENT_PROFILES, EXCHANGE_AUDIENCES_PROPERTY, EXCHANGE_MODE_PROPERTY, PKCE_REQUIRED_PROPERTY, type ClientProfile } from '../oidc/client-metadata.js';

/** The subcommands, checked before any database is opened. */
export const CLIENTS_SUBCOMMANDS: readonly string[] = ['create', 'list', 'show', 'delete', 'rotate-secret'];

export const CLIENTS_USAGE = `latchkey clients create --name N [--redirect-uri U]... [--post-logout-redirect-uri U]... [--public]
                       [--grant-type T]... [--scope "a b"] [--resource URI]... [--admin] [--first-party]
                       [--pkce required|optional] [--require-par] [--require-dpop]
                       [--exchange-audience URI]... [--exchange-impersonation]
                       [--jwks-file F | --jwks-uri U] [--profile fapi2]
                       [--logo-uri U] [--policy-uri U] [--tos-uri U]
    --name N                      the name people see on the consent page
    --redirect-uri U              where codes are sent (repeatable); https, or http on localhost
    --post-logout-redirect-uri U  where RP-initiated logout may return (repeatable)
    --public                      no secret (SPA, native app): PKCE always, no client_credentials
    --grant-type T                authorization_code, refresh_token, client_credentials,
                                  device_code (TVs and CLIs, RFC 8628) (repeatable)
    --scope "a b"                 the scopes it may ask for (default: all configured ones)
    --resource URI                a registered resource server it may get tokens for (repeatable)
    --admin                       may use the admin scope (client_credentials, confidential only)
    --first-party                 no consent page: your own application
    --pkce required|optional      PKCE for this confidential client (default: PKCE_CONFIDENTIAL_CLIENTS)
    --require-par                 authorization requests only through the PAR endpoint (RFC 9126)
    --require-dpop                access tokens only bound to a DPoP key (RFC 9449)
    --exchange-audience URI       may exchange users' access tokens for tokens to this
                                  registered resource (RFC 8693; repeatable)
    --exchange-impersonation      exchanged tokens do not name this client in act
    --jwks-file F / --jwks-uri U  the client's public keys (a JWK set): it authenticates with
                                  private_key_jwt and has no secret
    --profile fapi2               FAPI 2.0 Security Profile: PAR, PKCE, DPoP, private_key_jwt
    --logo-uri/--policy-uri/--tos-uri U   shown or linked on the consent page (https)
latchkey clients list [--limit N] [--after CURSOR]
latchkey clients show|delete|rotate-secret <client_id>
latchkey initial-access-token create [--ttl SECONDS] [--policy NAME]...`;

const CREATE_OPTIONS = {
  name: { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'post-logout-redirect-uri': { type: 'string', multiple: true },
  public: { type: 'boolean' },
  'grant-type': { type: 'string', multiple: true },
  scope: { type: 'string' },
  admin: { type: 'boolean' },
  'first-party': { type: 'boolean' },
  pkce: { type: 'string' },
  'logo-uri': { type: 'string' },
  'policy-uri': { type: 'string' },
  'tos-uri': { type: 'string' },
  resource: { type: 'string', multiple: true },
  'require-par': { type: 'boolean' },
  'require-dpop': { type: 'boolean' },
  'exchange-audience': { type: 'string', multiple: true },
  'exchange-impersonation': { type: 'boolean' },
  'jwks-file': { type: 'string' },
  'jwks-uri': { type: 'string' },
  profile: { type: 'string' },
} as const;

/** `--jwks-file`: a JWK set of public keys. */
async function readJwksFile(path: string | undefined): Promise<{ keys: Record<string, unknown>[] } | undefined> {
  if (path === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    throw new UsageError(`--jwks-file ${path}: ${typeof code === 'string' ? `cannot be read (${code})` : 'is not JSON'}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'object' && key !== null)) {
    throw new UsageError(`--jwks-file ${path}: must be a JWK set, {"keys": [...]}`);
  }
  return { keys: keys as Record<string, unknown>[] };
}

function parseProfile(value: string | undefined): ClientProfile | undefined {
  if (value === undefined) return undefined;
  const profile = CLIENT_PROFILES.find((candidate) => candidate === value);
  if (!profile) throw new UsageError(`--profile takes ${CLIENT_PROFILES.join(' or ')}; got ${value}`);
  return profile;
}

function describePkce(metadata: AdapterPayload): string {
  if (metadata.token_endpoint_auth_method === 'none') return 'required (public client)';
  const set = metadata[PKCE_REQUIRED_PROPERTY];
  return typeof set === 'boolean' ? (set ? 'required' : 'optional') : 'operator default (config pkce.confidentialClients)';
}

/** `--pkce required|optional`; absent leaves the client on the operator's default. */
function parsePkce(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'required' || value === 'optional') return value === 'required';
  throw new UsageError(`--pkce takes required or optional; got ${value}`);
}

function describeExchange(metadata: AdapterPayload): string {
  const audiences = (metadata[EXCHANGE_AUDIENCES_PROPERTY] as string[] | undefined) ?? [];
  const mode = metadata[EXCHANGE_MODE_PROPERTY] === 'impersonation' ? 'impersonation' : 'delegation';
  return audiences.length > 0 ? `${mode} for ${audiences.join(' ')}` : 'no';
}

function describeClient(metadata: AdapterPayload, secret?: string): string {
  const lines = [
    ['client_id', metadata.client_id],
    ...(secret ? [['client_secret', `${secret}   (shown once: store it now)`]] : []),
    ['name', metadata.client_name],
    ['type', metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential'],
    ['grant_types', (metadata.grant_types as string[] | undefined)?.join(' ')],
    ['scope', metadata.scope],
    ['redirect_uris', (metadata.redirect_uris as string[] | undefined)?.join(' ')],
    ['first_party', metadata.first_party === true ? 'yes' : 'no'],
    ['pkce', describePkce(metadata)],
    ['require_par', metadata.require_pushed_authorization_requests === true ? 'yes' : 'no'],
    ['require_dpop', metadata.dpop_bound_access_tokens === true ? 'yes' : 'no'],
    ['token_exchange', describeExchange(metadata)],
    ['authentication', String(metadata.token_endpoint_auth_method ?? '')],
    ['profile', metadata[CLIENT_PROFILE_PROPERTY] === 'fapi2' ? 'FAPI 2.0' : 'default'],
    ['resources', ((metadata.latchkey_resources as string[] | undefined) ?? []).join(' ')],
  ];
  return lines.map(([key, value]) => `${String(key).padEnd(16)}${String(value ?? '')}`).join('\n');
}

/** `latchkey clients ...`: OAuth client administration against MONGODB_URI. */
export async function runClientsCommand(args: readonly string[], open: () => Promise<ClientService>, output: CliOutput, audit: Pick<AuditLog, 'record'>): Promise<void> {
  const [subcommand, ...rest] = args;
  try {
    switch (subcommand) {
      case 'create': {
        const { values } = parseArgs({ args: [...rest], options: CREATE_OPTIONS, strict: true });
        if (!values.name) throw new UsageError('clients create needs --name');
        const created = await (await open()).create({
          name: values.name,
          redirectUris: values['redirect-uri'] ?? [],
          postLogoutRedirectUris: values['post-logout-redirect-uri'] ?? [],
          publicClient: values.public ?? false,
          grantTypes: values['grant-type'] ?? [],
          ...(values.scope !== undefined ? { scope: values.scope } : {}),
          admin: values.admin ?? false,
          firstParty: values['first-party'] ?? false,
          pkceRequired: parsePkce(values.pkce),
          ...(values['logo-uri'] ? { logoUri: values['logo-uri'] } : {}),
          ...(values['policy-uri'] ? { policyUri: values['policy-uri'] } : {}),
          ...(values['tos-uri'] ? { tosUri: values['tos-uri'] } : {}),
          resources: values.resource ?? [],
          ...(values['require-par'] ? { requirePushedRequests: true } : {}),
          ...(values['require-dpop'] ? { dpopBoundTokens: true } : {}),
          exchangeAudiences: values['exchange-audience'] ?? [],
          ...(values['exchange-impersonation'] ? { exchangeMode: 'impersonation' as const } : {}),
          ...(values['jwks-file'] !== undefined ? { jwks: await readJwksFile(values['jwks-file']) } : {}),
          ...(values['jwks-uri'] !== undefined ? { jwksUri: values['jwks-uri'] } : {}),
          ...(values.profile !== undefined ? { profile: parseProfile(values.profile) } : {}),
        });
        audit.record({ ...CLI_CONTEXT, type: 'client.created', outcome: 'success', clientId: String(created.metadata.client_id), details: { admin: values.admin ?? false } });
        output.result({ ...created.metadata, ...(created.clientSecret ? { client_secret: created.clientSecret } : {}) }, () => describeClient(created.metadata, created.clientSecret));
        return;
      }
      case 'list': {
        const { values } = parseArgs({ args: [...rest], options: { limit: { type: 'string' }, after: { type: 'string' } }, strict: true });
        const limit = parseLimit(values.limit);
        const page = await (await open()).list({ limit, ...(values.after ? { after: values.after } : {}) });
        output.result(
          { clients: page.clients, ...(page.nextCursor ? { next_cursor: page.nextCursor } : {}) },
          () => formatTable(['CLIENT_ID', 'NAME', 'TYPE', 'GRANT_TYPES'], page.clients.map((client) => [
            String(client.client_id),
            String(client.client_name ?? ''),
            client.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
            ((client.grant_types as string[] | undefined) ?? []).join(' '),
          ])) + (page.nextCursor ? `\nmore: --after ${page.nextCursor}` : ''),
        );
        return;
      }
      case 'show':
      case 'delete':
      case 'rotate-secret': {
        const { positionals } = parseArgs({ args: [...rest], options: {}, allowPositionals: true, strict: true });
        const [clientId] = positionals;
        if (!clientId || positionals.length !== 1) throw new UsageError(`clients ${subcommand} takes one client_id`);
        if (subcommand === 'show') {
          const metadata = await (await open()).get(clientId);
          output.result(metadata, () => describeClient(metadata));
        } else if (subcommand === 'delete') {
          await (await open()).delete(clientId);
          audit.record({ ...CLI_CONTEXT, type: 'client.deleted', outcome: 'success', clientId });
          output.result({ client_id: clientId, deleted: true }, () => `Deleted ${clientId}`);
        } else {
          const rotated = await (await open()).rotateSecret(clientId);
          audit.record({ ...CLI_CONTEXT, type: 'client.secret_rotated', outcome: 'success', clientId });
          output.result({ client_id: clientId, client_secret: rotated.clientSecret }, () => describeClient(rotated.metadata, rotated.clientSecret));
        }
        return;
      }
      default:
        throw unknownSubcommand('clients', subcommand, CLIENTS_USAGE);
    }
  } catch (error) {
    throw toCliFailure(error);
  }
}
