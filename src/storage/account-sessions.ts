import type { AdapterFactory } from 'oidc-provider';

import { parseIndexMember } from './index-member.js';

/** Ends what an account has open with the provider, wherever it was opened. */
export interface AccountSessions {
  endAll(accountId: string): Promise<{ readonly sessions: number; readonly grants: number }>;
  /** The account's open sessions and grants, as `Session:<id>` and `Grant:<id>` members. */
  list(accountId: string): Promise<string[]>;
  /** Ends some of them (a grant with its codes and tokens), e.g. one device or one application. */
  end(accountId: string, members: readonly string[]): Promise<{ readonly sessions: number; readonly grants: number }>;
}

export class SessionsUnreachableError extends Error {
  constructor() {
    super('REDIS_URL is not set: the sessions and tokens the servers keep in Redis cannot be ended from here');
    this.name = 'SessionsUnreachableError';
  }
}

/** For tools without the servers' Redis: ending sessions fails loudly instead of silently doing nothing. */
export function createUnreachableAccountSessions(): AccountSessions {
  return {
    endAll: () => Promise.reject(new SessionsUnreachableError()),
    list: () => Promise.reject(new SessionsUnreachableError()),
    end: () => Promise.reject(new SessionsUnreachableError()),
  };
}

/**
 * Ends indexed members (`Session:<id>`, `Grant:<id>`) through the provider's own adapters: a
 * grant takes its codes and tokens with it (revokeByGrantId), a session its uid index.
 */
export async function endMembers(adapter: AdapterFactory, members: readonly string[]): Promise<{ sessions: number; grants: number }> {
  let sessions = 0;
  let grants = 0;
  for (const member of members) {
    const { model, id } = parseIndexMember(member);
    if (model === 'Grant') {
      await adapter('Grant').revokeByGrantId(id);
      await adapter('Grant').destroy(id);
      grants += 1;
    } else if (model === 'Session') {
      await adapter('Session').destroy(id);
      sessions += 1;
    }
  }
  return { sessions, grants };
}
