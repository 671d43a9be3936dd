import QRCode from 'qrcode';

import type { DemoClient } from '../clients/seed-demo-client.js';
import type { DemoUser } from './seed-demo-user.js';

/** What a newcomer needs after `npm run dev`: where things are, the demo client, and a warning. */
export async function printDevBanner(input: {
  issuer: string;
  storage: { redis: string; mongo: string };
  demoClient: DemoClient;
  demoUser: DemoUser;
  authorizationUrl: string;
}): Promise<void> {
  const { issuer, storage, demoClient, demoUser } = input;
  const qr = await QRCode.toString(demoUser.otpauthUri, { type: 'terminal', small: true });
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
    '  Demo user (scan the QR code with an authenticator app)',
    `  email         ${demoUser.email}`,
    `  password      ${demoUser.password}`,
    `  totp secret   ${demoUser.totpSecret}`,
    `  otpauth uri   ${demoUser.otpauthUri}`,
    qr,
    '  Sign in as the demo user through the demo client: open',
    `  ${input.authorizationUrl}`,
  ];
  if (ephemeral) {
    lines.push('', '  WARNING: in-memory storage. Every client, session and token is lost when this process stops.');
  }
  lines.push('');
  process.stdout.write(`${lines.join('\n')}\n`);
}
