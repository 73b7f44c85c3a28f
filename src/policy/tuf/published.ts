/**
 * The published TUF repository of a trust directory (`DIR/repository/`), read back with
 * `@tufjs/models`: the newest root, the timestamp, the snapshot it names and every targets role
 * the snapshot lists. Reads are capped like a client's; files are the tooling's own, so they are
 * parsed but their signatures are not re-verified here (the client does that).
 */
import path from 'node:path';
import { Metadata, MetadataKind, type Root, type Snapshot, type Targets, type Timestamp } from '@tufjs/models';
import { TufError } from '../errors.js';
import { listFiles, readCapped } from './layout.js';

/** Caps on metadata files (tuf-js's client defaults). */
export const METADATA_CAPS = { root: 512_000, timestamp: 16_384, snapshot: 2_000_000, targets: 5_000_000 } as const;
/** Most root versions kept in one repository. */
const MAX_ROOT_VERSIONS = 1000;
const ROOT_FILE = /^([1-9]\d{0,8})\.root\.json$/;

/** The published metadata. */
export interface Published {
  root: Metadata<Root>;
  timestamp?: Metadata<Timestamp>;
  snapshot?: Metadata<Snapshot>;
  /** Targets metadata by role name (`targets` and the delegated roles). */
  targets: Map<string, Metadata<Targets>>;
  /** The file bytes of each targets role, as the snapshot hashes them. */
  targetsBytes: Map<string, Buffer>;
}

/**
 * Reads the published repository.
 * @param repository - the `repository/` directory
 * @throws TufError TUF_REPO_INVALID (no root, unparsable or inconsistent metadata) | TUF_TOO_LARGE
 */
export async function readPublished(repository: string): Promise<Published> {
  const versions = (await listFiles(repository, 100_000))
    .map((f) => ROOT_FILE.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .map(Number);
  if (versions.length === 0)
    throw new TufError({
      code: 'TUF_REPO_INVALID',
      message: `${repository} has no N.root.json; is this a trust directory made by "opk-attest trust init"?`,
    });
  if (versions.length > MAX_ROOT_VERSIONS)
    throw new TufError({
      code: 'TUF_REPO_INVALID',
      message: `${repository} has more than ${MAX_ROOT_VERSIONS} root versions`,
    });
  const latest = Math.max(...versions);
  const root = await readMetadata(repository, `${latest}.root.json`, MetadataKind.Root, METADATA_CAPS.root);
  if (!root)
    throw new TufError({
      code: 'TUF_REPO_INVALID',
      message: `${repository}/${latest}.root.json disappeared while reading`,
    });
  if (root.md.signed.version !== latest)
    throw inconsistent(repository, `${latest}.root.json has version ${root.md.signed.version}`);
  const timestamp = await readMetadata(repository, 'timestamp.json', MetadataKind.Timestamp, METADATA_CAPS.timestamp);
  const targets = new Map<string, Metadata<Targets>>();
  const targetsBytes = new Map<string, Buffer>();
  if (!timestamp) return { root: root.md, targets, targetsBytes };
  const v = timestamp.md.signed.snapshotMeta.version;
  const snapshot = await readMetadata(repository, `${v}.snapshot.json`, MetadataKind.Snapshot, METADATA_CAPS.snapshot);
  if (!snapshot)
    throw inconsistent(repository, `timestamp.json names snapshot version ${v}, but ${v}.snapshot.json is missing`);
  for (const [file, meta] of Object.entries(snapshot.md.signed.meta)) {
    const role = file.replace(/\.json$/, '');
    const read = await readMetadata(
      repository,
      `${meta.version}.${encodeURIComponent(role)}.json`,
      MetadataKind.Targets,
      METADATA_CAPS.targets,
    );
    if (!read)
      throw inconsistent(repository, `the snapshot names ${role} version ${meta.version}, but its file is missing`);
    targets.set(role, read.md);
    targetsBytes.set(role, read.bytes);
  }
  return { root: root.md, timestamp: timestamp.md, snapshot: snapshot.md, targets, targetsBytes };
}

async function readMetadata<K extends MetadataKind>(
  repository: string,
  file: string,
  kind: K,
  cap: number,
): Promise<{ md: MetadataOf<K>; bytes: Buffer } | undefined> {
  const bytes = await readCapped(path.join(repository, file), cap, 'published metadata');
  if (!bytes) return undefined;
  try {
    return {
      md: Metadata.fromJSON(kind as MetadataKind.Root, JSON.parse(bytes.toString('utf8'))) as unknown as MetadataOf<K>,
      bytes,
    };
  } catch (err) {
    throw new TufError({
      code: 'TUF_REPO_INVALID',
      cause: err,
      message: `${repository}/${file} is not ${kind} metadata (${(err as Error).message}); restore it from backup`,
    });
  }
}

type MetadataOf<K> = K extends MetadataKind.Root
  ? Metadata<Root>
  : K extends MetadataKind.Timestamp
    ? Metadata<Timestamp>
    : K extends MetadataKind.Snapshot
      ? Metadata<Snapshot>
      : Metadata<Targets>;

function inconsistent(repository: string, fault: string): TufError {
  return new TufError({
    code: 'TUF_REPO_INVALID',
    message: `${repository}: ${fault}; restore the repository from backup`,
  });
}
