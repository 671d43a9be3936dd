/** Start-up could not reach Redis or MongoDB; the message names the store and the reason. */
export class StoreConnectionError extends Error {
  constructor(store: 'Redis' | 'MongoDB', reason: string) {
    super(`cannot connect to ${store}: ${reason}`);
    this.name = 'StoreConnectionError';
  }
}
