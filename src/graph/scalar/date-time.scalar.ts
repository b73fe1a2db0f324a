/**
 * The schema's `DateTime`: graphql-scalars' `GraphQLDateTime` (same name, description,
 * input rules and errors), except that it serialises to the ISO 8601 string itself.
 *
 * Contract: `serialize` answers exactly the string `JSON.stringify` would write for
 * graphql-scalars' answer (a `Date`, written by `Date#toJSON` as `toISOString()`: UTC,
 * milliseconds, `Z`), and refuses the same values with the same messages. Inputs
 * (`parseValue`, `parseLiteral`) are graphql-scalars' own and still give resolvers a
 * `Date`.
 *
 * Why: a `Date` in a response makes `JSON.stringify` leave its fast path and call
 * `toJSON` per value; a 50-alarm page with events holds ~500 of them, and writing its
 * answer took 2.6 times as long as writing the same answer with strings. And
 * `toISOString` itself costs ~0.37 µs a call, so `isoString` formats in JavaScript,
 * asking `toISOString` only for the date part of each new day, and the string written
 * for a Date is kept with it (while the Date still holds that time).
 */
import { GraphQLError, GraphQLScalarType } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';

const dateTimeConfig = GraphQLDateTime.toConfig();
const serializeAsDate = dateTimeConfig.serialize;

/**
 * The string last written for a Date, and the time it was written for (a Date can be
 * changed in place). Documents read once are mapped once, so a polled page serialises
 * the same Date objects again and again.
 */
const written = new WeakMap<Date, { ms: number; iso: string }>();

export const DateTime = new GraphQLScalarType<Date, string>({
  ...dateTimeConfig,
  serialize(value: unknown): string {
    // A valid Date, the common case, without the round trip through graphql-scalars.
    if (value instanceof Date) {
      const ms = value.getTime();
      if (!Number.isNaN(ms)) {
        const known = written.get(value);
        if (known !== undefined && known.ms === ms) return known.iso;
        const iso = isoString(ms);
        written.set(value, { ms, iso });
        return iso;
      }
    }
    // Anything else as graphql-scalars takes it (ISO strings, epoch ms) or refuses it.
    const date = serializeAsDate(value) as Date;
    if (Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}: it is not a valid time.`);
    return isoString(date.getTime());
  },
});

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));
/** The last day formatted, and its `YYYY-MM-DDT` (or `±YYYYYY-MM-DDT`) part. */
let lastDay = Number.NaN;
let lastDayPrefix = '';

/** `new Date(ms).toISOString()` for a valid time `ms` (integer epoch ms within ±8.64e15). */
export function isoString(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    lastDayPrefix = iso.slice(0, iso.indexOf('T') + 1);
    lastDay = day;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${lastDayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}Z`;
}
