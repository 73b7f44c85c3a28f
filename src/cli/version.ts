/**
 * This package's version. The build (scripts/build.mjs) and the test transform
 * (scripts/jest-transform.cjs) replace OPK_ATTEST_VERSION with package.json's version, so the
 * bundle never looks for a package.json at run time: an installed or copied dist/ may have none
 * beside it, or somebody else's.
 */
declare const OPK_ATTEST_VERSION: string | undefined;

/** The version `opk-attest --version` prints, or `unknown` when the code was not built by our scripts. */
export function packageVersion(): string {
  return typeof OPK_ATTEST_VERSION === 'string' ? OPK_ATTEST_VERSION : 'unknown';
}
