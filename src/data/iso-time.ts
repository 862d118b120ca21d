/**
 * ISO 8601 date-times with an explicit offset, as the domain plugins take them: parsed to epoch
 * seconds with the offset and the wall-clock minute of day kept (a model of local behaviour reads
 * the time of day as written), checked against the calendar, and written back in a given offset.
 */
/** ISO 8601 date-time with seconds optional and an offset or Z required. */
export const ISO_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2}))$/;

/** Seconds in 400 Gregorian years. */
const GREGORIAN_CYCLE_S = 146_097 * 86_400;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A parsed time: epoch seconds, the offset it was written in (seconds) and its wall-clock minute of day. */
export interface ParsedIsoTime {
  epoch: number;
  offset: number;
  minuteOfDay: number;
}

/** Parses an ISO 8601 time (the schema has checked its shape); null when it is not a real calendar time. */
export function parseIsoTime(s: string): ParsedIsoTime | null {
  const m = ISO_RE.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi] = [1, 2, 3, 4, 5].map((k) => Number(m[k]));
  const sec = Number(m[6] ?? 0) + Number(m[7] ?? 0);
  const leap = (y as number) % 4 === 0 && ((y as number) % 100 !== 0 || (y as number) % 400 === 0);
  const mon = mo as number;
  if (mon < 1 || mon > 12 || (d as number) < 1 || (d as number) > (mon === 2 && !leap ? 28 : (DAYS_IN_MONTH[mon - 1] as number)))
    return null;
  if ((h as number) > 23 || (mi as number) > 59 || sec >= 60) return null;
  let offset = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 14 || om > 59) return null;
    offset = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  // Date.UTC reads years 0-99 as 1900-1999: compute 400 years later (146,097 days, the Gregorian
  // cycle) and step back.
  const wall = Date.UTC((y as number) + 400, mon - 1, d as number, h as number, mi as number) / 1000 - GREGORIAN_CYCLE_S + sec;
  return { epoch: wall - offset, offset, minuteOfDay: (h as number) * 60 + (mi as number) + sec / 60 };
}

/**
 * Epoch seconds as ISO 8601 in the given offset (seconds east of UTC), to the second. Years 0000 to
 * 9999 are written with 4 digits; others (an answer past 9999-12-31) in the expanded form
 * ±YYYYYY, as Date.prototype.toISOString writes them.
 */
export function formatIsoTime(epoch: number, offset: number): string {
  const d = new Date(Math.round(epoch + offset) * 1000);
  const pad = (v: number) => String(v).padStart(2, '0');
  const y = d.getUTCFullYear();
  const year = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : `${y < 0 ? '-' : '+'}${String(Math.abs(y)).padStart(6, '0')}`;
  const date = `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (offset === 0) return `${date}Z`;
  const a = Math.abs(offset);
  return `${date}${offset < 0 ? '-' : '+'}${pad(Math.floor(a / 3600))}:${pad(Math.floor((a % 3600) / 60))}`;
}
