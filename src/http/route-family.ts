/**
 * The few route families a request belongs to, so that what is measured or traced per route
 * has a small, fixed set of names and never carries an id from the path.
 */
export function routeFamily(path: string): string {
  if (path.startsWith('/interaction/')) return 'interaction';
  if (path.startsWith('/admin/')) return 'admin';
  if (path === '/token' || path.startsWith('/token/')) return path === '/token' ? 'token' : path.slice(1).replace('/', '_');
  if (path === '/healthz' || path === '/readyz' || path === '/metrics') return 'ops';
  if (path.startsWith('/.well-known/')) return 'discovery';
  const first = path.split('/')[1] ?? '';
  return ['auth', 'jwks', 'me', 'reg', 'session', 'account', 'password-reset', 'device'].includes(first) ? first : 'other';
}
