/*
 * business_time.c — adding and measuring business time on a weekly
 * schedule of local wall-clock hours in an IANA time zone.
 *
 * An instant is business time when the wall clock of the schedule's zone
 * shows a time inside one of that weekday's ranges on a date that is not a
 * holiday. Between two offset changes of the zone, local time is UTC plus
 * a constant, so the arithmetic walks zone segments (about two a year) and
 * within one segment walks local days, skipping whole holiday-free weeks in
 * one step: the cost grows with DST changes and holidays crossed, not with
 * the length of the amount.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "miscadmin.h"
#include "utils/datetime.h"

#include "sla/business_time.h"
#include "sla/time_zone.h"

#define USECS_PER_WEEK (7 * USECS_PER_DAY)
/* seconds from the Unix epoch to PostgreSQL's (2000-01-01) */
#define POSTGRES_EPOCH_SECONDS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

static inline int64
business_floor_div(int64 numerator, int64 denominator)
{
	int64		quotient = numerator / denominator;

	if ((numerator % denominator != 0) && ((numerator < 0) != (denominator < 0)))
		quotient--;
	return quotient;
}

/* Monday = 0; day 0 (2000-01-01) was a Saturday. */
static inline int
business_weekday(int64 day)
{
	int64		weekday = (day + 5) % 7;

	return (int) (weekday < 0 ? weekday + 7 : weekday);
}

static void
business_out_of_range(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("business time result is out of range for timestamp with time zone"),
			 errhint("The amount is too large for this schedule; timestamps end in the year 294276.")));
}

BusinessHours *
business_hours_from_schedule(const Schedule *schedule)
{
	int			total_ranges = 0;
	size_t		zone_length = schedule->always ? 0 : strlen(schedule->zone);
	size_t		size;
	BusinessHours *hours;
	uint16	   *minutes;

	for (int day = 0; day < SCHEDULE_DAYS; day++)
		total_ranges += schedule->always ? 0 : schedule->range_count[day];
	size = offsetof(BusinessHours, minutes) + total_ranges * 2 * sizeof(uint16) + zone_length + 1;
	hours = palloc0(size);
	SET_VARSIZE(hours, size);
	hours->always = schedule->always ? 1 : 0;
	minutes = hours->minutes;
	if (!schedule->always)
		for (int day = 0; day < SCHEDULE_DAYS; day++)
		{
			hours->range_count[day] = (uint8) schedule->range_count[day];
			for (int i = 0; i < schedule->range_count[day]; i++)
			{
				*minutes++ = schedule->ranges[day][i].start;
				*minutes++ = schedule->ranges[day][i].end;
			}
		}
	memcpy(minutes, schedule->zone, zone_length);
	((char *) minutes)[zone_length] = '\0';
	return hours;
}

const char *
business_hours_zone(const BusinessHours *hours)
{
	int			total_ranges = 0;

	for (int day = 0; day < SCHEDULE_DAYS; day++)
		total_ranges += hours->range_count[day];
	return (const char *) (hours->minutes + total_ranges * 2);
}

void
business_hours_to_schedule(const BusinessHours *hours, Schedule *schedule)
{
	const uint16 *minutes = hours->minutes;

	memset(schedule, 0, sizeof(Schedule));
	schedule->always = hours->always != 0;
	if (schedule->always)
		return;
	for (int day = 0; day < SCHEDULE_DAYS; day++)
	{
		schedule->range_count[day] = hours->range_count[day];
		for (int i = 0; i < hours->range_count[day]; i++)
		{
			schedule->ranges[day][i].start = *minutes++;
			schedule->ranges[day][i].end = *minutes++;
		}
	}
	strlcpy(schedule->zone, business_hours_zone(hours), sizeof(schedule->zone));
}

static int
business_compare_dates(const void *a, const void *b)
{
	DateADT		left = *(const DateADT *) a;
	DateADT		right = *(const DateADT *) b;

	return left < right ? -1 : (left > right ? 1 : 0);
}

