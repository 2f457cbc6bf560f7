import { describe, expect, it } from 'vitest';
import { isPermanent, waitFor } from '../../scripts/local/localStackClient';

describe('waitFor', () => {
  it('keeps polling through errors that go away', async () => {
    let calls = 0;
    const value = await waitFor(async () => {
      calls += 1;
      if (calls < 3) throw new TypeError('fetch failed');
      return 'ready';
    }, 'a value');
    expect(value).toBe('ready');
  });

  it('throws at once an error that polling cannot outwait, not at the deadline', async () => {
    let calls = 0;
    const wrong = async () => {
      calls += 1;
      return (undefined as unknown as { x: number }).x;
    };
    await expect(waitFor(wrong, 'a value', 60_000)).rejects.toBeInstanceOf(TypeError);
    expect(calls).toBe(1);
  });

  it('tells permanent errors from transient ones', () => {
    const sdkError = (name: string, fault: 'client' | 'server') =>
      Object.assign(new Error(name), { name, $fault: fault });
    expect(isPermanent(Object.assign(new Error('no'), { name: 'CredentialsProviderError' }))).toBe(true);
    expect(isPermanent(sdkError('ValidationException', 'client'))).toBe(true);
    expect(isPermanent(sdkError('ExecutionDoesNotExist', 'client'))).toBe(false);
    expect(isPermanent(sdkError('ThrottlingException', 'client'))).toBe(false);
    expect(isPermanent(sdkError('InternalServerError', 'server'))).toBe(false);
    expect(isPermanent(new TypeError('fetch failed'))).toBe(false);
  });
});
