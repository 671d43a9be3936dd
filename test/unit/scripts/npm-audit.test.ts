import { classifyAudit } from '../../../scripts/npm-audit.js';

describe('the CI dependency audit', () => {
  it('passes a report without high or critical advisories', () => {
    const report = { auditReportVersion: 2, vulnerabilities: { debug: { name: 'debug', severity: 'low' } }, metadata: { vulnerabilities: { info: 0, low: 1, moderate: 0, high: 0, critical: 0, total: 1 } } };
    expect(classifyAudit(JSON.stringify(report)).kind).toBe('clean');
  });

  it('fails a report with a high advisory, naming the package', () => {
    const report = { auditReportVersion: 2, vulnerabilities: { jose: { name: 'jose', severity: 'high' } }, metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 1, critical: 0, total: 1 } } };
    expect(classifyAudit(JSON.stringify(report))).toEqual({ kind: 'findings', summary: 'high or critical advisories in production dependencies: jose (high)' });
  });

  it('calls an endpoint that answers 405 or cannot be reached unreachable, never clean', () => {
    const refused = { message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405, error: { summary: '', detail: '' } };
    expect(classifyAudit(JSON.stringify(refused)).kind).toBe('unreachable');
    expect(classifyAudit(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'getaddrinfo ENOTFOUND registry.npmjs.org' } })).kind).toBe('unreachable');
  });

  it('fails when npm printed no report or an unknown error', () => {
    expect(classifyAudit('').kind).toBe('broken');
    expect(classifyAudit(JSON.stringify({ error: { code: 'ELOCKVERIFY', summary: 'lockfile out of date' } })).kind).toBe('broken');
  });
});
