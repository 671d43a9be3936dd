// oidc-provider warns once per import that it prefers Node 22+; the suite runs on Node 20 on
// purpose (and again on 24), so that one notice is dropped to keep real warnings visible.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
