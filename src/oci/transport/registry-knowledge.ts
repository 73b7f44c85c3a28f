/**
 * What the client has learnt about one registry while talking to it: per repository whether it
 * serves the OCI 1.1 referrers API and whether the shared empty config blob is already there,
 * and whether the registry enforces `If-Match` / `If-None-Match` on manifest PUTs. The transport
 * owns one (`RegistryTransport.knowledge`), so it lives exactly as long as the connection
 * settings it was learnt with; `snapshot()` shows it to a reader (logs, tests, `--debug`).
 * Why each fact matters: docs/referrers.md.
 */

/** A precondition the registry has been seen to enforce. */
export type EnforcedPrecondition = 'if-match' | 'if-none-match';

/** A plain view of the knowledge, for logs and tests. */
export interface RegistryKnowledgeSnapshot {
  /** Per repository: `true`/`false` once probed, `"probing"` while a probe is in flight. */
  referrersApi: Record<string, boolean | 'probing'>;
  /** Repositories where the empty config blob was pushed (or is being pushed). */
  emptyConfig: string[];
  /** Preconditions the registry provably enforces. */
  enforces: EnforcedPrecondition[];
}

/** Facts learnt about one registry; every fact is written by an explicit call, never as a side effect of a read. */
export class RegistryKnowledge {
  private readonly api = new SharedOnce<boolean>();
  private readonly apiSettled = new Map<string, boolean>();
  private readonly emptyConfigs = new SharedOnce<void>();
  /** Repositories where pushing the empty config succeeded, in order. */
  private readonly emptyConfigHeld: string[] = [];
  private readonly enforced = new Set<EnforcedPrecondition>();

  /**
   * Whether `repository` serves the referrers API: the recorded answer, else `probe()`'s. Callers
   * at the same time share one probe; a probe that fails is forgotten (the next caller asks again).
   */
  referrersApi(repository: string, probe: () => Promise<boolean>): Promise<boolean> {
    const known = this.apiSettled.get(repository);
    if (known !== undefined) return Promise.resolve(known);
    return this.api.run(repository, async () => {
      const answer = await probe();
      this.apiSettled.set(repository, answer);
      return answer;
    });
  }

  /** Records that `repository` answered a referrers API listing (so no probe is needed). */
  recordReferrersApi(repository: string): void {
    this.apiSettled.set(repository, true);
  }

  /**
   * Runs `push` once per repository (concurrent callers share it; a failed push is retried next
   * time). `push` is told a repository of this registry already holding the blob, if any, to mount
   * it from.
   */
  ensureEmptyConfig(repository: string, push: (heldIn: string | undefined) => Promise<void>): Promise<void> {
    return this.emptyConfigs.run(repository, async () => {
      await push(this.emptyConfigHeld[0]);
      this.emptyConfigHeld.push(repository);
    });
  }

  /** Records a precondition the registry has provably enforced (docs/referrers.md). */
  recordEnforced(kind: EnforcedPrecondition): void {
    this.enforced.add(kind);
  }

  /** Whether both preconditions are provably enforced: then fallback-tag writers cannot lose updates. */
  get enforcesPreconditions(): boolean {
    return this.enforced.size === 2;
  }

  /** A plain copy of what is known. */
  snapshot(): RegistryKnowledgeSnapshot {
    const referrersApi: Record<string, boolean | 'probing'> = {};
    for (const repo of this.api.keys()) referrersApi[repo] = 'probing';
    for (const [repo, v] of this.apiSettled) referrersApi[repo] = v;
    return { referrersApi, emptyConfig: [...this.emptyConfigs.keys()], enforces: [...this.enforced].sort() };
  }
}

/** One promise per key: concurrent callers share it; a rejected one is dropped so the next caller retries. */
class SharedOnce<T> {
  private readonly byKey = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const p = fn();
    this.byKey.set(key, p);
    // This caller still sees the error; only the memory of the attempt is dropped.
    p.catch(() => {
      if (this.byKey.get(key) === p) this.byKey.delete(key);
    });
    return p;
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }
}
