/**
 * CI's dependency audit: `npm audit --omit=dev --audit-level=high`, read from its JSON.
 * High or critical advisories in production dependencies fail the run. When the registry's
 * audit endpoint cannot be reached (some mirrors answer 405), the audit is reported as
 * SKIPPED, loudly, and never as passed; any other failure of npm fails the run too.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export type AuditVerdict =
  | { readonly kind: 'clean'; readonly summary: string }
  | { readonly kind: 'findings'; readonly summary: string }
  | { readonly kind: 'unreachable'; readonly summary: string }
  | { readonly kind: 'broken'; readonly summary: string };

interface AuditReport {
  readonly metadata?: { readonly vulnerabilities?: Record<string, number> };
  readonly vulnerabilities?: Record<string, { readonly severity?: string; readonly name?: string }>;
  readonly statusCode?: number;
  readonly code?: string;
  readonly message?: string;
  readonly error?: { readonly code?: string; readonly summary?: string };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH']);
const BLOCKING = ['high', 'critical'];

/** What one `npm audit --json` output means for CI. */
export function classifyAudit(stdout: string): AuditVerdict {
  let report: AuditReport;
  try {
    report = JSON.parse(stdout) as AuditReport;
  } catch {
    return { kind: 'broken', summary: 'npm audit printed no JSON report' };
  }
  const counts = report.metadata?.vulnerabilities;
  if (counts) {
    const blocking = Object.entries(report.vulnerabilities ?? {}).filter(([, entry]) => BLOCKING.includes(entry.severity ?? ''));
    if (blocking.length > 0) {
      return { kind: 'findings', summary: `high or critical advisories in production dependencies: ${blocking.map(([name, entry]) => `${name} (${entry.severity ?? '?'})`).join(', ')}` };
    }
    return { kind: 'clean', summary: `no high or critical advisories (${Object.entries(counts).map(([level, count]) => `${level} ${count}`).join(', ')})` };
  }
  const code = report.error?.code ?? report.code ?? '';
  if (typeof report.statusCode === 'number' || NETWORK_CODES.has(code)) {
    return { kind: 'unreachable', summary: `the audit endpoint could not be used: ${report.message ?? code}` };
  }
  return { kind: 'broken', summary: `npm audit failed: ${report.message ?? report.error?.summary ?? 'no reason given'}` };
}

function main(): number {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], { encoding: 'utf8' });
  const verdict = classifyAudit(run.stdout);
  switch (verdict.kind) {
    case 'clean':
      console.log(`[audit] npm audit passed: ${verdict.summary}`);
      return 0;
    case 'unreachable':
      console.log(`[audit] WARNING: npm audit SKIPPED, not passed: ${verdict.summary}. Run \`npm audit --omit=dev\` where the registry's audit endpoint is reachable.`);
      return 0;
    default:
      console.error(`[audit] npm audit FAILED: ${verdict.summary}`);
      return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
