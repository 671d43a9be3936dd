/**
 * A request path as logs may hold it. Mailed links carry their one-time token as a path segment
 * (password reset, email verification), so a log line with the raw path would hand a reader a
 * working link; the token is replaced by a placeholder. Everything else is logged as it came.
 */
const TOKEN_PATHS: readonly RegExp[] = [/^(\/password-reset\/)[^/]+/, /^(\/account\/verify-email\/)[^/]+/];

export function loggedPath(path: string): string {
  for (const pattern of TOKEN_PATHS) {
    if (pattern.test(path)) return path.replace(pattern, '$1:token');
  }
  return path;
}
