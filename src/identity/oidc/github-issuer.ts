/**
 * Which `iss` a GitHub deployment's Actions ID tokens carry, from the server the job runs on
 * (`GITHUB_SERVER_URL`), as GitHub documents them:
 * - GitHub.com: `https://token.actions.githubusercontent.com`, or with an enterprise's custom
 *   issuer (GitHub Enterprise Cloud) `https://token.actions.githubusercontent.com/<enterprise-slug>`;
 * - GHE.com (data residency, `https://<sub>.ghe.com`): `https://token.actions.<sub>.ghe.com`;
 * - GitHub Enterprise Server (`https://<host>`): `https://<host>/_services/token`.
 * The mapping back (issuer → server) serves provenance and the verifiers' defaults, so signing
 * and verifying agree on what a GitHub issuer is.
 */
import { quote } from '../../core/quote.js';
import { OidcError } from '../errors.js';

/** The issuer of GitHub.com's Actions ID tokens. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
/** The GitHub.com server URL, what `GITHUB_SERVER_URL` says there. */
export const GITHUB_COM_SERVER = 'https://github.com';

/** The kind of GitHub a server URL names. */
export type GithubDeployment = 'github.com' | 'ghe.com' | 'ghes';

/** What the Actions tokens of one GitHub server carry as `iss`. */
export interface GithubIssuer {
  /** The server URL, normalised (`https://host[:port]`, no trailing slash). */
  readonly serverUrl: string;
  readonly deployment: GithubDeployment;
  /** The issuer of the server's tokens (GitHub.com: the one without an enterprise slug). */
  readonly issuer: string;
  /** The issuer as people read it in a message (GitHub.com: both forms). */
  readonly described: string;
  /** Whether a token's `iss` fits the server (GitHub.com: either form). */
  fits(iss: unknown): boolean;
}

/** An enterprise slug as GitHub makes them: letters, digits and hyphens. */
const SLUG = '[A-Za-z0-9][A-Za-z0-9-]{0,99}';
const GITHUB_SLUG_ISSUER = new RegExp(`^${GITHUB_ACTIONS_ISSUER.replace(/\./g, '\\.')}/${SLUG}$`);
const GHE_COM_HOST = /^([a-z0-9][a-z0-9-]{0,62})\.ghe\.com$/;
const GHE_COM_ISSUER = /^https:\/\/token\.actions\.([a-z0-9][a-z0-9-]{0,62})\.ghe\.com$/;
const GHES_ISSUER = /^https:\/\/([A-Za-z0-9.-]+(?::\d{1,5})?)\/_services\/token$/;

/**
 * The Actions OIDC issuer of a GitHub server.
 * @param serverUrl - `GITHUB_SERVER_URL`: `https://github.com`, `https://<sub>.ghe.com` or a GHES URL
 * @param setting - where the URL came from, named in the message
 * @throws OidcError OIDC_NOT_CONFIGURED when it is not an http(s) URL of a bare host
 */
export function githubIssuerFor(serverUrl: string, setting = 'GITHUB_SERVER_URL'): GithubIssuer {
  const url = serverUrlOf(serverUrl, setting);
  const host = url.host.toLowerCase();
  if (host === 'github.com') {
    return {
      serverUrl: GITHUB_COM_SERVER,
      deployment: 'github.com',
      issuer: GITHUB_ACTIONS_ISSUER,
      described: `${GITHUB_ACTIONS_ISSUER} or ${GITHUB_ACTIONS_ISSUER}/<enterprise-slug>`,
      fits: (iss) => iss === GITHUB_ACTIONS_ISSUER || (typeof iss === 'string' && GITHUB_SLUG_ISSUER.test(iss)),
    };
  }
  const gheCom = GHE_COM_HOST.exec(host);
  const issuer = gheCom ? `https://token.actions.${gheCom[1]}.ghe.com` : `https://${host}/_services/token`;
  return {
    serverUrl: `https://${host}`,
    deployment: gheCom ? 'ghe.com' : 'ghes',
    issuer,
    described: issuer,
    fits: (iss) => iss === issuer,
  };
}

/**
 * The GitHub server whose Actions tokens carry this issuer, if it has one of GitHub's shapes.
 * @returns `https://github.com`, `https://<sub>.ghe.com`, `https://<host>` (GHES), or undefined
 * @throws never
 */
export function githubServerOf(issuer: string): string | undefined {
  if (issuer === GITHUB_ACTIONS_ISSUER || GITHUB_SLUG_ISSUER.test(issuer)) return GITHUB_COM_SERVER;
  const gheCom = GHE_COM_ISSUER.exec(issuer);
  if (gheCom) return `https://${gheCom[1]}.ghe.com`;
  const ghes = GHES_ISSUER.exec(issuer);
  return ghes ? `https://${ghes[1]}` : undefined;
}

/**
 * Whether an issuer has the shape of a GitHub Actions issuer (any of the four). Such issuers put
 * the OpenPubkey commitment in `aud`.
 * @throws never
 */
export function isGithubActionsIssuer(issuer: string): boolean {
  return githubServerOf(issuer) !== undefined;
}

function serverUrlOf(raw: string, setting: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    // reported below with the fix
  }
  const bare =
    url !== undefined &&
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    !url.username &&
    !url.password &&
    (url.pathname === '/' || url.pathname === '') &&
    !url.search &&
    !url.hash;
  if (!bare) {
    throw new OidcError({
      code: 'OIDC_NOT_CONFIGURED',
      message: `${setting} ${quote(raw, 100)} is not a GitHub server URL (https://host); run inside GitHub Actions or set the OIDC issuer explicitly`,
    });
  }
  return url!;
}
