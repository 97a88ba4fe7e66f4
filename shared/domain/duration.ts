/**
 * ISO 8601 durations as Service Bus and Bicep write them (`PT1M`, `P14D`, `PT10M30S`).
 * Years and months are refused: their length in milliseconds is not fixed.
 */
const ISO_DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * Converts an ISO 8601 duration to milliseconds.
 * @throws RangeError when the text is not a supported duration.
 */
export function parseIsoDurationInMs(text: string): number {
  const match = ISO_DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) {
    throw new RangeError(`"${text}" is not an ISO 8601 duration such as PT1M or P14D`);
  }
  const [, weeks, days, hours, minutes, seconds] = match;
  const n = (v: string | undefined): number => (v === undefined ? 0 : Number(v));
  return Math.round(
    ((((n(weeks) * 7 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60 + n(seconds)) * 1000,
  );
}

/** `00:05:00`-style time spans, as host.json writes them (`hh:mm:ss`, optionally `d.hh:mm:ss`). */
export function parseTimeSpanInMs(text: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(text);
  if (!match) throw new RangeError(`"${text}" is not a time span such as 00:05:00`);
  const [, days, hours, minutes, seconds] = match;
  return Math.round(
    (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000,
  );
}
