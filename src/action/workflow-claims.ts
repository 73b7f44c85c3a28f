/**
 * The workflow's identity as GitHub's environment states it, in ID-token claim names. The
 * generated provenance is built from these before the token exists; the signing run then checks
 * the token's signed claims say the same.
 */

/** Claims for provenance, or undefined outside GitHub Actions. */
export function workflowClaims(env: NodeJS.ProcessEnv, issuer: string): Record<string, string> | undefined {
  if (env.GITHUB_ACTIONS !== 'true' || !env.GITHUB_REPOSITORY || !env.GITHUB_WORKFLOW_REF) return undefined;
  const claims: Record<string, string | undefined> = {
    iss: issuer,
    repository: env.GITHUB_REPOSITORY,
    ref: env.GITHUB_REF,
    sha: env.GITHUB_SHA,
    workflow_ref: env.GITHUB_WORKFLOW_REF,
    // The environment does not name the reusable workflow a job runs; the caller's is the closest fact.
    job_workflow_ref: env.GITHUB_WORKFLOW_REF,
    run_id: env.GITHUB_RUN_ID,
    run_attempt: env.GITHUB_RUN_ATTEMPT,
    runner_environment: env.RUNNER_ENVIRONMENT ?? 'github-hosted',
    event_name: env.GITHUB_EVENT_NAME,
    repository_id: env.GITHUB_REPOSITORY_ID,
    repository_owner_id: env.GITHUB_REPOSITORY_OWNER_ID,
  };
  return Object.fromEntries(
    Object.entries(claims).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
  );
}
