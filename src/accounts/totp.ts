import { generateSecret, generateURI, verify } from 'otplib';

const PERIOD_SECONDS = 30;
const DIGITS = 6;
const CODE_PATTERN = /^\d{6}$/;

/** TOTP as Latchkey uses it: SHA-1, 6 digits, 30-second steps, one step of drift either side. */
export interface Totp {
  generateSecret(): string;
  buildUri(secret: string, accountLabel: string): string;
  /** The matched time step (for replay protection), or undefined if the code is wrong. */
  verify(secret: string, code: string, nowSeconds?: number): Promise<number | undefined>;
}

export function isTotpCodeShape(code: string): boolean {
  return CODE_PATTERN.test(code);
}

export function createTotp(issuer: string): Totp {
  return {
    generateSecret: () => generateSecret({ length: 20 }),
    buildUri: (secret, accountLabel) => generateURI({ issuer, label: accountLabel, secret, digits: DIGITS, period: PERIOD_SECONDS }),
    async verify(secret, code, nowSeconds = Math.floor(Date.now() / 1000)) {
      if (!isTotpCodeShape(code)) return undefined;
      const result = await verify({
        secret,
        token: code,
        period: PERIOD_SECONDS,
        digits: DIGITS,
        epochTolerance: PERIOD_SECONDS,
        epoch: nowSeconds,
      });
      // delta is the matched step relative to now's step (-1, 0 or +1).
      return result.valid ? Math.floor(nowSeconds / PERIOD_SECONDS) + result.delta : undefined;
    },
  };
}
