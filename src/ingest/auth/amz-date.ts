/** SigV4 dates: `20150830T123600Z` (ISO 8601 basic format, UTC, whole seconds). */

export function isoBasic(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** Milliseconds since the epoch, or undefined when the text is not a basic-format date. */
export function parseAmzDate(amzDate: string): number | undefined {
  const m = AMZ_DATE.exec(amzDate);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

/** An RFC 1123 `Date` header in basic format; text that is no date is returned as is, for the caller to reject. */
export function httpDateToAmz(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : isoBasic(ms);
}
