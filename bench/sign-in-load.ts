/**
 * Whole sign-ins as people make them, through the pages: /auth, the login form, password, TOTP
 * code, back to the client with a code, and the code redeemed with PKCE. Many people, each TOTP
 * step of each person used once (the server refuses a replayed step), several at a time.
 */
import { randomBytes } from 'node:crypto';

import { openAccountServices } from '../src/cli/cli-services.js';
import { loadConfig } from '../src/config/load-config.js';
import { Browser } from '../test/support/browser.js';
import { totpCode } from '../test/support/sign-in.js';
import { authorizationUrl, BENCH_PASSWORD, REDIRECT_URI, type RunningServer } from './bench-servers.js';
import { cpuPer, processCpu, type ProcessCpu } from './process-cpu.js';
import { clientBasic, codeRedemptionBody } from './token-flows.js';

const STEP_SECONDS = 30;

interface Person {
  readonly email: string;
  readonly secret: string;
  /** The last TOTP step this person signed in with. */
  lastStep: number;
}

export interface SignInFigure {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly completed: number;
  /** Seconds the workers spent waiting because every person had used every step the server accepts. */
  readonly starvedSeconds: number;
  /** The server's CPU per completed sign-in. */
  readonly cpu: ProcessCpu;
}

/** How long a run lasts: a time, or a number of attempts (a warm-up, so that it is the same however fast the server is). */
export type RunLength = { readonly seconds: number } | { readonly count: number };

function deadlineOf(length: RunLength): number {
  return 'seconds' in length ? Date.now() + length.seconds * 1000 : Infinity;
}

function countOf(length: RunLength): number {
  return 'count' in length ? length.count : Infinity;
}

/** Accounts with a password and an enrolled authenticator, written through the account service. */
export async function createPeople(server: RunningServer, count: number): Promise<Person[]> {
  if (!server.env) throw new Error('people can only be created on a Latchkey server');
  const services = await openAccountServices(loadConfig(server.env));
  try {
    const people: Person[] = [];
    const tag = randomBytes(3).toString('hex');
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const email = `person-${tag}-${next}@bench.example.com`;
        next += 1;
        const { totp } = await services.accounts.createAccount({ email, password: BENCH_PASSWORD, withTotp: true });
        if (!totp) throw new Error('no authenticator enrolled');
        people.push({ email, secret: totp.secret, lastStep: 0 });
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    return people;
  } finally {
    await services.close();
  }
}

function currentStep(): number {
  return Math.floor(Date.now() / 1000 / STEP_SECONDS);
}

/**
 * The next person who has a step left that the server still accepts (now's or the next one, the
 * drift it allows), with that step claimed; undefined when every person has used both.
 */
function claimPerson(people: Person[]): { person: Person; step: number } | undefined {
  const now = currentStep();
  for (const person of people) {
    const step = Math.max(person.lastStep + 1, now);
    if (step <= now + 1) {
      person.lastStep = step;
      return { person, step };
    }
  }
  return undefined;
}

async function signInOnce(server: RunningServer, person: Person, step: number): Promise<void> {
  const target = server.target;
  const browser = new Browser(REDIRECT_URI);
  const login = await browser.open(authorizationUrl(target.url, target.codeClient, 'openid email'));
  if ('redirectedTo' in login) throw new Error('no login page');
  const second = await browser.submit(login, { containing: 'input[name="password"]', fields: { email: person.email, password: BENCH_PASSWORD } });
  if ('redirectedTo' in second || !second.document.querySelector('input[name="code"]')) throw new Error('password refused');
  const offset = step - currentStep();
  const done = await browser.submit(second, { containing: 'input[name="code"]', fields: { code: await totpCode(person.secret, offset) } });
  if (!('redirectedTo' in done)) throw new Error(`code refused: ${done.status}`);
  const code = new URL(done.redirectedTo).searchParams.get('code');
  if (!code) throw new Error('no code');
  await redeem(server, code);
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

/**
 * Sign-ins by `concurrency` people at a time for `length`; figures from completed sign-ins.
 * A warm-up is a count rather than a time: the sign-in code paths reach V8's optimizing tiers
 * only after some hundreds of sign-ins, where a token scenario's seconds of warm-up are
 * thousands of requests. Measured cold, the server's CPU per sign-in (besides argon2) was about
 * a fifth higher over the first 1,200 sign-ins than afterwards.
 */
export async function runSignIns(server: RunningServer, people: Person[], length: RunLength, concurrency: number): Promise<SignInFigure> {
  const deadline = deadlineOf(length);
  const count = countOf(length);
  const started = Date.now();
  const cpuBefore = processCpu(serverPid(server));
  const durations: number[] = [];
  let begun = 0;
  let errors = 0;
  let starvedMs = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline && begun < count) {
      const claim = claimPerson(people);
      if (!claim) {
        // Everyone has signed in at every step the server accepts now: a pool too small, which
        // would measure the pool instead of the server, so it is counted and reported.
        starvedMs += 200;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      begun += 1;
      const at = performance.now();
      try {
        await signInOnce(server, claim.person, claim.step);
        durations.push(performance.now() - at);
      } catch (error) {
        errors += 1;
        if (errors <= 3) process.stderr.write(`sign-in failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const cpu = cpuPer(cpuBefore, processCpu(serverPid(server)), durations.length);
  const elapsed = (Date.now() - started) / 1000;
  const sorted = [...durations].sort((a, b) => a - b);
  return { perSecond: durations.length / elapsed, p50: Math.round(percentile(sorted, 0.5)), p99: Math.round(percentile(sorted, 0.99)), errors, completed: durations.length, starvedSeconds: starvedMs / 1000, cpu };
}

function serverPid(server: RunningServer): number {
  // taskset execs the server, so the child's pid is the server's.
  if (server.child.pid === undefined) throw new Error(`${server.name} has no process`);
  return server.child.pid;
}

export interface EngineFlowFigure {
  readonly perSecond: number;
  readonly completed: number;
  readonly cpu: ProcessCpu;
}

/**
 * The engine's own share of a sign-in: the same /auth → code → token flow against bare
 * oidc-provider, whose interactions finish at once (no pages, no password, no second factor).
 * Its CPU per flow is what any sign-in through oidc-provider costs besides argon2.
 */
export async function runEngineFlows(server: RunningServer, length: RunLength, concurrency: number): Promise<EngineFlowFigure> {
  const target = server.target;
  const deadline = deadlineOf(length);
  const count = countOf(length);
  const started = Date.now();
  const cpuBefore = processCpu(serverPid(server));
  let completed = 0;
  let begun = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline && begun < count) {
      begun += 1;
      const browser = new Browser(REDIRECT_URI);
      const done = await browser.open(authorizationUrl(target.url, target.codeClient, 'openid'));
      if (!('redirectedTo' in done)) throw new Error(`${server.name}: the flow did not reach the client`);
      const code = new URL(done.redirectedTo).searchParams.get('code');
      if (!code) throw new Error(`${server.name}: no code`);
      await redeem(server, code);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { perSecond: completed / ((Date.now() - started) / 1000), completed, cpu: cpuPer(cpuBefore, processCpu(serverPid(server)), completed) };
}

async function redeem(server: RunningServer, code: string): Promise<void> {
  const response = await fetch(`${server.target.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: clientBasic(server.target) },
    body: codeRedemptionBody(code),
  });
  const body = (await response.json()) as { id_token?: string };
  if (!body.id_token) throw new Error(`code not redeemed: ${response.status}`);
}
