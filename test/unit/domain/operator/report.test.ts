import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { migrationReportHeader, migrationReportLines, reportCell } from '../../../../shared/domain/report';

describe('report cells', () => {
  test('no cell a spreadsheet reads starts a formula, and the text is kept after the guard', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (text) => {
        // A second column keeps an empty cell a row of its own.
        const [[cell]] = parse(`${reportCell(text)},end\r\n`) as [[string]];
        expect(/^[=+\-@\t\r]/.test(cell)).toBe(false);
        expect(cell === text || cell === `'${text}`).toBe(true);
      }),
    );
  });

  test('a report round-trips through a CSV parser with the Exchange column first', () => {
    const csv =
      migrationReportHeader +
      migrationReportLines([
        {
          batch: 1,
          index: 0,
          address: '=cmd|calc@x.example',
          status: 'failed',
          attempts: 2,
          reason: '-1, "quoted"',
        },
        {
          batch: 1,
          index: 1,
          address: 'b@x.example',
          status: 'succeeded',
          attempts: 1,
          at: '2026-12-01T00:00:00Z',
        },
      ]);
    expect(parse(csv)).toEqual([
      ['EmailAddress', 'Status', 'Reason', 'Attempts', 'Batch', 'At'],
      ["'=cmd|calc@x.example", 'failed', `'-1, "quoted"`, '2', '1', ''],
      ['b@x.example', 'succeeded', '', '1', '1', '2026-12-01T00:00:00Z'],
    ]);
  });
});
