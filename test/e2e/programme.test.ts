import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as Programme from '../scenarios/programme';

// The programme scenario (npm run scenario:programme) at a small scale, on the compiled app, with a fast clock.
const compiled = path.resolve(__dirname, '..', '..', 'dist', 'test', 'scenarios', 'programme.js');

test('the programme, small: caps held, not-ready organisations do not block, the surge absorbed, every mailbox once', async () => {
  if (!existsSync(compiled)) throw new Error('the e2e tests run the compiled app: run `npm run build` first');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runProgramme, formatBurnDown } = require(compiled) as typeof Programme;
  const result = await runProgramme({
    scale: 0.0005,
    maxMailboxes: 1200,
    dayInMs: 6000,
    leadDays: 2,
    caps: { weekday: { mailboxes: 250, bytes: 1e15 }, weekend: { mailboxes: 500, bytes: 1e15 } },
    readyAfterDays: [1, 2],
    surge: { mailboxes: 100, afterDays: 2 },
    maxDays: 12,
  });
  console.info(formatBurnDown(result));
  expect(result.violations).toEqual([]);
  expect(result.totals).toMatchObject({ doubled: 0, lost: 0 });
  expect(result.totals.migrated).toBe(result.totals.mailboxes);
  expect(result.days.some((d) => d.done > 0)).toBe(true);
}, 240_000);
