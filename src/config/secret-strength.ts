/**
 * A rough upper bound on the entropy of a secret written as text: its length times the bits of
 * its alphabet as far as it shows. Random base64 of 32 bytes scores ~190; a repeated word or a
 * short passphrase scores far below 128, which is where production draws the line.
 */
export function estimatedTextBits(secret: string): number {
  const distinct = new Set(secret).size;
  return distinct <= 1 ? 0 : secret.length * Math.log2(distinct);
}

/** Random 32-byte keys use ~30 distinct byte values; a made-up or padded key uses a handful. */
export function distinctBytes(key: Buffer): number {
  return new Set(key).size;
}

// Placeholders people paste from examples and tutorials.
const PLACEHOLDER = /change[-_ ]?me|example|secret|password|replace/i;

export function looksLikePlaceholder(secret: string): boolean {
  return PLACEHOLDER.test(secret);
}
