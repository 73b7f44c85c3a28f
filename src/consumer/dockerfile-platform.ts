/**
 * The platform ARGs BuildKit defines in the global scope of every Dockerfile (`BUILDPLATFORM`,
 * `TARGETPLATFORM`, their OS/ARCH/VARIANT parts), from the build and target platforms.
 */
import { ConsumerError } from './errors.js';

const ARCH_OF_NODE: Readonly<Record<string, string>> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm/v7',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/**
 * The platform this process runs on, as docker writes it (`linux/amd64`); what a local build defaults to.
 * @throws never
 */
export function hostPlatform(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  return `${os}/${ARCH_OF_NODE[process.arch] ?? process.arch}`;
}

/**
 * Checks `os/arch[/variant]` and returns its parts.
 * @throws ConsumerError DOCKERFILE_INVALID
 */
export function splitPlatform(platform: string, where: string): { os: string; arch: string; variant: string } {
  const parts = platform.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
    throw new ConsumerError({
      code: 'DOCKERFILE_INVALID',
      message: `${where}: platform "${platform.slice(0, 100)}" is not os/arch[/variant], e.g. linux/amd64 or linux/arm/v7`,
    });
  }
  return { os: parts[0]!, arch: parts[1]!, variant: parts[2] ?? '' };
}

/**
 * The automatic platform ARGs for a build on `buildPlatform` targeting `targetPlatform`.
 * @throws ConsumerError DOCKERFILE_INVALID
 */
export function platformArgs(buildPlatform: string, targetPlatform: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const [prefix, platform] of [
    ['BUILD', buildPlatform],
    ['TARGET', targetPlatform],
  ] as const) {
    const { os, arch, variant } = splitPlatform(platform, `--platform`);
    env.set(`${prefix}PLATFORM`, platform);
    env.set(`${prefix}OS`, os);
    env.set(`${prefix}ARCH`, arch);
    env.set(`${prefix}VARIANT`, variant);
  }
  return env;
}
