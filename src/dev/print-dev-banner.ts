import type { DemoClient } from '../clients/seed-demo-client.js';

/** What a newcomer needs after `npm run dev`: where things are, the demo client, and a warning. */
export function printDevBanner(input: {
  issuer: string;
  storage: { redis: string; mongo: string };
  demoClient: DemoClient;
}): void {
  const { issuer, storage, demoClient } = input;
  const ephemeral = storage.redis === 'memory' || storage.mongo === 'memory';
  const lines = [
    '',
    '  Latchkey development server',
    `  issuer        ${issuer}`,
    `  discovery     ${issuer}/.well-known/openid-configuration`,
    `  storage       sessions/tokens: ${storage.redis}, clients/accounts: ${storage.mongo}`,
    '',
    '  Demo confidential client',
    `  client_id     ${demoClient.clientId}`,
    `  client_secret ${demoClient.clientSecret}`,
    `  redirect_uri  ${demoClient.redirectUri}`,
    '',
    '  Try it:',
    `  curl -s -u '${demoClient.clientId}:${demoClient.clientSecret}' -d grant_type=client_credentials ${issuer}/token`,
    '',
    '  Logins are not available yet in this build (no login pages or demo user).',
  ];
  if (ephemeral) {
    lines.push('', '  WARNING: in-memory storage. Every client, session and token is lost when this process stops.');
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}
