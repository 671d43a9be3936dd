/**
 * Text for a person, named by its catalogue key rather than written out, so code that decides
 * what to say (a refusal, an error page) stays apart from the language it is said in. A value may
 * itself be a message: it is translated first ("try again in {wait}" with wait = "5 minutes").
 */
export type MessageValue = string | number | Date | Message;

export interface Message {
  readonly key: string;
  readonly values?: Readonly<Record<string, MessageValue>>;
}

export function message(key: string, values?: Readonly<Record<string, MessageValue>>): Message {
  return values ? { key, values } : { key };
}

export function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && typeof (value as { key?: unknown }).key === 'string';
}
