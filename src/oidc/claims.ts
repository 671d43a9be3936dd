/** Which claims each scope releases (ID token and userinfo). */
export const SCOPE_CLAIMS = {
  openid: ['sub', 'auth_time', 'amr'],
  email: ['email', 'email_verified'],
  profile: ['name'],
} as const;
