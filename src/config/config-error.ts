/** One setting that is missing or malformed. */
export interface ConfigProblem {
  readonly variable: string;
  readonly problem: string;
}

/**
 * Every configuration problem found at start, in one message an operator reads once (not one
 * per restart). It never quotes a secret's value.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(variable: string, problem: string);
  constructor(problems: readonly ConfigProblem[]);
  constructor(first: string | readonly ConfigProblem[], problem = '') {
    const problems = typeof first === 'string' ? [{ variable: first, problem }] : first;
    super(problems.map((item) => `${item.variable}: ${item.problem}`).join('; '));
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** The first setting named: the one to fix first. */
  get variable(): string {
    return this.problems[0]?.variable ?? '';
  }
}
