/**
 * The one notion of "the same signer": the policy counts distinct signers with it, and a signing
 * run recognises with it what its signer already signed (so a second identity co-signs and a
 * re-run by the same identity adds nothing).
 */

/**
 * Who signed, as the policy counts signers: issuer, `sub` and the workflow that ran
 * (`job_workflow_ref`, else `workflow_ref`; two workflows of one repository share `sub`). For
 * GitHub Actions `sub` names the repository and the ref (or environment), so this is the
 * repository, workflow and ref of the token. Signatures with equal identities count once; the
 * signing run uses the same key to recognise what a signer already signed.
 * @param issuer - the token's `iss`
 * @param claims - the token's claims (only own string values of `sub`, `job_workflow_ref`, `workflow_ref` are read)
 * @returns an opaque key: equal keys mean the same signer
 * @throws never
 */
export function signerIdentity(issuer: string, claims: Readonly<Record<string, unknown>>): string {
  const claim = (k: string) => (Object.hasOwn(claims, k) && typeof claims[k] === 'string' ? (claims[k] as string) : '');
  return JSON.stringify([issuer, claim('sub'), claim('job_workflow_ref') || claim('workflow_ref')]);
}
