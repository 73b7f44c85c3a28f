import { generateSlsaProvenance, slsaProvenancePredicate } from '../../src/attest/provenance.js';
import { parseStatement } from '../../src/attest/intoto.js';
import { expectCode } from '../helpers.js';
import { digestFor } from './run-fixture.js';

/** Claims as a GitHub Actions ID token carries them (values from a made-up run). */
const claims = {
  iss: 'https://token.actions.githubusercontent.com',
  repository: 'acme/app',
  repository_id: '123456',
  repository_owner_id: '7890',
  ref: 'refs/heads/main',
  sha: 'a'.repeat(40),
  workflow_ref: 'acme/app/.github/workflows/release.yml@refs/heads/main',
  job_workflow_ref: 'acme/shared/.github/workflows/build.yml@refs/tags/v1',
  run_id: '42',
  run_attempt: '2',
  runner_environment: 'github-hosted',
  event_name: 'push',
};

describe('slsaProvenancePredicate', () => {
  describe('when given GitHub.com workflow claims', () => {
    it('builds the GitHub workflow build type layout', () => {
      expect(slsaProvenancePredicate(claims)).toEqual({
        buildDefinition: {
          buildType: 'https://actions.github.io/buildtypes/workflow/v1',
          externalParameters: {
            workflow: {
              ref: 'refs/heads/main',
              repository: 'https://github.com/acme/app',
              path: '.github/workflows/release.yml',
            },
          },
          internalParameters: {
            github: {
              event_name: 'push',
              repository_id: '123456',
              repository_owner_id: '7890',
              runner_environment: 'github-hosted',
            },
          },
          resolvedDependencies: [
            { uri: 'git+https://github.com/acme/app@refs/heads/main', digest: { gitCommit: 'a'.repeat(40) } },
          ],
        },
        runDetails: {
          builder: { id: 'https://github.com/acme/shared/.github/workflows/build.yml@refs/tags/v1' },
          metadata: { invocationId: 'https://github.com/acme/app/actions/runs/42/attempts/2' },
        },
      });
    });
  });

  describe('when the workflow ref contains "@" in the tag', () => {
    it('keeps everything after the first "@" as the ref', () => {
      const p = slsaProvenancePredicate({
        ...claims,
        workflow_ref: 'acme/app/.github/workflows/r.yml@refs/tags/pkg@1.0',
      }) as any;
      expect(p.buildDefinition.externalParameters.workflow).toEqual({
        ref: 'refs/tags/pkg@1.0',
        repository: 'https://github.com/acme/app',
        path: '.github/workflows/r.yml',
      });
    });
  });

  describe('when the issuer is a GitHub Enterprise Server', () => {
    it('uses that server in every URL', () => {
      const p = slsaProvenancePredicate({ ...claims, iss: 'https://ghe.example.com/_services/token' }) as any;
      expect(p.runDetails.metadata.invocationId).toBe('https://ghe.example.com/acme/app/actions/runs/42/attempts/2');
    });
  });

  describe('when the issuer is not GitHub and no server URL is given', () => {
    it('throws STMT_CLAIMS_INVALID', () =>
      expectCode(() => slsaProvenancePredicate({ ...claims, iss: 'https://gitlab.com' }), 'STMT_CLAIMS_INVALID'));
  });

  describe('when job_workflow_ref is absent', () => {
    it('uses workflow_ref as the builder', () => {
      const { job_workflow_ref: _, ...rest } = claims;
      expect((slsaProvenancePredicate(rest) as any).runDetails.builder.id).toBe(
        'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main',
      );
    });
  });

  describe('when claims are missing or malformed', () => {
    it.each([
      ['sha', 'A'.repeat(40)],
      ['run_id', '4 2'],
      ['repository', 'acme'],
      ['workflow_ref', 'other/repo/.github/workflows/x.yml@main'],
      ['ref', undefined],
      ['event_name', 'push\n'],
    ])('throws STMT_CLAIMS_INVALID for %s = %p', (name, value) =>
      expectCode(() => slsaProvenancePredicate({ ...claims, [name]: value }), 'STMT_CLAIMS_INVALID'),
    );
  });
});

describe('generateSlsaProvenance', () => {
  describe('when given subjects and claims', () => {
    it('returns a v1 statement with the SLSA v1 predicate type', () => {
      const digest = digestFor('amd64');
      const s = parseStatement(generateSlsaProvenance({ subjects: [{ name: 'ghcr.io/acme/app', digest }], claims }));
      expect(s.predicateType).toBe('https://slsa.dev/provenance/v1');
      expect(s.subjects).toEqual([{ name: 'ghcr.io/acme/app', digest: { sha256: digest.slice(7) } }]);
    });
  });
});
