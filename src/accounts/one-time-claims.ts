/** Atomic "first one wins" markers: a TOTP time step or recovery code is accepted once only. */
export interface OneTimeClaims {
  /** True for the first caller of `key` within `ttlSeconds`, false for everyone after. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}
