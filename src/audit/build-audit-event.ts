import { randomUUID } from 'node:crypto';

import type { AuditDetailValue, AuditEvent, AuditInput } from './audit-event.js';

// Defence in depth: callers pass no secrets, and anything named like one is dropped anyway.
const SECRET_NAME = /pass(word)?|secret|token|code_verifier|^code$|otp|recovery|cookie|authorization/i;
const MAX_DETAIL_LENGTH = 500;

function toDetailValue(value: unknown): AuditDetailValue | undefined {
  if (value === null) return null;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.slice(0, MAX_DETAIL_LENGTH);
  return undefined;
}

/**
 * An id that sorts by time (newest last as a string), so that pages go by id alone: 9 base-36
 * digits of milliseconds, then randomness against collisions.
 */
export function createAuditId(time: Date): string {
  // randomUUID draws from a cached entropy pool; randomBytes would call into OpenSSL for every
  // event, and token.issued makes one per token. Its first 12 hex digits are all random (v4).
  const random = randomUUID();
  return `${auditIdPrefix(time)}${random.slice(0, 8)}${random.slice(9, 13)}`;
}

/** The part of an id that encodes its time: every event at or after `time` has an id >= this. */
export function auditIdPrefix(time: Date): string {
  return time.getTime().toString(36).padStart(9, '0');
}

export function buildAuditEvent(input: AuditInput, time: Date = new Date()): AuditEvent {
  const details: Record<string, AuditDetailValue> = {};
  for (const [key, value] of Object.entries(input.details ?? {})) {
    if (SECRET_NAME.test(key)) continue;
    const detail = toDetailValue(value);
    if (detail !== undefined) details[key] = detail;
  }
  return {
    id: createAuditId(time),
    type: input.type,
    time,
    outcome: input.outcome,
    accountId: input.accountId ?? null,
    clientId: input.clientId ?? null,
    ip: input.ip ?? null,
    userAgent: input.userAgent?.slice(0, MAX_DETAIL_LENGTH) ?? null,
    requestId: input.requestId ?? null,
    details,
  };
}
