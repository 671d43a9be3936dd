import type { Command } from 'ioredis';

import type { RedisClient } from './redis-connection.js';

/** Told of every command the client sends, once it has its answer (or its error). */
export type RedisCommandObserver = (command: string, failed: boolean, seconds: number) => void;

type SendCommand = (command: Command, stream?: unknown, node?: unknown) => unknown;

/**
 * Times every command sent through this client. ioredis has no command-monitoring events, but
 * every command, pipelined and transaction ones included, passes through the instance's
 * sendCommand: for a Cluster, the Cluster's own, which then hands it to one node's connection
 * (those are not wrapped, so a command is seen once, and a MOVED or ASK redirection it follows
 * inside the Cluster is part of its time, not a second command).
 */
export function timeRedisCommands(client: RedisClient, observe: RedisCommandObserver): void {
  // Bound once here, so each call costs one plain call rather than a lookup and a `this` fix-up.
  const send = client.sendCommand.bind(client) as SendCommand;
  // ioredis sends some commands through sendCommand again with the same promise (commands in
  // flight when a connection dropped are resent after it reconnects): those must not be timed
  // twice. The mark is a property of this wrapper's own on the Command, which ioredis never
  // reads; a WeakSet of the commands would leave them untouched but measured at about 250 ns a
  // command (its GC work included), more than the rest of the timing together.
  const timed = Symbol('latchkey timed');
  // Assigned on this instance only: the duplicate() connections (pub/sub) are not timed.
  client.sendCommand = function timeCommand(command: Command, stream?: unknown, node?: unknown): unknown {
    // A boundary with ioredis's Command class, which has no slot of ours: hence the cast.
    const marked = command as Command & { [timed]?: Promise<unknown> };
    const answered = command.promise;
    if (marked[timed] === answered) return send(command, stream, node);
    marked[timed] = answered;
    const name = command.name;
    const started = performance.now();
    const sent = send(command, stream, node);
    // One reaction on the promise ioredis settles anyway; the observer only adds numbers, so
    // the promise this returns never rejects.
    void answered.then(
      () => observe(name, false, (performance.now() - started) / 1000),
      () => observe(name, true, (performance.now() - started) / 1000),
    );
    return sent;
  };
}
