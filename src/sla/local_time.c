/*
 * local_time.c — instants and spans as a client reads them: an instant in
 * the account's own zone with its date, a span in words. Client texts,
 * the triage outbox and SQL (support.local_time, support.duration_in_words)
 * all format them here.
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "sla/local_time.h"

char *
local_time_text(TimestampTz at, const char *time_zone)
{
	Datum		local;

	/* the zone is checked (22023) even for an infinite instant */
	local = DirectFunctionCall2(timestamptz_zone, CStringGetTextDatum(time_zone),
								TimestampTzGetDatum(TIMESTAMP_NOT_FINITE(at) ? 0 : at));
	if (TIMESTAMP_NOT_FINITE(at))
		return pstrdup(TIMESTAMP_IS_NOBEGIN(at) ? "-infinity" : "infinity");

	return psprintf("%s %s",
					TextDatumGetCString(DirectFunctionCall2Coll(timestamp_to_char, DEFAULT_COLLATION_OID,
																local,
																CStringGetTextDatum("Dy DD Mon YYYY HH24:MI"))),
					time_zone);
}

static void
duration_in_words_part(const char **parts, int *count, uint64 amount, const char *unit)
{
	if (amount != 0)
		parts[(*count)++] = psprintf(UINT64_FORMAT " %s%s", amount, unit, amount == 1 ? "" : "s");
}

char *
duration_in_words_text(const Interval *given)
{
	const Interval *span = given;
	bool		negative;
	int64		sign;
	uint64		time;
	const char *parts[6];
	int			count = 0;
	StringInfoData words;

	/* fields of mixed signs ('1 day -3 hours') are read as one span ('21 hours') */
	if ((span->month > 0 || span->day > 0 || span->time > 0) &&
		(span->month < 0 || span->day < 0 || span->time < 0))
		span = DatumGetIntervalP(DirectFunctionCall1(interval_justify_interval,
													 IntervalPGetDatum(given)));
	negative = span->month < 0 || span->day < 0 || span->time < 0;
	sign = negative ? -1 : 1;
	/* the magnitude, also of the most negative time */
	time = span->time < 0 ? (uint64) (-(span->time + 1)) + 1 : (uint64) span->time;

	duration_in_words_part(parts, &count, (uint64) (sign * span->month / MONTHS_PER_YEAR), "year");
	duration_in_words_part(parts, &count, (uint64) (sign * span->month % MONTHS_PER_YEAR), "month");
	duration_in_words_part(parts, &count, (uint64) (sign * span->day), "day");
	duration_in_words_part(parts, &count, time / USECS_PER_HOUR, "hour");
	duration_in_words_part(parts, &count, time % USECS_PER_HOUR / USECS_PER_MINUTE, "minute");
	duration_in_words_part(parts, &count, time % USECS_PER_MINUTE / USECS_PER_SEC, "second");
	if (count == 0)
		return pstrdup(time == 0 ? "0 minutes" : "less than a second");

	initStringInfo(&words);
	if (negative)
		appendStringInfoString(&words, "minus ");
	for (int i = 0; i < count; i++)
		appendStringInfo(&words, "%s%s", i == 0 ? "" : i == count - 1 ? " and " : ", ", parts[i]);
	return words.data;
}

/* support.local_time(at timestamptz, time_zone text) RETURNS text */
PG_FUNCTION_INFO_V1(local_time);
Datum
local_time(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(local_time_text(PG_GETARG_TIMESTAMPTZ(0),
															 text_to_cstring(PG_GETARG_TEXT_PP(1)))));
}

/* support.duration_in_words(span interval) RETURNS text */
PG_FUNCTION_INFO_V1(duration_in_words);
Datum
duration_in_words(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(duration_in_words_text(PG_GETARG_INTERVAL_P(0))));
}
