/**
 * GitHub's Actions OIDC issuers by deployment, and back: GitHub.com (with or without an enterprise
 * slug), GHE.com, GitHub Enterprise Server.
 */
import {
  GITHUB_ACTIONS_ISSUER,
  githubIssuerFor,
  githubServerOf,
  isGithubActionsIssuer,
} from '../../../src/identity/oidc/github-issuer.js';
import { expectCode } from '../../helpers.js';

describe('githubIssuerFor', () => {
  describe('when the server is GitHub.com', () => {
    const gh = githubIssuerFor('https://github.com');
    it('expects the GitHub.com issuer, with or without one enterprise slug', () => {
      expect(gh).toMatchObject({
        deployment: 'github.com',
        issuer: GITHUB_ACTIONS_ISSUER,
        serverUrl: 'https://github.com',
      });
      expect(gh.fits(GITHUB_ACTIONS_ISSUER)).toBe(true);
      expect(gh.fits(`${GITHUB_ACTIONS_ISSUER}/octo-enterprise`)).toBe(true);
    });
    it.each([
      `${GITHUB_ACTIONS_ISSUER}/`,
      `${GITHUB_ACTIONS_ISSUER}/a/b`,
      `${GITHUB_ACTIONS_ISSUER}/octo enterprise`,
      `${GITHUB_ACTIONS_ISSUER}.evil.example`,
      'http://token.actions.githubusercontent.com',
      'https://token.actions.octo.ghe.com',
      'https://github.com/_services/token',
      undefined,
      42,
    ])('does not fit %p', (iss) => {
      expect(gh.fits(iss)).toBe(false);
    });
  });

  describe('when the server is on GHE.com', () => {
    it('expects https://token.actions.<sub>.ghe.com and nothing else', () => {
      const gh = githubIssuerFor('https://octo.ghe.com/');
      expect(gh).toMatchObject({
        deployment: 'ghe.com',
        issuer: 'https://token.actions.octo.ghe.com',
        serverUrl: 'https://octo.ghe.com',
      });
      expect(gh.fits('https://token.actions.octo.ghe.com')).toBe(true);
      expect(gh.fits('https://token.actions.other.ghe.com')).toBe(false);
      expect(gh.fits(GITHUB_ACTIONS_ISSUER)).toBe(false);
    });
  });

  describe('when the server is GitHub Enterprise Server', () => {
    it('expects https://<host>/_services/token, port included', () => {
      const gh = githubIssuerFor('https://GHES.example.com:8443');
      expect(gh).toMatchObject({
        deployment: 'ghes',
        issuer: 'https://ghes.example.com:8443/_services/token',
        serverUrl: 'https://ghes.example.com:8443',
      });
      expect(gh.fits('https://ghes.example.com:8443/_services/token')).toBe(true);
      expect(gh.fits('https://ghes.example.com/_services/token')).toBe(false);
    });
  });

  describe.each([
    '',
    'github.com',
    'ftp://github.com',
    'https://github.com/octo',
    'https://u:p@github.com',
    'https://github.com?x=1',
  ])('when GITHUB_SERVER_URL is %p', (url) => {
    it('throws OIDC_NOT_CONFIGURED', () => expectCode(() => githubIssuerFor(url), 'OIDC_NOT_CONFIGURED'));
  });
});

describe('githubServerOf', () => {
  it.each([
    [GITHUB_ACTIONS_ISSUER, 'https://github.com'],
    [`${GITHUB_ACTIONS_ISSUER}/octo-enterprise`, 'https://github.com'],
    ['https://token.actions.octo.ghe.com', 'https://octo.ghe.com'],
    ['https://ghes.example.com/_services/token', 'https://ghes.example.com'],
    ['https://ghes.example.com:8443/_services/token', 'https://ghes.example.com:8443'],
    ['https://accounts.google.com', undefined],
    ['http://ghes.example.com/_services/token', undefined],
    [`${GITHUB_ACTIONS_ISSUER}/a/b`, undefined],
  ])('maps %s to %p', (issuer, server) => {
    expect(githubServerOf(issuer)).toBe(server);
    expect(isGithubActionsIssuer(issuer)).toBe(server !== undefined);
  });

  it('inverts githubIssuerFor for every deployment', () => {
    for (const server of ['https://github.com', 'https://octo.ghe.com', 'https://ghes.example.com'])
      expect(githubServerOf(githubIssuerFor(server).issuer)).toBe(server);
  });
});
