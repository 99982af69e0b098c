/*
 * schedule.h — the weekly schedule behind support.business_hours, as plain
 * data: parsing and canonical formatting with no PostgreSQL calls, so the
 * parser can be fuzzed and unit-tested outside the server.
 */
#ifndef BEDROCK_SCHEDULE_H
#define BEDROCK_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHEDULE_DAYS 7					/* index 0 = Monday */
#define SCHEDULE_MINUTES_PER_DAY 1440
#define SCHEDULE_MAX_RANGES_PER_DAY 48
#define SCHEDULE_ZONE_MAX 255			/* PostgreSQL's TZ_STRLEN_MAX */
#define SCHEDULE_MESSAGE_MAX 256
/* longest canonical text: 7 day groups of 48 ranges plus the zone */
#define SCHEDULE_TEXT_MAX (SCHEDULE_DAYS * (16 + SCHEDULE_MAX_RANGES_PER_DAY * 12) + SCHEDULE_ZONE_MAX + 8)

typedef struct ScheduleRange
{
	uint16_t	start;			/* minutes after local midnight */
	uint16_t	end;			/* exclusive, at most 1440 */
} ScheduleRange;

typedef struct Schedule
{
	bool		always;			/* '24x7': every instant, no zone, no holidays */
	int			range_count[SCHEDULE_DAYS];
	ScheduleRange ranges[SCHEDULE_DAYS][SCHEDULE_MAX_RANGES_PER_DAY];
	char		zone[SCHEDULE_ZONE_MAX + 1];		/* as written; the server validates it */
} Schedule;

typedef enum ScheduleParseResult
{
	SCHEDULE_OK,
	SCHEDULE_SYNTAX_ERROR,		/* SQLSTATE 22P02 */
	SCHEDULE_INVALID_VALUE		/* SQLSTATE 22023 */
} ScheduleParseResult;

/*
 * Parse text (need not be NUL-terminated) into *schedule, with each day's
 * ranges sorted and overlapping or touching ranges merged. On failure
 * message says what is wrong and quotes the bad part.
 */
extern ScheduleParseResult schedule_parse(const char *text, size_t length,
										  Schedule *schedule,
										  char *message, size_t message_size);

/* Canonical text; returns its length (buffer of SCHEDULE_TEXT_MAX + 1). */
extern size_t schedule_format(const Schedule *schedule, char *buffer, size_t buffer_size);

extern bool schedule_equal(const Schedule *a, const Schedule *b);

#endif
