/**
 * Services a command opens only when it needs them: after its arguments are read, so that a
 * mistyped flag is answered as such instead of with a missing MONGODB_URI, and a command that
 * fails before needing the database never connects to it.
 */
export function lazyServices<S extends { close(): Promise<void> }>(open: () => Promise<S>) {
  let opening: Promise<S> | undefined;
  let opened: S | undefined;
  return {
    get: (): Promise<S> => (opening ??= open().then((services) => (opened = services))),
    /** The services if they are open: for what only happens after they were needed. */
    current: (): S | undefined => opened,
    async close(): Promise<void> {
      // A failed open was already reported by whoever awaited it.
      const services = opening ? await opening.catch(() => undefined) : undefined;
      await services?.close();
    },
  };
}
