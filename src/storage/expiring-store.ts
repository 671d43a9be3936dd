/**
 * Small JSON records with a lifetime, shared by every instance: interaction progress, remembered
 * consents. Redis in production, memory in development; both pass the same contract tests.
 */
export interface ExpiringStore<T> {
  get(key: string): Promise<T | undefined>;
  set(key: string, value: T, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
}
