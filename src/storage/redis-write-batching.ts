import type { Socket } from 'node:net';
import type { Cluster, Command, Redis } from 'ioredis';

import type { RedisClient } from './redis-connection.js';

type SendCommand = (command: Command, stream?: unknown, node?: unknown) => unknown;

/**
 * Gathers the commands a connection sends within one turn of the event loop into one socket
 * write. ioredis writes each command as it is sent, one write() system call each, and under load
 * those calls were the largest single share of the server's CPU (about a tenth). The socket is
 * corked at the first command of a turn and uncorked in that turn's check phase (setImmediate),
 * after every I/O callback of the turn has run, so a burst of requests resuming on one Redis
 * reply sends its next commands together. Each command keeps its own reply and timeout: this is
 * not ioredis's auto-pipelining, whose batches misalign when a command is refused while Redis is
 * away (see redis-connection.ts).
 */
export function batchRedisWrites(client: RedisClient): void {
  if (isCluster(client)) {
    // The Cluster hands each command to one node's connection: batch at those.
    client.on('+node', (node: Redis) => batchConnection(node));
    for (const node of client.nodes()) batchConnection(node);
    return;
  }
  batchConnection(client);
}

function isCluster(client: RedisClient): client is Cluster {
  return 'isCluster' in client && client.isCluster;
}

const BATCHED = Symbol('latchkey batched writes');

function batchConnection(redis: Redis): void {
  const marked = redis as Redis & { [BATCHED]?: true };
  if (marked[BATCHED]) return;
  marked[BATCHED] = true;
  const send = redis.sendCommand.bind(redis) as SendCommand;
  let corked: Socket | undefined;
  redis.sendCommand = function sendBatched(command: Command, stream?: unknown, node?: unknown): unknown {
    // ioredis's stream is its socket (net or TLS) once connected; absent before that.
    const socket = (redis as Redis & { stream?: Socket }).stream;
    if (corked === undefined && socket && redis.status === 'ready') {
      corked = socket;
      socket.cork();
      setImmediate(() => {
        corked = undefined;
        socket.uncork();
      });
    }
    return send(command, stream, node);
  };
}
