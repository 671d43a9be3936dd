// Type-aware lint over src/ and bench/ (CI runs it through `npm test`): promises that nobody awaits or
// that are handed to code expecting a plain callback are how errors go missing in a server.
import tseslint from 'typescript-eslint';

export default tseslint.config({
  files: ['src/**/*.ts', 'bench/**/*.ts'],
  extends: [...tseslint.configs.recommendedTypeChecked],
  languageOptions: {
    parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
  },
  rules: {
    '@typescript-eslint/no-floating-promises': 'error',
    '@typescript-eslint/no-misused-promises': 'error',
    // The in-memory twins implement async store interfaces without awaiting anything.
    '@typescript-eslint/require-await': 'off',
    // `_name` marks what a destructuring leaves out on purpose (a secret stripped from a payload).
    '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
  },
});