void
business_calendar_init(BusinessCalendar *calendar, const BusinessHours *hours,
					   const DateADT *holidays, int holiday_count)
{
	const uint16 *minutes = hours->minutes;
	const char *zone_name;

	memset(calendar, 0, sizeof(BusinessCalendar));
	calendar->always = hours->always != 0;
	if (calendar->always)
		return;

	for (int day = 0; day < SCHEDULE_DAYS; day++)
		calendar->window_first[day + 1] = calendar->window_first[day] + hours->range_count[day];
	calendar->windows = palloc(Max(calendar->window_first[SCHEDULE_DAYS], 1) * sizeof(BusinessWindow));
	for (int i = 0; i < calendar->window_first[SCHEDULE_DAYS]; i++)
	{
		calendar->windows[i].start = (int64) (*minutes++) * USECS_PER_MINUTE;
		calendar->windows[i].end = (int64) (*minutes++) * USECS_PER_MINUTE;
		calendar->week_total += calendar->windows[i].end - calendar->windows[i].start;
	}
	zone_name = business_hours_zone(hours);
	calendar->zone = time_zone_load(zone_name);
	if (calendar->zone == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" of the business hours is not recognized", zone_name),
				 errhint("The server's time zone database no longer has this zone; update the schedule.")));
	if (calendar->week_total <= 0)
		elog(ERROR, "business hours without any time in the week");

	if (holiday_count > 0)
	{
		int			unique = 0;

		calendar->holidays = palloc(holiday_count * sizeof(DateADT));
		memcpy(calendar->holidays, holidays, holiday_count * sizeof(DateADT));
		qsort(calendar->holidays, holiday_count, sizeof(DateADT), business_compare_dates);
		for (int i = 0; i < holiday_count; i++)
			if (unique == 0 || calendar->holidays[unique - 1] != calendar->holidays[i])
				calendar->holidays[unique++] = calendar->holidays[i];
		calendar->holiday_count = unique;
	}
}

int
business_holidays_from_array(ArrayType *holidays, DateADT **dates)
{
	Datum	   *elements;
	bool	   *element_nulls;
	int			element_count;
	int			date_count = 0;

	if (ARR_NDIM(holidays) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("holidays must be a one-dimensional array of dates")));
	deconstruct_array(holidays, DATEOID, sizeof(DateADT), true, TYPALIGN_INT,
					  &elements, &element_nulls, &element_count);
	*dates = palloc(Max(element_count, 1) * sizeof(DateADT));
	for (int i = 0; i < element_count; i++)
		if (!element_nulls[i] && !DATE_NOT_FINITE(DatumGetDateADT(elements[i])))
			(*dates)[date_count++] = DatumGetDateADT(elements[i]);
	pfree(elements);
	pfree(element_nulls);
	return date_count;
}

/* Index of the first holiday on or after day (holiday_count if none). */
static int
business_first_holiday_from(const BusinessCalendar *calendar, int64 day)
{
	int			low = 0;
	int			high = calendar->holiday_count;

	while (low < high)
	{
		int			middle = (low + high) / 2;

		if (calendar->holidays[middle] < day)
			low = middle + 1;
		else
			high = middle;
	}
	return low;
}

static inline bool
business_is_holiday(const BusinessCalendar *calendar, int64 day)
{
	int			index;

	if (calendar->holiday_count == 0)
		return false;
	index = business_first_holiday_from(calendar, day);
	return index < calendar->holiday_count && calendar->holidays[index] == day;
}

/* Whole weeks from day on that contain no holiday. */
static int64
business_holiday_free_weeks(const BusinessCalendar *calendar, int64 day)
{
	int			index;

	if (calendar->holiday_count == 0)
		return PG_INT64_MAX;
	index = business_first_holiday_from(calendar, day);
	if (index == calendar->holiday_count)
		return PG_INT64_MAX;
	return (calendar->holidays[index] - day) / 7;
}

/*
 * The zone's UTC offset (microseconds, east positive) at instant t, and
 * the instant at which it next changes (DT_NOEND if never).
 */
