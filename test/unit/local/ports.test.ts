import { retryOnPortTaken } from '../../../local/ports';

describe('retryOnPortTaken', () => {
  test('a start that lost its port to another process is tried again on new ports', async () => {
    let starts = 0;
    let repicks = 0;
    const started = await retryOnPortTaken(
      async () => {
        starts++;
        if (starts < 3) throw new Error('servicebus broker: port 39755 is already in use');
        return 'running';
      },
      async () => {
        repicks++;
      },
    );
    expect(started).toBe('running');
    expect([starts, repicks]).toEqual([3, 2]);
  });

  test('gives up after the attempts, with the last error', async () => {
    let starts = 0;
    await expect(
      retryOnPortTaken(
        async () => {
          starts++;
          throw new Error(`port ${starts} is already in use`);
        },
        async () => undefined,
        3,
      ),
    ).rejects.toThrow('port 3 is already in use');
    expect(starts).toBe(3);
  });

  test('any other failure is thrown at once, without a new port', async () => {
    let repicks = 0;
    await expect(
      retryOnPortTaken(
        async () => {
          throw new Error('servicebus exited before it was ready (code 1)');
        },
        async () => {
          repicks++;
        },
      ),
    ).rejects.toThrow('exited before it was ready');
    expect(repicks).toBe(0);
  });
});
