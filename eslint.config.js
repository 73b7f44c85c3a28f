// Lint catches what the type checker does not: a dropped `await`, a promise handed to something
// that ignores it. Formatting is prettier's job (`npm run format`), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'api/**', 'node_modules/**', '.tmp/**', '**/*.cjs', '**/*.mjs', '*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Parsers of hostile text match control characters on purpose (checkpoints, DER strings, log bodies).
      'no-control-regex': 'off',
    },
  },
  {
    // Tests build hostile shapes the types forbid, and numbers that cannot round-trip, on purpose.
    files: ['__tests__/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', 'no-loss-of-precision': 'off' },
  },
);
