/** The actions' `timeout` input, read the way the runner passes inputs (INPUT_* variables). */
import { timeoutInput } from '../../src/action/inputs.js';
import { expectCode } from '../helpers.js';

describe('timeoutInput', () => {
  const saved = process.env.INPUT_TIMEOUT;
  afterEach(() => {
    if (saved === undefined) delete process.env.INPUT_TIMEOUT;
    else process.env.INPUT_TIMEOUT = saved;
  });

  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1m30s', 90_000],
    ['45', 45_000],
  ])('reads %j as %d ms', (value, ms) => {
    process.env.INPUT_TIMEOUT = value;
    expect(timeoutInput(1)).toBe(ms);
  });

  it('falls back to the default when the input is absent', () => {
    delete process.env.INPUT_TIMEOUT;
    expect(timeoutInput(60_000)).toBe(60_000);
  });

  it.each(['soon', '0', '-5s', '5 minutes'])('refuses %j with INPUT_INVALID', (value) => {
    process.env.INPUT_TIMEOUT = value;
    return expectCode(() => timeoutInput(1), 'INPUT_INVALID');
  });
});
