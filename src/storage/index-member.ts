/**
 * How an index names a stored artifact: `<Model>:<id>`. An account's index lists its sessions and
 * grants this way, a grant's index its codes and tokens (and `userCode:<code>`). Model names hold
 * no colon, so the first one separates the two.
 */
export function indexMember(model: string, id: string): string {
  return `${model}:${id}`;
}

export function parseIndexMember(member: string): { readonly model: string; readonly id: string } {
  const separator = member.indexOf(':');
  return { model: member.slice(0, separator), id: member.slice(separator + 1) };
}
