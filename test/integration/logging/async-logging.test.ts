import { spawn } from 'node:child_process';

/**
 * The logger writes stdout asynchronously; what it buffered must still reach stdout when the
 * process ends, whether it ends normally, by process.exit() right after logging, or by a crash.
 */
function runLogging(ending: 'return' | 'exit' | 'throw'): Promise<{ lines: number; code: number | null }> {
  const script = `
    import { createLogger } from './src/logging/create-logger.ts';
    const logger = createLogger('info');
    for (let i = 0; i < 20000; i += 1) logger.info({ i, padding: 'x'.repeat(100) }, 'line');
    if (${JSON.stringify(ending)} === 'exit') process.exit(0);
    if (${JSON.stringify(ending)} === 'throw') throw new Error('crash after logging');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let rest = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    lines += parts.filter((line) => line.includes('"msg":"line"')).length;
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ lines, code })));
}

describe('asynchronous logging', () => {
  it.each(['return', 'exit', 'throw'] as const)('loses no line when the process ends by %s', async (ending) => {
    const { lines, code } = await runLogging(ending);
    expect(lines).toBe(20000);
    expect(code).toBe(ending === 'throw' ? 1 : 0);
  }, 60_000);
});

describe('buffered logging under light traffic', () => {
  it('writes a lone line while the process keeps running (the periodic flush, not a full buffer)', async () => {
    // One short line, far below the buffer size, then the process idles until it is killed.
    const script = `
      import { createLogger } from './src/logging/create-logger.ts';
      createLogger('info').info('lone line');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const seen = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`nothing on stdout within 5 s: ${JSON.stringify(out)}`)), 5000);
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('lone line')) {
            clearTimeout(timer);
            resolve(out);
          }
        });
      });
      expect(seen).toContain('"msg":"lone line"');
      // Still running: the line came from the periodic flush, not from an exit handler.
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);
});

