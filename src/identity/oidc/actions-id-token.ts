/**
 * `@actions/core.getIDToken` alone, in a module of its own, imported lazily by
 * `actionsCoreGithubProvider` only: its HTTP client (@actions/http-client, with undici) is
 * loaded only by a caller that uses GitHub's own client.
 */
export { getIDToken } from '@actions/core';
