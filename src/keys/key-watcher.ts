import type { Logger } from '../logging/create-logger.js';
import { errorMessage } from '../logging/error-message.js';
import { arrangementAt, nextTransition, type SigningKeyRecord } from './key-lifecycle.js';
import type { SigningKeys } from './signing-keys.js';

// setTimeout's limit; a transition further away is re-planned at the next refresh anyway.
const MAX_TIMER_MS = 2_147_000_000;

/**
 * Keeps an instance's provider on the key arrangement of the moment: re-reads the keys every
 * `refreshSeconds` (and on reload()), runs the scheduled rotation and the removal of retired
 * keys, and calls `apply` whenever the published keys or the signing order change, at the
 * instant written in the records. Every instance computes the same arrangement from the same
 * records and the same clock, so they switch together.
 */
export function createKeyWatcher(deps: {
  readonly signingKeys: SigningKeys;
  readonly refreshSeconds: number;
  readonly logger: Logger;
  readonly apply: (keys: readonly SigningKeyRecord[], now: Date) => void;
  /** Told of keys this instance created on schedule and of retired keys it removed (the audit trail). */
  readonly onChanged?: (change: { readonly rotated: readonly SigningKeyRecord[]; readonly removed: readonly string[] }) => void;
  readonly now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  let keys: readonly SigningKeyRecord[] = [];
  let applied = '';
  let transition: NodeJS.Timeout | undefined;
  let interval: NodeJS.Timeout | undefined;
  let refreshing: Promise<void> | undefined;

  const settle = (): void => {
    const at = now();
    const arrangement = arrangementAt(keys, at);
    if (arrangement !== applied) {
      deps.apply(keys, at);
      applied = arrangement;
    }
    if (transition) clearTimeout(transition);
    const next = nextTransition(keys, at);
    if (next) {
      // A few milliseconds late rather than early: the arrangement is computed at the wake-up time.
      transition = setTimeout(settle, Math.min(MAX_TIMER_MS, next.getTime() - at.getTime() + 5));
      transition.unref();
    }
  };

  // One read per refresh; a second only when this refresh changed the keys itself.
  const refresh = async (): Promise<void> => {
    let loaded = await deps.signingKeys.load();
    const rotated = await deps.signingKeys.rotateIfDue(now(), loaded);
    if (rotated.created.length > 0) deps.logger.info({ kids: rotated.created.map((key) => ({ kid: key.kid, alg: key.alg, activatesAt: key.activatesAt.toISOString() })) }, 'signing keys rotated on schedule');
    const removed = await deps.signingKeys.removeRetired(now(), loaded);
    if (removed.length > 0) deps.logger.info({ kids: removed }, 'retired signing keys removed');
    if (rotated.created.length > 0 || removed.length > 0) {
      deps.onChanged?.({ rotated: rotated.created, removed });
      loaded = await deps.signingKeys.load();
    }
    keys = loaded;
    settle();
  };

  /** One refresh at a time; a failure keeps the keys in use (and says so). */
  const guardedRefresh = (): Promise<void> => {
    refreshing ??= refresh().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  return {
    /** The first load; throws, so that a start without usable keys fails. */
    async start(): Promise<void> {
      await guardedRefresh();
      interval = setInterval(() => {
        guardedRefresh().catch((error: unknown) => deps.logger.error({ err: { message: errorMessage(error) } }, 'signing keys not refreshed; keeping the current ones'));
      }, deps.refreshSeconds * 1000);
      interval.unref();
    },
    reload: guardedRefresh,
    get keys(): readonly SigningKeyRecord[] {
      return keys;
    },
    close(): void {
      if (interval) clearInterval(interval);
      if (transition) clearTimeout(transition);
    },
  };
}

export type KeyWatcher = ReturnType<typeof createKeyWatcher>;
