import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';
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

/**
 * Whether process `pid` holds the socket listening on `port`, from Linux's /proc; undefined where
 * there is no /proc. findFreePort's port can go to a test in another jest worker at the same
 * moment: both start a server on it, the loser exits, and a test that only saw the port open
 * would pause or kill its own (dead) server while the other one answers it.
 */
async function listensOn(pid: number, port: number): Promise<boolean | undefined> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    const match = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''));
    if (match?.[1]) inodes.add(match[1]);
  }
  const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    // Columns: sl, local address (hex ip:port), remote address, state (0A: listening), ..., inode (the tenth).
    if (rows.some((row) => {
      const fields = row.trim().split(/\s+/);
      return fields[1]?.endsWith(hexPort) === true && fields[3] === '0A' && inodes.has(fields[9] ?? '');
    })) return true;
  }
  return false;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

class PortTakenError extends Error {}

/** Until `child` itself listens on `port`; PortTakenError if it exits first (another process has the port). */
async function waitUntilListening(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new PortTakenError(`the server for port ${port} exited (${child.exitCode ?? child.signalCode}): another process has the port`);
    const ours = child.pid === undefined ? undefined : await listensOn(child.pid, port);
    if (ours === true || (ours === undefined && (await portOpen(port)))) return;
    if (Date.now() > deadline) throw new Error(`nothing of ours listens on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startPrivate(command: (port: number) => { file: string; args: string[] }, urlOf: (port: number) => string, removeDir: () => Promise<void>): Promise<PrivateStore> {
  let child: ChildProcess | undefined;
  let port = 0;
  const start = async (): Promise<void> => {
    const { file, args } = command(port);
    const started = spawn(file, args, { stdio: 'ignore' });
    child = started;
    await waitUntilListening(started, port);
  };
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  // A port another worker took meanwhile: try another. A restart keeps the port it has.
  for (let attempt = 1; ; attempt += 1) {
    port = await findFreePort();
    try {
      await start();
      break;
    } catch (error) {
      if (!(error instanceof PortTakenError) || attempt === 3) throw error;
    }
  }
  return {
    url: urlOf(port),
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
  const dir = await makeTempDir();
  return startPrivate(
    (port) => ({ file: binary('REDIS_SERVER_BIN'), args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir.path, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'] }),
    (port) => `redis://127.0.0.1:${port}/0`,
    dir.remove,
  );
}

/** FerretDB (SQLite), the MongoDB-protocol server the suite runs on. */
export async function startPrivateFerretDb(): Promise<PrivateStore> {
  const dir = await makeTempDir();
  return startPrivate(
    (port) => ({
      file: binary('FERRETDB_BIN'),
      args: ['--handler=sqlite', `--sqlite-url=file:${dir.path}/`, `--listen-addr=127.0.0.1:${port}`, `--state-dir=${dir.path}`, '--debug-addr=-', '--telemetry=disable', '--log-level=error'],
    }),
    (port) => `mongodb://127.0.0.1:${port}/latchkey_faults`,
    dir.remove,
  );
}
