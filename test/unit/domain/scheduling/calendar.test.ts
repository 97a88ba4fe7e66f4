import fc from 'fast-check';
import { isTriageError, type TriageError } from '../../../../shared/domain/errors';
import {
  capacityLowerBound,
  capOf,
  firstPlannableDay,
  type MigrationCalendar,
} from '../../../../shared/domain/scheduling/calendar';
import { parseCalendar } from '../../../../shared/domain/scheduling/calendar-schema';
import { addDays, localDateOf, startOfLocalDay } from '../../../../shared/domain/scheduling/local-date';

const tiers = ['health', 'government', 'remote-work', 'standard'];
// The calendar of issue 9, verbatim.
const issueCalendar = {
  timeZone: 'Europe/London',
  start: '2026-12-07',
  deadline: '2027-06-30',
  caps: {
    weekday: { mailboxes: 22000, bytes: 25000000000000 },
    weekend: { mailboxes: 83000, bytes: 95000000000000 },
  },
  holidays: [{ date: '2026-12-25', mailboxes: 0 }],
  perOrgDailyMax: 5000,
  reserved: { health: 0.2 },
  requiredChecks: ['identity-sync', 'licences', 'network', 'client-versions'],
};

function fieldsOf(body: unknown): string[] {
  try {
    parseCalendar(body, tiers);
  } catch (err) {
    if (isTriageError(err, 'validation')) return (err as TriageError).fields.map((f) => f.field);
    throw err;
  }
  return [];
}

describe('calendar', () => {
  test('the issue’s calendar parses as given; optional parts default', () => {
    expect(parseCalendar(issueCalendar, tiers)).toEqual(issueCalendar);
    const { holidays: _h, perOrgDailyMax: _p, reserved: _r, requiredChecks: _c, ...bare } = issueCalendar;
    expect(parseCalendar(bare, tiers)).toEqual({ ...bare, holidays: [], reserved: {}, requiredChecks: [] });
  });

  test('caps by day type, holidays override one or both caps', () => {
    const calendar = parseCalendar(
      { ...issueCalendar, holidays: [...issueCalendar.holidays, { date: '2026-12-26', bytes: 1 }] },
      tiers,
    );
    expect(capOf(calendar, '2026-12-07')).toEqual({ dayType: 'weekday', mailboxes: 22000, bytes: 25e12 });
    expect(capOf(calendar, '2026-12-12')).toEqual({ dayType: 'weekend', mailboxes: 83000, bytes: 95e12 });
    expect(capOf(calendar, '2026-12-25')).toEqual({ dayType: 'holiday', mailboxes: 0, bytes: 25e12 });
    expect(capOf(calendar, '2026-12-26')).toEqual({ dayType: 'holiday', mailboxes: 83000, bytes: 1 });
  });

  test('first plannable day: the later of start and tomorrow in the calendar’s zone', () => {
    const calendar = parseCalendar(issueCalendar, tiers);
    expect(firstPlannableDay(calendar, Date.parse('2026-11-01T12:00:00Z'))).toBe('2026-12-07');
    expect(firstPlannableDay(calendar, Date.parse('2027-01-10T12:00:00Z'))).toBe('2027-01-11');
    // 23:30 UTC on 30 June is already 1 July in London: the day in progress is 1 July.
    expect(firstPlannableDay(calendar, Date.parse('2027-06-30T23:30:00Z'))).toBe('2027-07-02');
  });

  test('each bad field is named, all at once', () => {
    expect(fieldsOf({ ...issueCalendar, deadline: '2026-12-01' })).toEqual(['deadline']);
    expect(fieldsOf({ ...issueCalendar, timeZone: 'Europe/Lundun' })).toEqual(['timeZone']);
    expect(fieldsOf({ ...issueCalendar, start: '2027-02-30' })).toEqual(['start']);
    expect(
      fieldsOf({
        ...issueCalendar,
        caps: { weekday: { mailboxes: -1, bytes: 1.5 }, weekend: { mailboxes: 1 } },
        deadline: '2026-01-01',
      }),
    ).toEqual(['caps.weekday.mailboxes', 'caps.weekday.bytes', 'caps.weekend.bytes', 'deadline']);
    expect(
      fieldsOf({
        ...issueCalendar,
        holidays: [
          { date: '2026-12-25', mailboxes: 0 },
          { date: '2026-12-25', bytes: 0 },
          { date: '2026-12-31' },
        ],
      }),
    ).toEqual(['holidays.2.mailboxes', 'holidays.1.date']);
    expect(fieldsOf({ ...issueCalendar, reserved: { healthh: 0.1 } })).toEqual(['reserved.healthh']);
    expect(fieldsOf({ ...issueCalendar, reserved: { health: 1.5 } })).toEqual([
      'reserved.health',
      'reserved',
    ]);
    expect(fieldsOf({ ...issueCalendar, reserved: { health: 0.6, government: 0.5 } })).toEqual(['reserved']);
    expect(fieldsOf({ ...issueCalendar, perOrgDailyMax: 0 })).toEqual(['perOrgDailyMax']);
    expect(fieldsOf({ ...issueCalendar, requiredChecks: ['licences', 'licences'] })).toEqual([
      'requiredChecks',
    ]);
    expect(fieldsOf({ ...issueCalendar, colour: 'blue' })).toEqual(['colour']);
  });

  test('capacity lower bound: the first day cumulative caps cover both totals', () => {
    const calendar = parseCalendar(issueCalendar, tiers);
    expect(capacityLowerBound(calendar, '2026-12-07', 22000, 0)).toBe('2026-12-07');
    expect(capacityLowerBound(calendar, '2026-12-07', 22001, 0)).toBe('2026-12-08');
    // Bytes bind: 5 weekdays carry 125 TB, the weekend's first day takes it past 130 TB.
    expect(capacityLowerBound(calendar, '2026-12-07', 1, 130e12)).toBe('2026-12-12');
    const closed: MigrationCalendar = {
      ...calendar,
      caps: { weekday: { mailboxes: 0, bytes: 0 }, weekend: { mailboxes: 0, bytes: 0 } },
    };
    expect(capacityLowerBound(closed, '2026-12-07', 1, 1, 30)).toBeNull();
  });

  test('property: the first plannable day never includes the day in progress, nor precedes start', () => {
    const calendar = parseCalendar(issueCalendar, tiers);
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2028, 0, 1) }), (nowMs) => {
        const first = firstPlannableDay(calendar, nowMs);
        expect(startOfLocalDay(first, calendar.timeZone)).toBeGreaterThan(nowMs);
        expect(first >= calendar.start).toBe(true);
        expect([calendar.start, addDays(localDateOf(nowMs, calendar.timeZone), 1)]).toContain(first);
      }),
    );
  });
});
