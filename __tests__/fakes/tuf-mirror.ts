/**
 * A Sigstore-style TUF mirror on disk, built with @tufjs/models (the real TUF models, not our
 * repository tooling): one ed25519 key for all four roles, consistent snapshots, metadata at the
 * root and targets under `targets/<sha256>.<name>`, the layout of tuf-repo-cdn.sigstore.dev.
 * Serve it with startStaticServer; `rootFile` is the trust anchor a client pins.
 */
import { generateKeyPairSync, sign as nodeSign, createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Key, Metadata, MetaFile, Root, Signature, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';

/** What a mirror serves. */
export interface TufMirror {
  dir: string;
  rootFile: string;
}

const DAY = 86_400_000;

/**
 * Writes a one-version mirror serving `files` (target name → bytes).
 * @param dir - an empty directory
 */
export async function writeTufMirror(dir: string, files: Record<string, Buffer>): Promise<TufMirror> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = (publicKey.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('hex');
  const key = new Key({ keyID: '', keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: pub } });
  const keyID = createHash('sha256').update(canonical(key.toJSON())).digest('hex');
  const k = new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: pub } });
  const signer = (data: Buffer) => new Signature({ keyID, sig: nodeSign(null, data, privateKey).toString('hex') });
  const expires = new Date(Date.now() + 30 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const root = new Root({ version: 1, specVersion: '1.0.31', expires, consistentSnapshot: true });
  for (const role of ['root', 'targets', 'snapshot', 'timestamp']) root.addKey(k, role);
  const targets = new Targets({ version: 1, specVersion: '1.0.31', expires });
  await mkdir(path.join(dir, 'targets'), { recursive: true });
  for (const [name, bytes] of Object.entries(files)) {
    const hash = createHash('sha256').update(bytes).digest('hex');
    targets.addTarget(new TargetFile({ path: name, length: bytes.length, hashes: { sha256: hash } }));
    await writeFile(path.join(dir, 'targets', `${hash}.${name}`), bytes);
  }
  const write = async (file: string, md: Metadata<Root | Targets | Snapshot | Timestamp>) => {
    md.sign(signer);
    const bytes = Buffer.from(JSON.stringify(md.toJSON()));
    await writeFile(path.join(dir, file), bytes);
    return bytes;
  };
  await write('1.root.json', new Metadata(root));
  const targetsBytes = await write('1.targets.json', new Metadata(targets));
  const snapshot = new Snapshot({
    version: 1,
    specVersion: '1.0.31',
    expires,
    meta: { 'targets.json': meta(1, targetsBytes) },
  });
  const snapshotBytes = await write('1.snapshot.json', new Metadata(snapshot));
  await write(
    'timestamp.json',
    new Metadata(new Timestamp({ version: 1, specVersion: '1.0.31', expires, snapshotMeta: meta(1, snapshotBytes) })),
  );
  return { dir, rootFile: path.join(dir, '1.root.json') };
}

function meta(version: number, bytes: Buffer): MetaFile {
  return new MetaFile({
    version,
    length: bytes.length,
    hashes: { sha256: createHash('sha256').update(bytes).digest('hex') },
  });
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
