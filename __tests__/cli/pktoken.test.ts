import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { runCli } from '../../src/cli/run.js';
import { MAX_PK_TOKEN_BYTES } from '../../src/core/limits.js';
import { parsePkToken } from '../../src/identity/pk-token.js';
import { startGithubOidc, type GithubOidc } from '../fakes/github-oidc.js';
import { startMinimalOp, type MinimalOp } from '../fakes/onprem-oidc.js';
import { loadVectors } from '../helpers.js';
import { itWith } from '../requirements.js';

const V = loadVectors();
const GITHUB = 'https://token.actions.githubusercontent.com';
const ENV_VARS = [
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'GITHUB_ACTIONS',
  'OPK_TEST_CLIENT_SECRET',
];

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Everything any command printed, scanned for secrets at the end. */
const printed: string[] = [];

/** Runs the real dispatcher in-process with stdout/stderr captured (Node's streams, not our modules). */
async function cli(argv: string[], opts: { onErr?: (text: string) => void } = {}): Promise<Run> {
  let out = '';
  let err = '';
  const o = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    opts.onErr?.(err);
    return true;
  });
  try {
    return { code: await runCli(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    printed.push(out, err);
  }
}

let gh: GithubOidc;
let op: MinimalOp;
let dir: string;
let savedEnv: Record<string, string | undefined>;
let tokenFile: string;
let jwksFile: string;

const file = (name: string, content: string | Buffer): string => {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
};

beforeAll(async () => {
  savedEnv = Object.fromEntries(ENV_VARS.map((k) => [k, process.env[k]]));
  [gh, op] = await Promise.all([startGithubOidc(), startMinimalOp()]);
  process.env.ACTIONS_ID_TOKEN_REQUEST_URL = gh.requestUrl;
  process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = gh.requestToken;
  delete process.env.GITHUB_ACTIONS; // outside Actions: no ::add-mask:: lines on stdout
  dir = mkdtempSync(path.join(tmpdir(), 'opk-pktoken-'));
  jwksFile = file('jwks.json', JSON.stringify(gh.jwks()));
  tokenFile = path.join(dir, 'token.json');
  const r = await cli([
    'pktoken',
    'issue',
    '--issuer',
    gh.issuer,
    '--extra-claim',
    `att=${'ab'.repeat(32)}`,
    '--out',
    tokenFile,
  ]);
  if (r.code !== 0) throw new Error(`issue failed: ${r.err}`);
});

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await Promise.all([gh.close(), op.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The fake's issuer is a loopback URL, not GitHub's, so the verifier must be told the commitment is in aud. */
const verifyArgs = (token: string, ...more: string[]): string[] => [
  'pktoken',
  'verify',
  '--token',
  token,
  '--jwks',
  jwksFile,
  '--issuer',
  gh.issuer,
  '--commitment-claim',
  'aud',
  ...more,
];

describe('pktokenCommand', () => {
  describe('when given no subcommand', () => {
    it('exits 2 with the usage', async () => {
      const r = await cli(['pktoken']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/missing subcommand.*\n.*usage: opk-attest pktoken/s);
    });
  });

  describe('when given an unknown subcommand', () => {
    it('exits 2', async () => expect((await cli(['pktoken', 'mint'])).code).toBe(2));
  });

  describe('when asked for --help', () => {
    it('prints the usage on stdout and exits 0', async () => {
      expect(await cli(['pktoken', '--help'])).toMatchObject({ code: 0, out: expect.stringContaining('issue') });
      expect(await cli(['pktoken', 'verify', '--help'])).toMatchObject({
        code: 0,
        out: expect.stringContaining('--issuer-discovery'),
      });
    });
  });
});

describe('pktoken issue', () => {
  describe('when run in a GitHub Actions job', () => {
    it('prints the GQ256 PK token JSON on stdout and a one-line summary on stderr', async () => {
      const r = await cli(['pktoken', 'issue', '--issuer', gh.issuer]);
      expect(r.code).toBe(0);
      const pkt = parsePkToken(r.out.trimEnd());
      expect(pkt.op.header.alg).toBe('GQ256');
      expect(pkt.claims.aud).toBe(gh.audiences.at(-1));
      const lines = r.err.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`issuer ${gh.issuer}`);
      expect(lines[0]).toContain('sub repo:octo-org/octo-repo:ref:refs/heads/main');
      expect(lines[0]).toContain(`kid ${gh.currentKey().kid}`);
      expect(lines[0]).toContain(`hash ${pkt.hash()}`);
    });

    it('writes --out byte for byte with mode 0600 and nothing on stdout', async () => {
      const bytes = readFileSync(tokenFile);
      expect(parsePkToken(bytes).jsonBytes().equals(bytes)).toBe(true);
      expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    });

    it('puts --extra-claim into the CIC', async () => {
      expect(parsePkToken(readFileSync(tokenFile)).cic.header.att).toBe('ab'.repeat(32));
    });
  });

  describe('when the job has no OIDC permission', () => {
    it('exits 1 with OIDC_NOT_CONFIGURED', async () => {
      delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
      try {
        const r = await cli(['pktoken', 'issue']);
        expect(r.code).toBe(1);
        expect(r.err).toContain('[OIDC_NOT_CONFIGURED]');
      } finally {
        process.env.ACTIONS_ID_TOKEN_REQUEST_URL = gh.requestUrl;
      }
    });
  });

  describe('when the command line is wrong', () => {
    it.each([
      [['--extra-claim', 'no-equals-sign']],
      [['--extra-claim', 'a=1', '--extra-claim', 'a=2']],
      [['--provider', 'env']],
      [['--token-file', '/tmp/x']],
      [['--provider', 'file']],
      [['--provider', 'client-credentials', '--issuer', 'https://op.example']],
      [['--commitment-claim', 'nonce']],
      [['--client-secret', 's3cret-value']],
    ])('%j exits 2 with the usage and echoes no value', async (args) => {
      const r = await cli(['pktoken', 'issue', ...args]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('usage: opk-attest pktoken issue');
      expect(r.err).not.toContain('s3cret-value');
    });
  });

  describe('with --provider file and a named pipe written after the commitment is announced', () => {
    it('issues a token that verifies', async () => {
      const fifo = path.join(dir, 'id-token.fifo');
      execFileSync('mkfifo', [fifo]);
      let fed: Promise<void> | undefined;
      const feed = (err: string): void => {
        const commitment = /commitment (\S+);/.exec(err)?.[1];
        if (!commitment || fed) return;
        fed = (async () => {
          // the party holding the OIDC credentials mints a token for the announced commitment
          const res = await fetch(`${gh.requestUrl}&audience=${commitment}`, {
            headers: { authorization: `Bearer ${gh.requestToken}` },
          });
          writeFileSync(fifo, ((await res.json()) as { value: string }).value);
        })();
      };
      const out = path.join(dir, 'from-file.json');
      const r = await cli(
        ['pktoken', 'issue', '--provider', 'file', '--token-file', fifo, '--issuer', gh.issuer, '--out', out],
        { onErr: feed },
      );
      await fed;
      expect(r.code).toBe(0);
      expect((await cli(verifyArgs(out))).code).toBe(0);
    });
  });

  describe('with --provider client-credentials', () => {
    it('issues a token from the on-prem OP with the secret read from the environment', async () => {
      process.env.OPK_TEST_CLIENT_SECRET = op.client.secret;
      const out = path.join(dir, 'onprem.json');
      const r = await cli([
        'pktoken',
        'issue',
        '--provider',
        'client-credentials',
        '--issuer',
        op.issuer,
        '--client-id',
        op.client.id,
        '--client-secret-env',
        'OPK_TEST_CLIENT_SECRET',
        '--out',
        out,
      ]);
      expect(r.code).toBe(0);
      const opJwks = file('op-jwks.json', JSON.stringify(op.jwks()));
      const v = await cli([
        'pktoken',
        'verify',
        '--token',
        out,
        '--jwks',
        opJwks,
        '--issuer',
        op.issuer,
        '--commitment-claim',
        'aud',
        '--json',
      ]);
      expect(v.code).toBe(0);
      expect(JSON.parse(v.out)).toMatchObject({ valid: true, issuer: op.issuer, subject: op.client.id });
    });

    it('exits 2 when the secret variable is not set', async () => {
      const r = await cli([
        'pktoken',
        'issue',
        '--provider',
        'client-credentials',
        '--issuer',
        op.issuer,
        '--client-id',
        op.client.id,
        '--client-secret-env',
        'OPK_TEST_UNSET_SECRET',
      ]);
      expect(r.code).toBe(2);
      expect(r.err).toContain('OPK_TEST_UNSET_SECRET');
    });
  });
});

describe('pktoken verify', () => {
  describe('when the token is valid', () => {
    it('exits 0 and prints the identity', async () => {
      const r = await cli(verifyArgs(tokenFile));
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^valid PK token\n/);
      expect(r.out).toContain(parsePkToken(readFileSync(tokenFile)).hash());
    });

    it('prints {"valid":true,…} with --json', async () => {
      const r = await cli(verifyArgs(tokenFile, '--json'));
      const pkt = parsePkToken(readFileSync(tokenFile));
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({
        valid: true,
        issuer: gh.issuer,
        subject: 'repo:octo-org/octo-repo:ref:refs/heads/main',
        kid: gh.currentKey().kid,
        hash: pkt.hash(),
        opAlg: 'GQ256',
        upk: { kty: 'EC', x: (pkt.cic.header.upk as { x: string }).x },
        extraClaims: { att: 'ab'.repeat(32) },
        claims: { repository: 'octo-org/octo-repo' },
      });
    });

    it('accepts the compact form with a trailing newline', async () => {
      const compact = file('token.compact', `${parsePkToken(readFileSync(tokenFile)).compact()}\n`);
      expect((await cli(verifyArgs(compact))).code).toBe(0);
    });

    it('reads --token - from stdin', async () => {
      const stdin = jest
        .spyOn(process, 'stdin', 'get')
        .mockReturnValue(Readable.from([readFileSync(tokenFile)]) as typeof process.stdin);
      try {
        expect((await cli(verifyArgs('-'))).code).toBe(0);
      } finally {
        stdin.mockRestore();
      }
    });

    it('finds the key by --issuer-discovery', async () => {
      const before = gh.requests.discovery;
      const r = await cli([
        'pktoken',
        'verify',
        '--token',
        tokenFile,
        '--issuer-discovery',
        '--issuer',
        gh.issuer,
        '--commitment-claim',
        'aud',
      ]);
      expect(r.code).toBe(0);
      expect(gh.requests.discovery).toBe(before + 1);
    });

    it('passes --never-expire however late --now is', async () => {
      expect((await cli(verifyArgs(tokenFile, '--never-expire', '--now', '99999999999'))).code).toBe(0);
    });
  });

  describe('when the token is invalid', () => {
    const iat = (): number => parsePkToken(readFileSync(tokenFile)).claims.iat as number;
    const tampered = (): string => {
      const pkt = parsePkToken(readFileSync(tokenFile));
      const claims = { ...pkt.claims, sub: 'repo:evil/repo:ref:refs/heads/main' };
      const json = pkt
        .jsonBytes()
        .toString()
        .replace(pkt.payload, Buffer.from(JSON.stringify(claims)).toString('base64url'));
      return file('tampered.json', json);
    };

    it.each([
      ['a claim was altered', () => verifyArgs(tampered()), 'PKT_CIC_SIGNATURE_INVALID'],
      [
        'its issuer is not accepted',
        () => ['pktoken', 'verify', '--token', tokenFile, '--jwks', jwksFile, '--issuer', GITHUB],
        'PKT_ISSUER_NOT_ALLOWED',
      ],
      [
        'it is older than --max-age',
        () => verifyArgs(tokenFile, '--max-age', '1', '--now', String(iat() + 3600)),
        'PKT_EXPIRED',
      ],
      [
        'its exp has passed under --check-exp',
        () => verifyArgs(tokenFile, '--check-exp', '--now', String(iat() + 3600)),
        'PKT_EXPIRED',
      ],
      [
        'the JWKS lacks its key',
        () => verifyArgs(tokenFile).map((a) => (a === jwksFile ? file('empty.json', '{"keys":[]}') : a)),
        'PKT_KID_UNKNOWN',
      ],
      [
        'the commitment is looked for in nonce',
        () => verifyArgs(tokenFile).map((a) => (a === 'aud' ? 'nonce' : a)),
        'PKT_COMMITMENT_MISMATCH',
      ],
      ['it is not a PK token', () => verifyArgs(file('garbage.json', '{"payload":"x"}')), 'PKT_MALFORMED'],
      [
        'it is truncated',
        () => verifyArgs(file('truncated.json', readFileSync(tokenFile).subarray(0, 200))),
        'PKT_MALFORMED',
      ],
      [
        'the file is oversized',
        () => verifyArgs(file('huge.json', Buffer.alloc(MAX_PK_TOKEN_BYTES + 100, 0x61))),
        'PKT_TOO_LARGE',
      ],
    ])('when %s: exits 1 with the code on stderr and in --json', async (_what, args, code) => {
      const r = await cli([...args(), '--json']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^opk-attest pktoken verify: .* \\[${code}\\]\\n$`));
      expect(JSON.parse(r.out)).toEqual({ valid: false, code, message: expect.any(String) });
    });
  });

  describe('when the command line is wrong', () => {
    it.each([
      ['--token is missing', ['pktoken', 'verify', '--jwks', 'x']],
      ['an option is unknown', ['pktoken', 'verify', '--token', 'x', '--jwks', 'x', '--bogus']],
      ['no key source is given', ['pktoken', 'verify', '--token', 'x']],
      ['both key sources are given', ['pktoken', 'verify', '--token', 'x', '--jwks', 'x', '--issuer-discovery']],
      [
        'two expiry policies are given',
        ['pktoken', 'verify', '--token', 'x', '--jwks', 'x', '--max-age', '5', '--never-expire'],
      ],
      ['--max-age is 0', ['pktoken', 'verify', '--token', 'x', '--jwks', 'x', '--max-age', '0']],
      ['--now is not a number', ['pktoken', 'verify', '--token', 'x', '--jwks', 'x', '--now', 'yesterday']],
      [
        '--commitment-claim is neither aud nor nonce',
        ['pktoken', 'verify', '--token', 'x', '--jwks', 'x', '--commitment-claim', 'sub'],
      ],
      [
        'the token file does not exist',
        ['pktoken', 'verify', '--token', '/nonexistent/token.json', '--jwks', '/nonexistent/jwks.json'],
      ],
    ])('when %s: exits 2 with one line and the usage', async (_what, argv) => {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^opk-attest pktoken verify: [^\n]+\nusage: opk-attest pktoken verify/);
      expect(r.out).toBe('');
    });
  });

  describe('with the Go-made Google GQ token (openpubkey before v0.25.0)', () => {
    const g = V.google_gq_legacy;
    const args = (): string[] => [
      'pktoken',
      'verify',
      '--token',
      file('google.compact', g.compact),
      '--jwks',
      file('google-jwks.json', JSON.stringify({ keys: [g.jwk] })),
      '--issuer',
      'https://accounts.google.com',
      '--never-expire',
      '--commitment-claim',
      'nonce',
      '--json',
    ];

    it('verifies with --legacy-gq', async () => {
      const r = await cli([...args(), '--legacy-gq']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({
        valid: true,
        issuer: 'https://accounts.google.com',
        subject: '104852002444754136271',
        kid: g.jwk.kid,
      });
    });

    it('fails without --legacy-gq with PKT_GQ_INVALID', async () => {
      const r = await cli(args());
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out)).toMatchObject({ valid: false, code: 'PKT_GQ_INVALID' });
    });
  });
});

describe('pktoken inspect', () => {
  it('shows the hash, the decoded original GQ header and says nothing was verified', async () => {
    const r = await cli(['pktoken', 'inspect', '--token', tokenFile]);
    const pkt = parsePkToken(readFileSync(tokenFile));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/not verified/);
    expect(r.out).toContain(pkt.hash());
    const original = JSON.parse(/original header \(decoded from kid\): (.*)\n/.exec(r.out)![1]!);
    expect(original).toEqual({ typ: 'JWT', alg: 'RS256', x5t: gh.currentKey().x5t, kid: gh.currentKey().kid });
    expect(r.out).toMatch(new RegExp(`jkt: +${pkt.op.header.jkt as string}`));
    expect(r.out).toMatch(new RegExp(`att: +${'ab'.repeat(32)}`));
  });

  it('prints one JSON object with --json', async () => {
    const r = await cli(['pktoken', 'inspect', '--token', tokenFile, '--json']);
    const pkt = parsePkToken(readFileSync(tokenFile));
    expect(JSON.parse(r.out)).toMatchObject({
      verified: false,
      hash: pkt.hash(),
      form: 'json',
      issuer: gh.issuer,
      op: {
        alg: 'GQ256',
        originalHeader: { alg: 'RS256', kid: gh.currentKey().kid, typ: 'JWT' },
        kid: gh.currentKey().kid,
        jkt: pkt.op.header.jkt,
      },
      cic: { extraClaims: { att: 'ab'.repeat(32) } },
      upk: pkt.cic.header.upk,
      refreshedIdToken: 'absent',
    });
  });

  it('reports a refreshed ID token without printing it', async () => {
    const g = V.google_gq_legacy;
    const r = await cli([
      'pktoken',
      'inspect',
      '--token',
      file('google-refreshed.compact', `${g.compact}.${g.refreshed_id_token}`),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/refreshed ID token: +present \(not shown/);
  });

  it('escapes terminal control characters in claims', async () => {
    gh.setClaims({ workflow: '\u001b[2J\u009b31m\u202eevil' });
    try {
      const out = path.join(dir, 'escapes.json');
      expect((await cli(['pktoken', 'issue', '--issuer', gh.issuer, '--out', out])).code).toBe(0);
      const r = await cli(['pktoken', 'inspect', '--token', out]);
      expect(r.out).toContain('"\\u001b[2J\\u009b31m\\u202eevil"');
      expect(r.out).not.toMatch(/[\u001b\u009b\u202e]/);
    } finally {
      gh.reset();
    }
  });

  it('exits 1 with PKT_MALFORMED for something that is not a PK token', async () => {
    const r = await cli(['pktoken', 'inspect', '--token', file('junk.txt', 'not:a:token')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\[PKT_[A-Z_]+\]/);
  });
});

describe('dist/cli.js', () => {
  const cliJs = path.resolve('dist/cli.js');

  // dist/ is built once before the suite (.ci/run); no file-time check decides whether this runs.
  itWith(['dist'], 'verifies the issued token as a separate process', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [cliJs, ...verifyArgs(tokenFile, '--json')]);
    printed.push(stdout);
    expect(JSON.parse(stdout)).toMatchObject({ valid: true });
  });
});

describe('everything printed', () => {
  it('holds no ID token, request token or client secret', () => {
    const all = printed.join('\n');
    expect(gh.issued.length).toBeGreaterThan(0);
    for (const idToken of gh.issued) {
      // the RS256 signature is what makes an ID token a bearer token; a GQ token never carries it
      expect(all).not.toContain(idToken.split('.')[2]);
    }
    expect(all).not.toContain(gh.requestToken);
    expect(all).not.toContain(op.client.secret);
    expect(all).not.toContain(V.google_gq_legacy.refreshed_id_token.split('.')[2]);
  });
});
