import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';

import { findFreePort, makeTempDir } from './test-env.js';

/** A store server of one test's own, which the test may pause, kill and restart. */
export interface PrivateStore {
  readonly url: string;
  /** SIGSTOP: the server keeps its connections and answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL: gone at once, connections reset. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function binary(name: 'REDIS_SERVER_BIN' | 'FERRETDB_BIN'): string {
  const path = process.env[name];
  if (!path) throw new Error(`${name} is not set: the store fault test runs servers of its own; run \`npm test\`, which provisions them`);
  return path;
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startPrivate(command: () => { file: string; args: string[] }, port: number, url: string, removeDir: () => Promise<void>): Promise<PrivateStore> {
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const { file, args } = command();
    child = spawn(file, args, { stdio: 'ignore' });
    await waitForPort(port);
  };
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    url,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    kill: () => stop('SIGKILL'),
    restart: start,
    async close() {
      child?.kill('SIGCONT');
      await stop('SIGTERM');
      await removeDir();
    },
  };
}

/** Redis with every write on disk before it is acknowledged, so a SIGKILL loses nothing. */
export async function startPrivateRedis(): Promise<PrivateStore> {
  const port = await findFreePort();
  const dir = await makeTempDir();
  return startPrivate(
    () => ({ file: binary('REDIS_SERVER_BIN'), args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'] }),
    port,
    `redis://127.0.0.1:${port}/0`,
    dir.remove,
  );
}

/** FerretDB (SQLite), the MongoDB-protocol server the suite runs on. */
export async function startPrivateFerretDb(): Promise<PrivateStore> {
  const port = await findFreePort();
  const dir = await makeTempDir();
  return startPrivate(
    () => ({
      file: binary('FERRETDB_BIN'),
      args: ['--handler=sqlite', `--sqlite-url=file:${dir.path}/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${dir.path}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error'],
    }),
    port,
    `mongodb://127.0.0.1:${port}/latchkey_faults`,
    dir.remove,
  );
}
