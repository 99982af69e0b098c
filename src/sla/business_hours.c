/*
 * business_hours.c — the support.business_hours type and the SQL functions
 * business_add, business_diff and business_days_add.
 *
 * The stored form is already parsed (ranges in minutes and a canonical
 * zone name), and each call site keeps the calendar built from its last
 * schedule and holiday list in fn_extra, so a query over a million rows
 * parses nothing and loads the zone once.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "sla/business_time.h"
#include "sla/time_zone.h"

#define BUSINESS_HOURS_TEXT_MAX (64 * 1024)

static BusinessHours *
business_hours_parse(const char *text, size_t length)
{
	Schedule   *schedule = palloc(sizeof(Schedule));
	char		message[SCHEDULE_MESSAGE_MAX];
	ScheduleParseResult result;
	pg_tz	   *zone;

	/* the longest canonical text is a few kB: room for any spacing, and a parse that stays short */
	if (length > BUSINESS_HOURS_TEXT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("business hours are written in at most %d bytes, not %zu", BUSINESS_HOURS_TEXT_MAX, length),
				 errhint("Write days, hours and an IANA time zone, such as \"mon-fri 09:00-17:00 @ America/New_York\".")));
	result = schedule_parse(text, length, schedule, message, sizeof(message));
	if (result != SCHEDULE_OK)
		ereport(ERROR,
				(errcode(result == SCHEDULE_SYNTAX_ERROR ?
						 ERRCODE_INVALID_TEXT_REPRESENTATION : ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid business hours \"%.*s\": %s", (int) Min(length, 200), text, message),
				 errhint("Write days, hours and an IANA time zone, such as \"mon-fri 09:00-17:00 @ America/New_York\" or \"mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin\", or \"24x7\".")));
	if (!schedule->always)
	{
		zone = time_zone_load(schedule->zone);
		if (zone == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid business hours \"%.*s\": time zone \"%s\" is not recognized",
							(int) Min(length, 200), text, schedule->zone),
					 errhint("Use an IANA time zone name from pg_timezone_names, such as \"America/New_York\" or \"Europe/Berlin\".")));
		/* keep the zone database's spelling, so equal zones compare equal */
		strlcpy(schedule->zone, pg_get_timezone_name(zone), sizeof(schedule->zone));
	}
	return business_hours_from_schedule(schedule);
}

static char *
business_hours_text(const BusinessHours *hours)
{
	Schedule   *schedule = palloc(sizeof(Schedule));
	char	   *buffer = palloc(SCHEDULE_TEXT_MAX + 1);

	business_hours_to_schedule(hours, schedule);
	schedule_format(schedule, buffer, SCHEDULE_TEXT_MAX + 1);
	return buffer;
}

PG_FUNCTION_INFO_V1(business_hours_in);
Datum
business_hours_in(PG_FUNCTION_ARGS)
{
	char	   *text = PG_GETARG_CSTRING(0);

	PG_RETURN_POINTER(business_hours_parse(text, strlen(text)));
}

PG_FUNCTION_INFO_V1(business_hours_out);
Datum
business_hours_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(business_hours_text(PG_GETARG_BUSINESS_HOURS_P(0)));
}

/* The binary form is the canonical text, so it survives format changes. */
PG_FUNCTION_INFO_V1(business_hours_recv);
Datum
business_hours_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buffer = (StringInfo) PG_GETARG_POINTER(0);
	int			length;
	char	   *text = pq_getmsgtext(buffer, buffer->len - buffer->cursor, &length);

	PG_RETURN_POINTER(business_hours_parse(text, length));
}

PG_FUNCTION_INFO_V1(business_hours_send);
Datum
business_hours_send(PG_FUNCTION_ARGS)
{
	char	   *text = business_hours_text(PG_GETARG_BUSINESS_HOURS_P(0));
	StringInfoData buffer;

	pq_begintypsend(&buffer);
	pq_sendtext(&buffer, text, strlen(text));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buffer));
}

/* Stored values are canonical, so equal schedules have equal bytes. */
static bool
business_hours_same(const BusinessHours *a, const BusinessHours *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

PG_FUNCTION_INFO_V1(business_hours_eq);
Datum
business_hours_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(business_hours_same(PG_GETARG_BUSINESS_HOURS_P(0),
									   PG_GETARG_BUSINESS_HOURS_P(1)));
}

PG_FUNCTION_INFO_V1(business_hours_ne);
Datum
business_hours_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!business_hours_same(PG_GETARG_BUSINESS_HOURS_P(0),
										PG_GETARG_BUSINESS_HOURS_P(1)));
}

static int
business_hours_compare(const BusinessHours *a, const BusinessHours *b)
{
	Size		a_size = VARSIZE(a);
	Size		b_size = VARSIZE(b);
	int			result = memcmp(a, b, Min(a_size, b_size));

	if (result != 0)
		return result < 0 ? -1 : 1;
	return a_size < b_size ? -1 : (a_size > b_size ? 1 : 0);
}

#define BUSINESS_HOURS_COMPARISON(name, test) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			order = business_hours_compare(PG_GETARG_BUSINESS_HOURS_P(0), \
											   PG_GETARG_BUSINESS_HOURS_P(1)); \
	PG_RETURN_BOOL(test); \
}

