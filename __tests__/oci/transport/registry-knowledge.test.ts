import { listReferrers } from '../../../src/oci/referrers-list.js';
import { createTransport } from '../../../src/oci/transport/client.js';
import { RegistryKnowledge } from '../../../src/oci/transport/registry-knowledge.js';
import { startOciRegistry } from '../../fakes/oci-registry.js';

const SUBJECT = `sha256:${'a'.repeat(64)}` as const;

describe('RegistryKnowledge', () => {
  describe('when two callers ask about the referrers API at once', () => {
    it('runs one probe and records its answer', async () => {
      const k = new RegistryKnowledge();
      let probes = 0;
      const probe = async (): Promise<boolean> => {
        probes++;
        return false;
      };
      expect(await Promise.all([k.referrersApi('r', probe), k.referrersApi('r', probe)])).toEqual([false, false]);
      expect(await k.referrersApi('r', probe)).toBe(false);
      expect(probes).toBe(1);
      expect(k.snapshot().referrersApi).toEqual({ r: false });
    });
  });

  describe('when a probe fails', () => {
    it('gives the error to its caller and probes again next time', async () => {
      const k = new RegistryKnowledge();
      await expect(k.referrersApi('r', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
      expect(k.snapshot().referrersApi).toEqual({});
      expect(await k.referrersApi('r', async () => true)).toBe(true);
    });
  });

  describe('when preconditions are recorded', () => {
    it('counts as enforcing only with both', () => {
      const k = new RegistryKnowledge();
      k.recordEnforced('if-match');
      expect(k.enforcesPreconditions).toBe(false);
      k.recordEnforced('if-none-match');
      expect(k.enforcesPreconditions).toBe(true);
      expect(k.snapshot().enforces).toEqual(['if-match', 'if-none-match']);
    });
  });

  describe('when a transport lists referrers', () => {
    it('shows what it learnt on the transport, per repository', async () => {
      const reg = await startOciRegistry({ referrersApi: true });
      const withTag = await startOciRegistry({ referrersApi: false });
      const t = createTransport(reg.host);
      const u = createTransport(withTag.host);
      try {
        await listReferrers(t, 'k/a', SUBJECT);
        await listReferrers(u, 'k/b', SUBJECT);
        expect(t.knowledge.snapshot().referrersApi).toEqual({ 'k/a': true });
        expect(u.knowledge.snapshot().referrersApi).toEqual({ 'k/b': false });
      } finally {
        await Promise.all([t.close(), u.close(), reg.close(), withTag.close()]);
      }
    });
  });
});
