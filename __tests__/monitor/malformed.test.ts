/** The monitor's own inputs: the state file and --identity patterns, refused with a code when malformed. */
import {
  isWatched,
  parseIdentities,
  parseMonitorState,
  serializeMonitorState,
  type MonitorState,
} from '../../src/monitor/index.js';
import { expectCode } from '../helpers.js';

const good: MonitorState = {
  version: 1,
  log: 'https://rekor.sigstore.dev',
  logID: 'c0'.repeat(32),
  origin: 'rekor.sigstore.dev - 1193050959916656506',
  checkpoint: 'rekor.sigstore.dev - 1193050959916656506\n3\nAAAA\n\n— rekor.sigstore.dev AAAA\n',
  nextIndex: 2,
  indexOffset: 0,
};
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('parseMonitorState', () => {
  it('round-trips a state', () => expect(parseMonitorState(bytes(serializeMonitorState(good)))).toEqual(good));
  it('drops unknown fields', () => expect(parseMonitorState(bytes({ ...good, extra: 1 }))).toEqual(good));
  describe.each([
    ['not JSON', '{'],
    ['an array', '[]'],
    ['another version', { ...good, version: 2 }],
    ['an uppercase log ID', { ...good, logID: 'C0'.repeat(32) }],
    ['a negative next index', { ...good, nextIndex: -1 }],
    ['a fractional next index', { ...good, nextIndex: 1.5 }],
    ['a string offset', { ...good, indexOffset: '0' }],
    ['no checkpoint', { ...good, checkpoint: undefined }],
    ['an oversized file', ' '.repeat(70_000)],
  ])('when it is %s', (_name, v) => {
    it('throws MONITOR_STATE_INVALID', () => expectCode(() => parseMonitorState(bytes(v)), 'MONITOR_STATE_INVALID'));
  });
});

describe('parseIdentities', () => {
  it('reads CLAIM=GLOB, the glob keeping any further "="', () =>
    expect(parseIdentities(['repository=acme/*', 'ref=refs/tags/v=1'])).toEqual([
      { claim: 'repository', pattern: 'acme/*' },
      { claim: 'ref', pattern: 'refs/tags/v=1' },
    ]));
  describe.each([
    ['none', []],
    ['no "="', ['repository']],
    ['an empty glob', ['repository=']],
    ['an empty claim', ['=acme/*']],
    ['a bad claim name', ['repo sitory=x']],
  ])('when given %s', (_name, specs) => {
    it('throws MONITOR_IDENTITY_INVALID', () =>
      expectCode(() => parseIdentities(specs as string[]), 'MONITOR_IDENTITY_INVALID'));
  });
});

describe('isWatched', () => {
  const ids = parseIdentities(['repository=acme/*', 'repository_owner=octo-org']);
  it('matches any one pattern', () => {
    expect(isWatched(ids, { repository: 'acme/app' })).toBe(true);
    expect(isWatched(ids, { repository: 'x/y', repository_owner: 'octo-org' })).toBe(true);
    expect(isWatched(ids, { repository: 'x/acme' })).toBe(false);
  });
  it('matches only own string claims', () => {
    expect(isWatched(ids, { repository: ['acme/app'] })).toBe(false);
    expect(isWatched(ids, Object.create({ repository: 'acme/app' }) as Record<string, unknown>)).toBe(false);
  });
});
