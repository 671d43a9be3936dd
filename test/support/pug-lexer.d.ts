// pug-lexer ships no types; the page-text test reads only these parts of its tokens.
declare module 'pug-lexer' {
  interface LexedToken {
    type: string;
    val?: unknown;
    name?: string;
    line?: number;
  }
  export default function lex(source: string, options?: { filename?: string }): LexedToken[];
}
