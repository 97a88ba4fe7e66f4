/** Route templates as the local host matches them (ASP.NET-style, as Functions uses them). */
import { compareRoutes, compileRoute, matchRoute } from '../../local/host/routes';
import { parseSchedule } from '../../local/host/timers';

const match = (template: string, path: string): Record<string, string> | undefined =>
  matchRoute(compileRoute(template), path);

describe('route templates', () => {
  test('literals match case-insensitively, with or without a trailing slash', () => {
    expect(match('requests', 'Requests')).toEqual({});
    expect(match('requests', 'requests/')).toEqual({});
    expect(match('requests', 'requests/1')).toBeUndefined();
  });

  test('parameters are decoded; optional ones may be absent', () => {
    expect(match('requests/{id}', 'requests/a%20b')).toEqual({ id: 'a b' });
    expect(match('requests/{id}', 'requests')).toBeUndefined();
    expect(match('hello/{name?}', 'hello')).toEqual({});
    expect(match('hello/{name?}', 'hello/ada')).toEqual({ name: 'ada' });
  });

  test('constraints filter matches', () => {
    expect(match('items/{id:int}', 'items/12')).toEqual({ id: '12' });
    expect(match('items/{id:int}', 'items/x')).toBeUndefined();
    expect(match('items/{id:guid}', 'items/3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBeDefined();
    expect(match('items/{id:alpha}', 'items/abc1')).toBeUndefined();
    expect(match('items/{n:int:min(10)}', 'items/9')).toBeUndefined();
    expect(match('items/{n:int:range(1,5)}', 'items/3')).toEqual({ n: '3' });
    expect(match('items/{code:length(3)}', 'items/abcd')).toBeUndefined();
    expect(match('items/{flag:bool}', 'items/TRUE')).toEqual({ flag: 'TRUE' });
  });

  test('several parameters in one segment and catch-all parameters', () => {
    expect(match('files/{name}.{ext}', 'files/report.csv')).toEqual({ name: 'report', ext: 'csv' });
    expect(match('blobs/{*path}', 'blobs/a/b/c%20d.txt')).toEqual({ path: 'a/b/c d.txt' });
    expect(match('blobs/{*path}', 'blobs')).toEqual({});
  });

  test('literal segments sort before parameters, constrained before free, catch-alls last', () => {
    const templates = ['items/{*rest}', 'items/{id}', 'items/latest', 'items/{id:int}'];
    const sorted = templates
      .map(compileRoute)
      .sort(compareRoutes)
      .map((r) => r.template);
    expect(sorted).toEqual(['items/latest', 'items/{id:int}', 'items/{id}', 'items/{*rest}']);
  });

  test('malformed templates are refused', () => {
    expect(() => compileRoute('items/{id:nonsense}')).toThrow(TypeError);
    expect(() => compileRoute('items/{*rest}/more')).toThrow(/catch-all/);
  });
});

describe('timer schedules', () => {
  test('six-field NCRONTAB in UTC, seconds first', () => {
    const next = parseSchedule('t', '0 */5 * * * *').next(new Date('2026-01-01T10:02:30Z'));
    expect(next?.toISOString()).toBe('2026-01-01T10:05:00.000Z');
  });

  test('day of month and day of week must both match, as in NCRONTAB', () => {
    // 13th that is a Friday: the next one after 1 Jan 2026 is 13 Feb 2026.
    const next = parseSchedule('t', '0 0 0 13 * 5').next(new Date('2026-01-01T00:00:00Z'));
    expect(next?.toISOString()).toBe('2026-02-13T00:00:00.000Z');
  });

  test('hh:mm:ss intervals', () => {
    const next = parseSchedule('t', '00:00:30').next(new Date('2026-01-01T00:00:00Z'));
    expect(next?.toISOString()).toBe('2026-01-01T00:00:30.000Z');
  });

  test('five-field cron is refused with the function name', () => {
    expect(() => parseSchedule('nightly', '0 2 * * *')).toThrow(/function "nightly".*six-field/);
  });
});
