/** Where a command writes: JSON for scripts with --json, aligned text for people otherwise. */
export interface CliOutput {
  readonly json: boolean;
  result(value: unknown, human: () => string): void;
}

export function createCliOutput(json: boolean, write: (text: string) => void): CliOutput {
  return {
    json,
    result(value, human) {
      write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
  };
}

/** Plain text table with a header row, columns padded to their widest cell. */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
