import mongoose, { type Connection } from 'mongoose';
import { errorMessage } from '../logging/error-message.js';
import { StoreConnectionError } from './store-connection-error.js';

/** Opens a dedicated mongoose connection (not the global default) and waits until it answers. */
export async function connectMongo(uri: string): Promise<Connection> {
  const connection = mongoose.createConnection(uri, {
    // A slow or absent server fails an operation within about two seconds (answered as 503)
    // rather than holding the request; the driver reconnects by itself.
    serverSelectionTimeoutMS: 2000,
    connectTimeoutMS: 2000,
    socketTimeoutMS: 2500,
    // No second attempt inside the driver: after an attempt that timed out, a retry waits for a
    // server again and opens a new connection (up to 2 s each), so a stalled server held a
    // request 6.5 s instead of 2.5 s. The request fails with 503 and its client may retry.
    retryReads: false,
    retryWrites: false,
    // Commands are not buffered while disconnected: they fail at once, and the request with them.
    bufferCommands: false,
    // Indexes are created explicitly at start-up; autoIndex would race between instances.
    autoIndex: false,
    // Command events for the latency histogram on /metrics (http/metrics.ts).
    monitorCommands: true,
  });
  try {
    await connection.asPromise();
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new StoreConnectionError('MongoDB', errorMessage(error));
  }
  return connection;
}

/** Whether MongoDB answers a ping. */
export async function pingMongo(connection: Connection): Promise<void> {
  const db = connection.db;
  if (!db) throw new Error('MongoDB connection is not open');
  await db.command({ ping: 1 });
}
