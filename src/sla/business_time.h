/*
 * business_time.h — business-time arithmetic on a weekly schedule in an
 * IANA time zone, with local holidays. Shared by the SQL functions
 * (business_hours.c) and the deadline trigger (sla.c).
 */
#ifndef BEDROCK_BUSINESS_TIME_H
#define BEDROCK_BUSINESS_TIME_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/date.h"

#include "sla/schedule.h"

/* On-disk form of support.business_hours (storage plain, never packed). */
typedef struct BusinessHours
{
	int32		vl_len_;
	uint8		always;
	uint8		range_count[SCHEDULE_DAYS];
	uint16		minutes[FLEXIBLE_ARRAY_MEMBER];	/* start,end pairs, then the zone, NUL-ended */
} BusinessHours;

#define DatumGetBusinessHoursP(d) ((BusinessHours *) DatumGetPointer(d))
#define PG_GETARG_BUSINESS_HOURS_P(n) DatumGetBusinessHoursP(PG_GETARG_DATUM(n))

typedef struct BusinessWindow
{
	int64		start;			/* microseconds after local midnight */
	int64		end;
} BusinessWindow;

/*
 * A schedule ready for arithmetic: windows in microseconds, the zone
 * loaded, holidays sorted, and the last zone-offset segment looked up
 * (consecutive rows usually fall in the same one).
 */
typedef struct BusinessCalendar
{
	bool		always;
	pg_tz	   *zone;
	/* day d's windows are windows[window_first[d]] .. windows[window_first[d + 1] - 1] */
	int			window_first[SCHEDULE_DAYS + 1];
	BusinessWindow *windows;
	int64		week_total;		/* business microseconds in a week without holidays */
	int			holiday_count;
	DateADT    *holidays;		/* sorted, unique */
	/* cached segment: offset_us applies to instants in [segment_from, segment_until) */
	bool		segment_valid;
	TimestampTz segment_from;
	TimestampTz segment_until;
	int64		segment_offset;
} BusinessCalendar;

extern BusinessHours *business_hours_from_schedule(const Schedule *schedule);
extern void business_hours_to_schedule(const BusinessHours *hours, Schedule *schedule);
extern const char *business_hours_zone(const BusinessHours *hours);

/* Fill calendar (allocated by the caller) in the current memory context. */
extern void business_calendar_init(BusinessCalendar *calendar, const BusinessHours *hours,
								   const DateADT *holidays, int holiday_count);

/* The finite dates of a date[] into *dates (palloc'd); NULLs and infinities are no holiday. */
extern int	business_holidays_from_array(ArrayType *holidays, DateADT **dates);

extern TimestampTz business_time_add(BusinessCalendar *calendar, TimestampTz start, int64 amount);
extern int64 business_time_diff(BusinessCalendar *calendar, TimestampTz from, TimestampTz to);
extern TimestampTz business_time_days_add(BusinessCalendar *calendar, TimestampTz start, int days);
extern int64 business_time_interval_microseconds(const Interval *amount);

#endif
