/**
 * The sign-in ceiling: how long one argon2id verification takes on this CPU with the server's
 * parameters (ARGON2_PARAMETERS, JSON). Run pinned to the server's core; prints {"verifyMs": n}.
 */
import { createPasswordHasher, type Argon2Parameters } from '../src/accounts/password-hasher.js';

const parameters = JSON.parse(process.env.ARGON2_PARAMETERS ?? '') as Argon2Parameters;
const rounds = Number(process.env.ARGON2_ROUNDS ?? 40);
const hasher = createPasswordHasher(parameters);
const hash = await hasher.hash('correct horse battery staple');
await hasher.verify(hash, 'correct horse battery staple');
const started = performance.now();
for (let round = 0; round < rounds; round += 1) await hasher.verify(hash, 'correct horse battery staple');
process.stdout.write(`${JSON.stringify({ verifyMs: (performance.now() - started) / rounds })}\n`);
