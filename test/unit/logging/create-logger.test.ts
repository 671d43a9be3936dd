import { Writable } from 'node:stream';

import { auditLineLogger, createLogger, withoutRedaction } from '../../../src/logging/create-logger.js';

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe('logger redaction', () => {
  it('replaces secret-named fields on the general logger', () => {
    const { stream, lines } = capture();
    createLogger('info', stream).info({ password: 'hunter2', err: { client_secret: 's3cret' }, audit: { details: { token: 'abc' } } }, 'slipped');
    expect(lines()[0]).toMatchObject({ password: '[redacted]', err: { client_secret: '[redacted]' }, audit: { details: { token: '[redacted]' } } });
  });

  it('leaves the general logger redacting after the unredacted one is made from it', () => {
    const { stream, lines } = capture();
    const logger = createLogger('info', stream);
    const plain = withoutRedaction(logger);
    plain.info({ path: '/token', status: 200 }, 'request');
    logger.info({ password: 'hunter2' }, 'slipped');
    const [access, slipped] = lines();
    expect(access).toMatchObject({ service: 'latchkey', msg: 'request', path: '/token', status: 200 });
    expect(slipped).toMatchObject({ password: '[redacted]' });
  });

  it('writes the unredacted lines to the same destination, at the same level, with the same bindings', () => {
    const { stream, lines } = capture();
    const logger = createLogger('warn', stream).child({ worker: 2 });
    const plain = withoutRedaction(logger);
    plain.info({ path: '/dropped' }, 'below the level');
    plain.warn({ path: '/kept' }, 'request');
    expect(lines()).toEqual([expect.objectContaining({ worker: 2, service: 'latchkey', path: '/kept', level: 40 })]);
  });
});

describe('audit lines', () => {
  it('are written at info when the rest of the log is quieter, with the same bindings', () => {
    const { stream, lines } = capture();
    const logger = createLogger('warn', stream).child({ worker: 3 });
    const audit = auditLineLogger(logger);
    logger.info({ path: '/token' }, 'request');
    audit.info({ audit: { type: 'token.issued' } }, 'audit');
    expect(lines()).toEqual([expect.objectContaining({ worker: 3, service: 'latchkey', level: 30, msg: 'audit', audit: { type: 'token.issued' } })]);
    // The general logger keeps its own level.
    expect(logger.isLevelEnabled('info')).toBe(false);
  });

  it('follow a more verbose level, and stay quiet when everything is silent', () => {
    const verbose = capture();
    expect(auditLineLogger(createLogger('debug', verbose.stream)).level).toBe('debug');
    const silent = capture();
    auditLineLogger(createLogger('silent', silent.stream)).info({ audit: { type: 'token.issued' } }, 'audit');
    expect(silent.lines()).toEqual([]);
  });
});