static int64
business_offset_at(BusinessCalendar *calendar, TimestampTz t, TimestampTz *until)
{
	pg_time_t	seconds;
	pg_time_t	boundary;
	long int	before_offset;
	long int	after_offset;
	int			before_dst;
	int			after_dst;
	int			found;

	if (calendar->segment_valid && t >= calendar->segment_from && t < calendar->segment_until)
	{
		*until = calendar->segment_until;
		return calendar->segment_offset;
	}

	seconds = business_floor_div(t, USECS_PER_SEC) + POSTGRES_EPOCH_SECONDS;
	found = pg_next_dst_boundary(&seconds, &before_offset, &before_dst, &boundary,
								 &after_offset, &after_dst, calendar->zone);
	if (found < 0)
		elog(ERROR, "could not determine the UTC offset of time zone \"%s\"",
			 pg_get_timezone_name(calendar->zone));
	calendar->segment_from = t;
	if (found == 0)
	{
		calendar->segment_offset = (int64) before_offset * USECS_PER_SEC;
		calendar->segment_until = DT_NOEND;
	}
	else if (boundary <= seconds)
	{
		/* t sits on the zone's first transition: the new offset holds for a second at least */
		calendar->segment_offset = (int64) after_offset * USECS_PER_SEC;
		calendar->segment_until = (seconds + 1 - POSTGRES_EPOCH_SECONDS) * USECS_PER_SEC;
	}
	else
	{
		calendar->segment_offset = (int64) before_offset * USECS_PER_SEC;
		if (boundary - POSTGRES_EPOCH_SECONDS >= END_TIMESTAMP / USECS_PER_SEC)
			calendar->segment_until = DT_NOEND;
		else
			calendar->segment_until = (boundary - POSTGRES_EPOCH_SECONDS) * USECS_PER_SEC;
	}
	calendar->segment_valid = true;
	*until = calendar->segment_until;
	return calendar->segment_offset;
}

TimestampTz
business_time_add(BusinessCalendar *calendar, TimestampTz start, int64 amount)
{
	TimestampTz t = start;
	int64		remaining = amount;

	Assert(amount >= 0);
	if (amount == 0 || TIMESTAMP_NOT_FINITE(start))
		return start;
	if (calendar->always)
	{
		TimestampTz result;

		if (pg_add_s64_overflow(start, amount, &result) || !IS_VALID_TIMESTAMP(result))
			business_out_of_range();
		return result;
	}
	/* every week holds at most week_total, so a result past the range is known now */
	if ((double) start + (double) (amount / calendar->week_total) * USECS_PER_WEEK >
		(double) END_TIMESTAMP)
		business_out_of_range();

	for (;;)
	{
		TimestampTz until;
		int64		offset = business_offset_at(calendar, t, &until);
		int64		day = business_floor_div(t + offset, USECS_PER_DAY);

		for (;;)
		{
			TimestampTz day_start = day * USECS_PER_DAY - offset;

			/* a day at a time through dense holidays can take long: cancellable */
			CHECK_FOR_INTERRUPTS();
			if (day_start >= until)
				break;
			if (day_start >= END_TIMESTAMP)
				business_out_of_range();

			if (t <= day_start && remaining > calendar->week_total)
			{
				int64		weeks = (remaining - 1) / calendar->week_total;

				if (until != DT_NOEND)
					weeks = Min(weeks, (until - day_start) / USECS_PER_WEEK);
				weeks = Min(weeks, business_holiday_free_weeks(calendar, day));
				if (weeks > 0)
				{
					remaining -= weeks * calendar->week_total;
					day += weeks * 7;
					t = day * USECS_PER_DAY - offset;
					continue;
				}
			}

			if (!business_is_holiday(calendar, day))
			{
				int			weekday = business_weekday(day);

				for (int i = calendar->window_first[weekday]; i < calendar->window_first[weekday + 1]; i++)
				{
					TimestampTz window_start = day_start + calendar->windows[i].start;
					TimestampTz window_end = day_start + calendar->windows[i].end;
					TimestampTz from;
					TimestampTz to;

					if (window_end <= t)
						continue;
					if (window_start >= until)
						goto next_segment;
					from = Max(window_start, t);
					to = Min(window_end, until);
					if (to - from >= remaining)
					{
						TimestampTz result = from + remaining;

						if (!IS_VALID_TIMESTAMP(result))
							business_out_of_range();
						return result;
					}
					remaining -= to - from;
					t = to;
					if (to >= until)
						goto next_segment;
				}
			}
			day++;
		}
next_segment:
		t = until;
	}
}

