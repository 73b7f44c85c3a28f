/**
 * `@actions/core.setSecret` alone, in a module of its own: the GitHub provider imports it lazily
 * (the library does not load @actions/core outside Actions), and a bundle then carries only
 * this call — not `getIDToken`, whose HTTP client pulls in undici (see actions-id-token.ts).
 */
export { setSecret } from '@actions/core';
