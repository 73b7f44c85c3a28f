/** The command budget object: parsing durations, the clock, and the error it raises. */
import { Deadline, formatDuration, isBudgetExceeded, parseDuration } from '../../src/core/deadline.js';
import { expectCode } from '../helpers.js';

describe('parseDuration', () => {
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['1.5m', 90_000],
    ['1m30s', 90_000],
    ['250ms', 250],
    ['2h', 7_200_000],
    [' 5m ', 300_000],
  ])('reads %j as %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '0', '0s', '-5s', '5 m', '5x', 's', '1e3', '5m-', 'Infinity', '99999999999s'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [90_000, '1m30s'],
    [300_000, '5m'],
    [20_000, '20s'],
  ])('writes %d ms as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('Deadline', () => {
  it('counts down on its clock and is expired at the end', () => {
    let t = 1000;
    const d = new Deadline(500, { setting: '--timeout', now: () => t });
    expect(d.remainingMs()).toBe(500);
    t += 499;
    expect(d.expired()).toBe(false);
    t += 1;
    expect(d.remainingMs()).toBe(0);
    expect(d.expired()).toBe(true);
  });

  describe('when spent', () => {
    it('check throws CORE_BUDGET_EXCEEDED naming the budget and the setting that raises it', async () => {
      let t = 0;
      const d = new Deadline(30_000, { setting: '--timeout', now: () => t });
      t = 30_000;
      await expectCode(() => d.check('GET http://r/v2/'), 'CORE_BUDGET_EXCEEDED');
      const err = d.exceeded('GET http://r/v2/', 'during attempt 2');
      expect(err.message).toBe(
        'GET http://r/v2/: the 30s time budget (--timeout) ran out during attempt 2; raise --timeout if the server is only slow',
      );
      expect(isBudgetExceeded(err)).toBe(true);
      expect(isBudgetExceeded(new Error('x'))).toBe(false);
    });
  });

  it.each([0, -1, NaN, Infinity])('refuses a budget of %d with CORE_BUDGET_INVALID', (ms) =>
    expectCode(() => new Deadline(ms, { setting: '--timeout' }), 'CORE_BUDGET_INVALID'),
  );
});
