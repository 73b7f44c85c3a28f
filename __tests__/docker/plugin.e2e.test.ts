/**
 * The docker-opk plugin with the real Docker CLI: installed by `opk-attest docker install`, seen
 * by docker through its metadata, run as `docker opk …`, removed by `opk-attest docker uninstall`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CLI,
  describeWithDocker,
  docker,
  installPluginHome,
  requireDocker,
  run,
  type PluginHome,
} from './docker-harness.js';

describeWithDocker('the docker-opk plugin', () => {
  let home: PluginHome;
  beforeAll(async () => {
    requireDocker();
    home = await installPluginHome();
  }, 120_000);
  afterAll(() => home?.remove());

  it('is listed by docker with its short description', async () => {
    const r = await docker(home, '--help');
    expect(r.stdout).toMatch(/^\s+opk\*?\s+Pull, run and build only images signed with OpenPubkey attestations/m);
  });

  it('answers the metadata query with SchemaVersion 0.1.0 and this version', async () => {
    const r = await run(
      path.join(home.dockerConfig, 'cli-plugins', 'docker-opk'),
      ['docker-cli-plugin-metadata'],
      home.env,
    );
    expect(r.code).toBe(0);
    const meta = JSON.parse(r.stdout);
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(meta).toEqual({
      SchemaVersion: '0.1.0',
      Vendor: 'opk-attest',
      Version: pkg.version,
      ShortDescription: expect.any(String),
    });
  });

  it('runs the CLI’s own commands under docker opk, global options included', async () => {
    const r = await docker(
      home,
      '-H',
      process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock',
      'opk',
      'verify',
      '--help',
    );
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: opk-attest verify IMAGE') });
  });

  it('refuses a docker flag it cannot place, before doing anything (exit 2)', async () => {
    const r = await docker(home, 'opk', 'run', '--future-flag', 'x', 'img');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--future-flag=VALUE');
  });

  it('is removed by docker uninstall, and docker no longer knows it', async () => {
    const r = await run(process.execPath, [CLI, 'docker', 'uninstall'], home.env);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(home.dockerConfig, 'cli-plugins', 'docker-opk'))).toBe(false);
    expect((await docker(home, '--help')).stdout).not.toMatch(/^\s+opk/m);
    expect(await docker(home, 'opk', 'pull', 'x')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('unknown'),
    });
    // A docker-opk that opk-attest did not write is never removed.
    writeFileSync(path.join(home.dockerConfig, 'cli-plugins', 'docker-opk'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const refused = await run(process.execPath, [CLI, 'docker', 'uninstall'], home.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('DOCKER_PLUGIN_NOT_OURS');
  });
});