BUSINESS_HOURS_COMPARISON(business_hours_lt, order < 0)
BUSINESS_HOURS_COMPARISON(business_hours_le, order <= 0)
BUSINESS_HOURS_COMPARISON(business_hours_gt, order > 0)
BUSINESS_HOURS_COMPARISON(business_hours_ge, order >= 0)

PG_FUNCTION_INFO_V1(business_hours_cmp);
Datum
business_hours_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(business_hours_compare(PG_GETARG_BUSINESS_HOURS_P(0),
										   PG_GETARG_BUSINESS_HOURS_P(1)));
}

PG_FUNCTION_INFO_V1(business_hours_hash);
Datum
business_hours_hash(PG_FUNCTION_ARGS)
{
	BusinessHours *hours = PG_GETARG_BUSINESS_HOURS_P(0);

	return hash_any((const unsigned char *) hours, VARSIZE(hours));
}

PG_FUNCTION_INFO_V1(weekly_hours);
Datum
weekly_hours(PG_FUNCTION_ARGS)
{
	BusinessHours *hours = PG_GETARG_BUSINESS_HOURS_P(0);
	Interval   *result = palloc0(sizeof(Interval));
	const uint16 *minutes = hours->minutes;

	if (hours->always)
		result->time = 7 * USECS_PER_DAY;
	else
		for (int day = 0; day < SCHEDULE_DAYS; day++)
			for (int i = 0; i < hours->range_count[day]; i++, minutes += 2)
				result->time += (int64) (minutes[1] - minutes[0]) * USECS_PER_MINUTE;
	PG_RETURN_INTERVAL_P(result);
}

/*
 * The calendar for this call site's schedule and holidays, rebuilt only
 * when either differs from the previous row's.
 */
typedef struct BusinessCallCache
{
	BusinessHours *hours;
	ArrayType  *holidays;
	BusinessCalendar calendar;
} BusinessCallCache;

static BusinessCalendar *
business_hours_call_calendar(FunctionCallInfo fcinfo, BusinessHours *hours, ArrayType *holidays)
{
	BusinessCallCache *cache = fcinfo->flinfo->fn_extra;
	MemoryContext old_context;
	DateADT    *dates;
	int			date_count;

	if (cache != NULL && business_hours_same(cache->hours, hours) &&
		VARSIZE(cache->holidays) == VARSIZE(holidays) &&
		memcmp(cache->holidays, holidays, VARSIZE(holidays)) == 0)
		return &cache->calendar;

	/* an error below must not leave a half-rebuilt cache behind */
	fcinfo->flinfo->fn_extra = NULL;
	date_count = business_holidays_from_array(holidays, &dates);
	old_context = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (cache == NULL)
		cache = palloc0(sizeof(BusinessCallCache));
	else
	{
		pfree(cache->hours);
		pfree(cache->holidays);
		if (cache->calendar.holidays != NULL)
			pfree(cache->calendar.holidays);
		if (cache->calendar.windows != NULL)
			pfree(cache->calendar.windows);
	}
	cache->hours = palloc(VARSIZE(hours));
	memcpy(cache->hours, hours, VARSIZE(hours));
	cache->holidays = palloc(VARSIZE(holidays));
	memcpy(cache->holidays, holidays, VARSIZE(holidays));

	business_calendar_init(&cache->calendar, hours, dates, date_count);
	fcinfo->flinfo->fn_extra = cache;
	MemoryContextSwitchTo(old_context);
	return &cache->calendar;
}

static int64
business_hours_amount(const Interval *amount)
{
	int64		microseconds = business_time_interval_microseconds(amount);

	if (microseconds < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("business time amount must not be negative"),
				 errhint("To go back in time, compute the deadline forward from an earlier start.")));
	return microseconds;
}

PG_FUNCTION_INFO_V1(business_add);
Datum
business_add(PG_FUNCTION_ARGS)
{
	TimestampTz start = PG_GETARG_TIMESTAMPTZ(0);
	int64		amount = business_hours_amount(PG_GETARG_INTERVAL_P(1));
	BusinessCalendar *calendar = business_hours_call_calendar(fcinfo, PG_GETARG_BUSINESS_HOURS_P(2),
															   PG_GETARG_ARRAYTYPE_P(3));

	PG_RETURN_TIMESTAMPTZ(business_time_add(calendar, start, amount));
}

PG_FUNCTION_INFO_V1(business_diff);
Datum
business_diff(PG_FUNCTION_ARGS)
{
	TimestampTz from = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz to = PG_GETARG_TIMESTAMPTZ(1);
	BusinessCalendar *calendar = business_hours_call_calendar(fcinfo, PG_GETARG_BUSINESS_HOURS_P(2),
															   PG_GETARG_ARRAYTYPE_P(3));
	Interval   *result = palloc0(sizeof(Interval));

	result->time = business_time_diff(calendar, from, to);
	PG_RETURN_INTERVAL_P(result);
}

PG_FUNCTION_INFO_V1(business_days_add);
Datum
business_days_add(PG_FUNCTION_ARGS)
{
	TimestampTz start = PG_GETARG_TIMESTAMPTZ(0);
	int32		days = PG_GETARG_INT32(1);
	BusinessCalendar *calendar = business_hours_call_calendar(fcinfo, PG_GETARG_BUSINESS_HOURS_P(2),
															   PG_GETARG_ARRAYTYPE_P(3));

	if (days < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of business days must not be negative")));
	PG_RETURN_TIMESTAMPTZ(business_time_days_add(calendar, start, days));
}