static int64
business_time_diff_forward(BusinessCalendar *calendar, TimestampTz from, TimestampTz to)
{
	TimestampTz t = from;
	int64		total = 0;

	while (t < to)
	{
		TimestampTz until;
		int64		offset = business_offset_at(calendar, t, &until);
		TimestampTz limit = Min(until, to);
		int64		day = business_floor_div(t + offset, USECS_PER_DAY);

		for (;;)
		{
			TimestampTz day_start = day * USECS_PER_DAY - offset;

			CHECK_FOR_INTERRUPTS();
			if (day_start >= limit)
				break;
			if (t <= day_start)
			{
				int64		weeks = (limit - day_start) / USECS_PER_WEEK;

				weeks = Min(weeks, business_holiday_free_weeks(calendar, day));
				if (weeks > 0)
				{
					total += weeks * calendar->week_total;
					day += weeks * 7;
					continue;
				}
			}
			if (!business_is_holiday(calendar, day))
			{
				int			weekday = business_weekday(day);

				for (int i = calendar->window_first[weekday]; i < calendar->window_first[weekday + 1]; i++)
				{
					TimestampTz window_from = Max(day_start + calendar->windows[i].start, t);
					TimestampTz window_to = Min(day_start + calendar->windows[i].end, limit);

					if (window_to > window_from)
						total += window_to - window_from;
				}
			}
			day++;
		}
		t = limit;
	}
	return total;
}

int64
business_time_diff(BusinessCalendar *calendar, TimestampTz from, TimestampTz to)
{
	if (TIMESTAMP_NOT_FINITE(from) || TIMESTAMP_NOT_FINITE(to))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cannot measure business time to or from an infinite timestamp")));
	if (calendar->always)
	{
		int64		result;

		if (pg_sub_s64_overflow(to, from, &result))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("interval out of range")));
		return result;
	}
	if (to < from)
		return -business_time_diff_forward(calendar, to, from);
	return business_time_diff_forward(calendar, from, to);
}

/* The first business instant at or after t. */
static TimestampTz
business_next_open(BusinessCalendar *calendar, TimestampTz t)
{
	return business_time_add(calendar, t, 1) - 1;
}

/*
 * The same local wall time as start (moved to the next opening first if
 * start is outside hours) on the days-th following business day; if that
 * time is not in hours there, the next opening after it.
 */
TimestampTz
business_time_days_add(BusinessCalendar *calendar, TimestampTz start, int days)
{
	TimestampTz opened;
	TimestampTz until;
	TimestampTz result;
	int64		offset;
	int64		local;
	int64		day;
	int64		time_of_day;
	int64		guess_offset;

	Assert(days >= 0);
	if (TIMESTAMP_NOT_FINITE(start))
		return start;
	if (calendar->always)
		return business_time_add(calendar, start, (int64) days * USECS_PER_DAY);

	opened = business_next_open(calendar, start);
	offset = business_offset_at(calendar, opened, &until);
	local = opened + offset;
	day = business_floor_div(local, USECS_PER_DAY);
	time_of_day = local - day * USECS_PER_DAY;
	for (int counted = 0; counted < days;)
	{
		int			weekday;

		CHECK_FOR_INTERRUPTS();
		day++;
		if (day * USECS_PER_DAY >= END_TIMESTAMP)
			business_out_of_range();
		weekday = business_weekday(day);
		if (calendar->window_first[weekday + 1] > calendar->window_first[weekday] &&
			!business_is_holiday(calendar, day))
			counted++;
	}
	local = day * USECS_PER_DAY + time_of_day;

	/* local wall time to an instant; in a spring-forward gap, the instant after it */
	guess_offset = business_offset_at(calendar, local - offset, &until);
	result = local - guess_offset;
	offset = business_offset_at(calendar, result, &until);
	if (offset != guess_offset)
		result = local - offset;
	return business_next_open(calendar, result);
}

int64
business_time_interval_microseconds(const Interval *amount)
{
	/* as extract(epoch from interval): a year is 365.25 days, a month 30 */
	int64		years = amount->month / MONTHS_PER_YEAR;
	int64		months = amount->month % MONTHS_PER_YEAR;
	int64		days_part;
	int64		result;

	if (pg_mul_s64_overflow(years, (int64) (DAYS_PER_YEAR * SECS_PER_DAY) * USECS_PER_SEC, &result) ||
		pg_mul_s64_overflow(months * DAYS_PER_MONTH + amount->day, USECS_PER_DAY, &days_part) ||
		pg_add_s64_overflow(result, days_part, &result) ||
		pg_add_s64_overflow(result, amount->time, &result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("interval out of range")));
	return result;
}
