/** Jest runs the TypeScript sources as native ESM through esbuild (scripts/jest-transform.cjs;
 * no type-check: `npm run typecheck` does that). `.js` suffixes in relative imports map back to `.ts`. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': '<rootDir>/scripts/jest-transform.cjs',
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  testTimeout: 30000,
};
