import { randomBytes } from 'node:crypto';

import { AuditQueryTimeoutError } from '../../../src/audit/audit-event.js';
import { CliError, toCliFailure } from '../../../src/cli/cli-error.js';
import { runCli } from '../../../src/cli/main.js';

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runCli(args, { env, stdout: () => undefined, stderr: (text) => (stderr += text), readStdin: async () => '' });
  return { code, stderr };
}

describe('CLI failures an admin can act on', () => {
  it('says which store it cannot reach, not "unexpected error"', async () => {
    // Port 1 on loopback refuses at once: a database that is not there.
    const mongo = await cli(['audit', 'list'], { MONGODB_URI: 'mongodb://127.0.0.1:1/latchkey' });
    expect(mongo).toEqual({ code: 1, stderr: expect.stringMatching(/^latchkey: cannot connect to MongoDB: .*ECONNREFUSED.*\n$/) as unknown });
    const redis = await cli(['users', 'unlock', 'someone@example.com', '--json'], {
      MONGODB_URI: 'mongodb://127.0.0.1:1/latchkey',
      REDIS_URL: 'redis://127.0.0.1:1/0',
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    expect(redis.code).toBe(1);
    expect(JSON.parse(redis.stderr)).toEqual({ error: expect.stringMatching(/^cannot connect to (Redis|MongoDB): /) as unknown });
  });

  it('passes on the audit query timeout as the advice it is', () => {
    const failure = toCliFailure(new AuditQueryTimeoutError());
    expect(failure).toBeInstanceOf(CliError);
    expect((failure as CliError).message).toBe('The audit query took too long and was stopped; narrow it with type, account, client or since.');
  });

  it('names a store that stopped answering mid-command', () => {
    const timeout = Object.assign(new Error('Server selection timed out after 2000 ms'), { name: 'MongoServerSelectionError' });
    expect((toCliFailure(timeout) as CliError).message).toBe('Redis or MongoDB did not answer in time (Server selection timed out after 2000 ms); try again once they do');
    const bug = new TypeError('x is undefined');
    expect(toCliFailure(bug)).toBe(bug);
  });
});
