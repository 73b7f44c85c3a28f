/**
 * SLSA v1 provenance generated from a GitHub Actions OIDC token's claims, for images that
 * carry no provenance of their own (docs/formats.md, "OCI layout"). The layout follows GitHub's
 * workflow build type, as actions/attest-build-provenance produces it.
 */
import { AttestError } from './errors.js';
import { makeStatement, PREDICATE_SLSA_PROVENANCE_V1, type SubjectInput } from './intoto.js';
import { type JsonObject } from '../core/guards.js';
import { quote } from '../core/quote.js';
import { githubServerOf } from '../identity/oidc/github-issuer.js';

/** buildDefinition.buildType of a GitHub Actions workflow run. */
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const GIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const DECIMAL = /^[0-9]{1,20}$/;
const NO_SPACE_OR_CONTROL = /^[^\s\p{Cc}]{1,1024}$/u;

/** The claims of a GitHub Actions ID token that the provenance uses, checked. */
interface WorkflowClaims {
  iss: string;
  repository: string;
  ref: string;
  sha: string;
  workflow_ref: string;
  job_workflow_ref: string;
  run_id: string;
  run_attempt: string;
  runner_environment: string;
  event_name: string;
  repository_id?: string;
  repository_owner_id?: string;
}

/** Inputs of `generateSlsaProvenance`. */
export interface SlsaProvenanceOptions {
  /** The platform manifests the provenance is about. */
  readonly subjects: readonly SubjectInput[];
  /** The verified ID token / PK token payload claims of the signing workflow. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** The GitHub server URL; derived from `iss` for github.com, GHE.com and GHES when omitted. */
  readonly serverUrl?: string;
}

/**
 * Builds an in-toto statement with a SLSA v1 provenance predicate describing the workflow run.
 * @returns the statement bytes
 * @throws AttestError STMT_CLAIMS_INVALID | STMT_MALFORMED (bad subjects)
 */
export function generateSlsaProvenance(opts: SlsaProvenanceOptions): Buffer {
  const predicate = slsaProvenancePredicate(opts.claims, opts.serverUrl);
  return makeStatement(opts.subjects, PREDICATE_SLSA_PROVENANCE_V1, Buffer.from(JSON.stringify(predicate)));
}

/**
 * The SLSA v1 provenance predicate of a GitHub Actions workflow run.
 * @throws AttestError STMT_CLAIMS_INVALID
 */
export function slsaProvenancePredicate(rawClaims: Readonly<Record<string, unknown>>, serverUrl?: string): JsonObject {
  const c = readClaims(rawClaims);
  const server = serverUrl === undefined ? serverUrlOf(c.iss) : checkServerUrl(serverUrl);
  const [path, ...refParts] = c.workflow_ref.slice(c.repository.length + 1).split('@');
  return {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: {
        workflow: { ref: refParts.join('@'), repository: `${server}/${c.repository}`, path: path ?? '' },
      },
      internalParameters: {
        github: {
          event_name: c.event_name,
          ...(c.repository_id === undefined ? {} : { repository_id: c.repository_id }),
          ...(c.repository_owner_id === undefined ? {} : { repository_owner_id: c.repository_owner_id }),
          runner_environment: c.runner_environment,
        },
      },
      resolvedDependencies: [{ uri: `git+${server}/${c.repository}@${c.ref}`, digest: { gitCommit: c.sha } }],
    },
    runDetails: {
      builder: { id: `${server}/${c.job_workflow_ref}` },
      metadata: { invocationId: `${server}/${c.repository}/actions/runs/${c.run_id}/attempts/${c.run_attempt}` },
    },
  };
}

function readClaims(claims: Readonly<Record<string, unknown>>): WorkflowClaims {
  const bad: string[] = [];
  const get = (name: string, pattern: RegExp, optional = false): string | undefined => {
    const v = claims[name];
    if (v === undefined && optional) return undefined;
    if (typeof v === 'string' && pattern.test(v)) return v;
    bad.push(`${name} ${v === undefined ? 'is missing' : `is ${quote(v)}`}`);
    return undefined;
  };
  const repository = get('repository', REPOSITORY) ?? '';
  const workflowRef = get('workflow_ref', NO_SPACE_OR_CONTROL) ?? '';
  if (workflowRef !== '' && (!workflowRef.startsWith(`${repository}/`) || !workflowRef.includes('@'))) {
    bad.push(`workflow_ref ${quote(workflowRef)} is not "${repository}/<path>@<ref>"`);
  }
  const c = {
    iss: get('iss', NO_SPACE_OR_CONTROL),
    repository,
    ref: get('ref', NO_SPACE_OR_CONTROL),
    sha: get('sha', GIT_SHA),
    workflow_ref: workflowRef,
    job_workflow_ref: get('job_workflow_ref', NO_SPACE_OR_CONTROL, true) ?? workflowRef,
    run_id: get('run_id', DECIMAL),
    run_attempt: get('run_attempt', DECIMAL),
    runner_environment: get('runner_environment', NO_SPACE_OR_CONTROL),
    event_name: get('event_name', NO_SPACE_OR_CONTROL),
    repository_id: get('repository_id', DECIMAL, true),
    repository_owner_id: get('repository_owner_id', DECIMAL, true),
  };
  if (bad.length > 0) {
    throw new AttestError({
      code: 'STMT_CLAIMS_INVALID',
      message: `cannot generate SLSA provenance from the OIDC claims: ${bad.join('; ')}; run in GitHub Actions with "id-token: write", or supply a provenance file`,
    });
  }
  return c as WorkflowClaims;
}

/** The GitHub server URL implied by the Actions OIDC issuer. */
function serverUrlOf(iss: string): string {
  const server = githubServerOf(iss);
  if (server !== undefined) return server;
  throw new AttestError({
    code: 'STMT_CLAIMS_INVALID',
    message: `OIDC issuer ${quote(iss)} is not a GitHub Actions issuer; pass the server URL explicitly to generate SLSA provenance`,
  });
}

function checkServerUrl(url: string): string {
  if (/^https:\/\/[A-Za-z0-9.-]+(?::\d+)?$/.test(url)) return url;
  throw new AttestError({
    code: 'STMT_CLAIMS_INVALID',
    message: `server URL ${quote(url)} must be "https://host[:port]" without a path or trailing slash`,
  });
}
