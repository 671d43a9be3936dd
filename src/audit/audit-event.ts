import { AppError } from '../http/app-error.js';

export type AuditOutcome = 'success' | 'failure';

export type AuditDetailValue = string | number | boolean | null;

/** One security-relevant thing that happened. Never a password, code, secret or token value. */
export interface AuditEvent {
  readonly id: string;
  readonly type: string;
  readonly time: Date;
  readonly outcome: AuditOutcome;
  readonly accountId: string | null;
  readonly clientId: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
  readonly details: Readonly<Record<string, AuditDetailValue>>;
}

/** Who and where, as known at the edge (an HTTP request or the CLI). */
export interface AuditContext {
  readonly ip?: string | null | undefined;
  readonly userAgent?: string | null | undefined;
  readonly requestId?: string | null | undefined;
}

export interface AuditInput extends AuditContext {
  readonly type: string;
  readonly outcome: AuditOutcome;
  readonly accountId?: string | null | undefined;
  readonly clientId?: string | null | undefined;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface AuditQuery {
  readonly type?: string;
  readonly accountId?: string;
  readonly clientId?: string;
  readonly since?: Date;
  readonly limit: number;
  /** An event id: return events older than it (newest first). */
  readonly before?: string;
  /** Aborted when whoever asked has gone away: the query stops with it. */
  readonly signal?: AbortSignal;
}

/** A query the store gave up on at its time limit: the caller should narrow it. */
export class AuditQueryTimeoutError extends AppError {
  constructor() {
    super(503, 'query_timeout', 'The audit query took too long and was stopped; narrow it with type, account, client or since.', true);
  }
}

/** Durable audit storage; events come newest first. */
export interface AuditStore {
  insertMany(events: readonly AuditEvent[]): Promise<void>;
  query(query: AuditQuery): Promise<AuditEvent[]>;
  deleteOlderThan(cutoff: Date): Promise<number>;
}
