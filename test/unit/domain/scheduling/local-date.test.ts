import fc from 'fast-check';
import {
  addDays,
  compareLocalDates,
  daysBetween,
  isLocalDate,
  isValidTimeZone,
  lengthOfLocalDayInMs,
  localDateOf,
  startOfLocalDay,
  tomorrowIn,
  weekDayTypeOf,
} from '../../../../shared/domain/scheduling/local-date';

const hour = 3_600_000;
// Zones with every kind of daylight-saving rule: none, ±1 h at 01:00 UTC, at local midnight (Havana,
// historic São Paulo), half an hour (Lord Howe), southern hemisphere, a 45-minute offset (Chatham).
const zones = [
  'Europe/London',
  'America/New_York',
  'America/Havana',
  'America/Sao_Paulo',
  'Australia/Lord_Howe',
  'Australia/Sydney',
  'Pacific/Chatham',
  'Asia/Kolkata',
  'UTC',
];
const arbZone = fc.constantFrom(...zones);
const from2000 = Date.UTC(2000, 0, 1);
const to2040 = Date.UTC(2040, 0, 1);
const arbInstant = fc.integer({ min: from2000, max: to2040 });
const arbDate = fc.integer({ min: 0, max: 14_600 }).map((days) => addDays('2000-01-01', days));

describe('local dates', () => {
  test('Europe/London: spring-forward is 23 hours, fall-back 25, others 24', () => {
    expect(lengthOfLocalDayInMs('2027-03-28', 'Europe/London')).toBe(23 * hour);
    expect(lengthOfLocalDayInMs('2026-10-25', 'Europe/London')).toBe(25 * hour);
    expect(lengthOfLocalDayInMs('2026-12-07', 'Europe/London')).toBe(24 * hour);
    expect(new Date(startOfLocalDay('2027-06-30', 'Europe/London')).toISOString()).toBe(
      '2027-06-29T23:00:00.000Z',
    );
    expect(new Date(startOfLocalDay('2026-12-25', 'Europe/London')).toISOString()).toBe(
      '2026-12-25T00:00:00.000Z',
    );
  });

  test('the local date of an instant follows the zone, not UTC', () => {
    const lateJuneEvening = Date.parse('2027-06-30T23:30:00Z');
    expect(localDateOf(lateJuneEvening, 'Europe/London')).toBe('2027-07-01');
    expect(localDateOf(lateJuneEvening, 'UTC')).toBe('2027-06-30');
    expect(tomorrowIn(lateJuneEvening, 'Europe/London')).toBe('2027-07-02');
  });

  test('a day whose midnight is skipped starts when it begins (São Paulo, 2018-11-04, 01:00 local)', () => {
    expect(new Date(startOfLocalDay('2018-11-04', 'America/Sao_Paulo')).toISOString()).toBe(
      '2018-11-04T03:00:00.000Z',
    );
    expect(lengthOfLocalDayInMs('2018-11-04', 'America/Sao_Paulo')).toBe(23 * hour);
  });

  test('validation: real dates only, IANA zones only', () => {
    expect(isLocalDate('2028-02-29')).toBe(true);
    expect(isLocalDate('2027-02-29')).toBe(false);
    expect(isLocalDate('2027-13-01')).toBe(false);
    expect(isLocalDate('2027-1-01')).toBe(false);
    expect(isValidTimeZone('Europe/London')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('+01:00')).toBe(false);
    expect(() => addDays('2027-02-30', 1)).toThrow(RangeError);
    expect(() => localDateOf(0, 'Nowhere/Land')).toThrow(RangeError);
  });

  test('calendar arithmetic and day types', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(daysBetween('2026-12-07', '2027-06-30')).toBe(205);
    expect(weekDayTypeOf('2026-12-07')).toBe('weekday'); // a Monday
    expect(weekDayTypeOf('2026-12-12')).toBe('weekend');
    expect(weekDayTypeOf('2026-12-13')).toBe('weekend');
    expect(compareLocalDates('2026-12-07', '2027-01-01')).toBeLessThan(0);
  });

  test('property: every instant lies in its local day, between that day’s start and the next day’s', () => {
    fc.assert(
      fc.property(arbInstant, arbZone, (ms, zone) => {
        const date = localDateOf(ms, zone);
        expect(startOfLocalDay(date, zone)).toBeLessThanOrEqual(ms);
        expect(startOfLocalDay(addDays(date, 1), zone)).toBeGreaterThan(ms);
      }),
      { numRuns: 500 },
    );
  });

  test('property: a day starts on its own date, the instant before is the previous date', () => {
    fc.assert(
      fc.property(arbDate, arbZone, (date, zone) => {
        const start = startOfLocalDay(date, zone);
        expect(localDateOf(start, zone)).toBe(date);
        expect(localDateOf(start - 1, zone)).toBe(addDays(date, -1));
        // Daylight saving moves a day by at most an hour either way.
        expect([23, 23.5, 24, 24.5, 25]).toContain(lengthOfLocalDayInMs(date, zone) / hour);
      }),
      { numRuns: 500 },
    );
  });

  test('property: on every daylight-saving day of a year, each quarter-hour maps back to that date', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2039 }), arbZone, (year, zone) => {
        const first = `${year}-01-01`;
        for (let day = 0; day < daysBetween(first, `${year + 1}-01-01`); day++) {
          const date = addDays(first, day);
          const start = startOfLocalDay(date, zone);
          const length = startOfLocalDay(addDays(date, 1), zone) - start;
          if (length === 24 * hour) continue;
          for (let at = start; at < start + length; at += hour / 4) expect(localDateOf(at, zone)).toBe(date);
          expect(localDateOf(start + length, zone)).toBe(addDays(date, 1));
        }
      }),
      { numRuns: 30 },
    );
  });

  test('property: around each London transition the days still add up (365 or 366 × 24 h a year)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2039 }), (year) => {
        const first = `${year}-01-01`;
        const next = `${year + 1}-01-01`;
        const length = startOfLocalDay(next, 'Europe/London') - startOfLocalDay(first, 'Europe/London');
        expect(length / (24 * hour)).toBe(daysBetween(first, next));
      }),
    );
  });

  test('property: addDays and daysBetween are inverse; text order is date order', () => {
    fc.assert(
      fc.property(arbDate, fc.integer({ min: -4000, max: 4000 }), (date, days) => {
        const later = addDays(date, days);
        expect(daysBetween(date, later)).toBe(days);
        expect(Math.sign(compareLocalDates(date, later)) === -Math.sign(days)).toBe(true);
      }),
    );
  });
});
