/**
 * What a signing run takes and gives back: `signImages`' options and result, and the hooks a shell
 * of this package adds (not part of the package's API).
 */
import type { Deadline } from '../core/deadline.js';
import type { Digest } from '../core/digest.js';
import type { KeyFinder, OidcProvider } from '../identity/index.js';
import type { ClosableTransport, Descriptor, SignerSummary, TransportOptions } from '../oci/index.js';
import type { SkippedStatement } from './already-signed.js';
import type { ExpectedSigner } from './referrer.js';
import type { ExtraStatements } from './statements.js';

/** Options of `signImages`; defaults are resolved at the top of the function. */
export interface SignImagesOptions {
  /** Images as `name@digest` (preferred) or `name:tag`. */
  images: readonly string[];
  /** Where the ID token comes from (GitHub Actions, or any OIDC provider). */
  provider: OidcProvider;
  /** OP keys to check the ID token before it is turned into GQ256. Default: the issuer's live JWKS. */
  findKey?: KeyFinder;
  /** Only these platforms (`os/arch[/variant]`). Default: all. */
  platforms?: readonly string[];
  /** User SBOM, custom predicate, and claims to generate provenance from. */
  extra?: ExtraStatements;
  /** Store signatures in this repository of the same registry. */
  referrersRepository?: string;
  /** Rekor base URL, or false to not log (the PK token binding keeps signatures valid). */
  transparencyLog: string | false;
  /** Registry auth and connection settings. */
  registry?: TransportOptions;
  /** The run's overall time budget for registry, log and key fetches (the provider carries its own). */
  deadline?: Deadline;
  /**
   * Who this run will sign as, when known for sure before the token is issued: statements this
   * identity already signed are then skipped without asking for a token. Default: none; the token
   * is asked for first and the statements its identity already signed are dropped before anything
   * is logged or published.
   */
  expectedSigner?: ExpectedSigner;
  /** Sign even statements this signer identity already signed. Default false. */
  force?: boolean;
  /** Progress lines for the user (no secrets pass through here). */
  log?: (line: string) => void;
  now?: () => Date;
}

/**
 * What a shell inside this package adds to a run (the action's self-check); not part of the
 * package's API, so the registry client's types stay internal.
 */
export interface RunHooks {
  /**
   * Registry transports by host to use and to add the run's to, left open for the caller to
   * reuse (what they learnt about each registry included) and close. Default: the run's own,
   * closed when it ends.
   */
  transports?: Map<string, ClosableTransport>;
  /**
   * Called once per subject as its artifacts start to be published (later subjects may still be
   * in flight), with the exact bytes it pushes by digest, the run's signer, and the subject's
   * referrers as the registry lists them once publishing has confirmed the batch (its confirming
   * read; rejected when publishing fails). A self-check can verify the bytes at once, while
   * publishing settles, and check they are discoverable when the listing arrives: no read-back.
   */
  onPublishing?: (
    batch: ReadonlyArray<PublishingArtifact>,
    signer: SignerSummary,
    listing: Promise<readonly Descriptor[]>,
  ) => void;
}

/** One artifact of a subject's batch, as it is pushed. */
export interface PublishingArtifact {
  image: string;
  /** Where its manifest is pushed: the image's repository or the referrers repository. */
  repository: string;
  subject: Digest;
  artifactDigest: Digest;
  bytes: PublishedBytes;
}

/** The options a run works from: the caller's and the shell's hooks. */
export type RunOptions = SignImagesOptions & RunHooks;

/** The bytes of one published artifact, exactly as pushed by digest. */
export interface PublishedBytes {
  /** The artifact manifest. */
  manifest: Buffer;
  /** Its one layer: the DSSE envelope. */
  envelope: Uint8Array;
}

/** One envelope this run published. */
export interface SignedArtifact {
  image: string;
  platform: string;
  subject: Digest;
  predicateType: string;
  artifactDigest: Digest;
  /** Where the artifact manifest lives. */
  repository: string;
  logIndex?: number;
  /** How the referrer is discoverable: the registry's referrers API or the fallback tag. */
  via: 'api' | 'tag';
}

/** An image of the run: the reference given and the index or manifest it resolved to. */
export interface ResolvedImage {
  /** The reference as given (`name:tag` or `name@digest`). */
  image: string;
  /** The digest of the index (or single manifest) that was read and signed. */
  digest: Digest;
  kind: 'index' | 'manifest';
  /** `registry/repository@digest`: the image exactly as signed, for verifying or pulling. */
  pinned: string;
  /** The platforms whose statements the run collected. */
  platforms: string[];
}

/** The outcome of a run. */
export interface SignImagesResult {
  /** Every image of the run, in the order given. */
  images: ResolvedImage[];
  signed: SignedArtifact[];
  skipped: SkippedStatement[];
  /** The run's signer, from the verified PK token claims; absent when no token was asked for. */
  signer?: SignerSummary;
}
