/** Audit facts for changes made from the CLI: no address, and the tool's name as the agent. */
export const CLI_CONTEXT = { ip: null, userAgent: 'latchkey-cli', requestId: null } as const;
