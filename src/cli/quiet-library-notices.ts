// Imported first by the CLI's entry point, before anything that loads oidc-provider: the
// provider prints a notice when it is loaded on Node 20 (it prefers 22+), which would end up
// in the output of every admin command and of scripts that parse it. Only that notice is
// dropped; every other warning still shows.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};

export {};
