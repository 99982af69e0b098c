/*
 * schedule.c — parsing and canonical formatting of weekly business hours:
 *
 *   'mon-fri 09:00-17:00 @ America/New_York'
 *   'mon-thu 09:00-12:00,13:00-17:30; fri 09:00-13:00 @ Europe/Berlin'
 *   'sat,sun 10:00-14:00 @ Asia/Tokyo'
 *   '24x7'
 *
 * Pure C with no server calls: the type's input function wraps it, and the
 * fuzz harness in test/fuzz links it directly.
 */
#include "sla/schedule.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schedule_day_names[SCHEDULE_DAYS] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

typedef struct ScheduleCursor
{
	const char *text;
	size_t		length;
	size_t		position;
	char	   *message;
	size_t		message_size;
} ScheduleCursor;

static ScheduleParseResult schedule_fail(ScheduleCursor *cursor, ScheduleParseResult result,
										 const char *format,...)
			__attribute__((format(printf, 3, 4)));

static ScheduleParseResult
schedule_fail(ScheduleCursor *cursor, ScheduleParseResult result, const char *format,...)
{
	va_list		args;

	va_start(args, format);
	vsnprintf(cursor->message, cursor->message_size, format, args);
	va_end(args);
	return result;
}

static bool
schedule_at_end(const ScheduleCursor *cursor)
{
	return cursor->position >= cursor->length;
}

static char
schedule_peek(const ScheduleCursor *cursor)
{
	return schedule_at_end(cursor) ? '\0' : cursor->text[cursor->position];
}

static void
schedule_skip_spaces(ScheduleCursor *cursor)
{
	while (!schedule_at_end(cursor) && isspace((unsigned char) cursor->text[cursor->position]))
		cursor->position++;
}

typedef enum ScheduleTokenKind
{
	SCHEDULE_TOKEN_WORD,		/* letters and digits: a day or a zone */
	SCHEDULE_TOKEN_TIME,		/* digits and colons */
	SCHEDULE_TOKEN_ANY			/* up to the next space */
} ScheduleTokenKind;

static bool
schedule_token_char(ScheduleTokenKind kind, char c)
{
	switch (kind)
	{
		case SCHEDULE_TOKEN_WORD:
			return isalnum((unsigned char) c) || c == '_' || c == '/';
		case SCHEDULE_TOKEN_TIME:
			return isdigit((unsigned char) c) || c == ':';
		case SCHEDULE_TOKEN_ANY:
			return c != '\0' && !isspace((unsigned char) c);
	}
	return false;
}

/*
 * The token at from, for an error message: at most 24 characters of the
 * kind expected, or else the next non-space run, or "end of input".
 */
static const char *
schedule_excerpt(const ScheduleCursor *cursor, size_t from, ScheduleTokenKind kind,
				 char *buffer, size_t buffer_size)
{
	size_t		available = from < cursor->length ? cursor->length - from : 0;
	size_t		take = 0;

	while (take < available && take + 3 < buffer_size && take < 24 &&
		   schedule_token_char(kind, cursor->text[from + take]))
		take++;
	if (take == 0 && kind != SCHEDULE_TOKEN_ANY)
		return schedule_excerpt(cursor, from, SCHEDULE_TOKEN_ANY, buffer, buffer_size);
	if (take == 0)
		return "end of input";
	buffer[0] = '"';
	memcpy(buffer + 1, cursor->text + from, take);
	buffer[take + 1] = '"';
	buffer[take + 2] = '\0';
	return buffer;
}

static ScheduleParseResult
schedule_parse_day(ScheduleCursor *cursor, int *day)
{
	char		excerpt[32];

	if (cursor->length - cursor->position >= 3)
	{
		for (int i = 0; i < SCHEDULE_DAYS; i++)
		{
			if (strncasecmp(cursor->text + cursor->position, schedule_day_names[i], 3) == 0 &&
				(cursor->length - cursor->position == 3 ||
				 !isalpha((unsigned char) cursor->text[cursor->position + 3])))
			{
				*day = i;
				cursor->position += 3;
				return SCHEDULE_OK;
			}
		}
	}
	if (cursor->position < cursor->length && isalpha((unsigned char) cursor->text[cursor->position]))
		return schedule_fail(cursor, SCHEDULE_SYNTAX_ERROR,
							 "unknown day %s: days are mon, tue, wed, thu, fri, sat and sun",
							 schedule_excerpt(cursor, cursor->position, SCHEDULE_TOKEN_WORD,
											  excerpt, sizeof(excerpt)));
	return schedule_fail(cursor, SCHEDULE_SYNTAX_ERROR,
						 "expected a day (mon, tue, wed, thu, fri, sat or sun), found %s",
						 schedule_excerpt(cursor, cursor->position, SCHEDULE_TOKEN_WORD,
										  excerpt, sizeof(excerpt)));
}

/* HH:MM with 00 <= HH <= 24, 00 <= MM <= 59 and 24:00 the latest */
static ScheduleParseResult
schedule_parse_time(ScheduleCursor *cursor, int *minutes)
{
	const char *p = cursor->text + cursor->position;
	size_t		available = cursor->length - cursor->position;
	char		excerpt[32];
	int			hours;
	int			mins;

	if (available < 5 || !isdigit((unsigned char) p[0]) || !isdigit((unsigned char) p[1]) ||
		p[2] != ':' || !isdigit((unsigned char) p[3]) || !isdigit((unsigned char) p[4]) ||
		(available > 5 && isdigit((unsigned char) p[5])))
		return schedule_fail(cursor, SCHEDULE_SYNTAX_ERROR,
							 "expected a time written HH:MM, such as 09:00 or 17:30, found %s",
							 schedule_excerpt(cursor, cursor->position, SCHEDULE_TOKEN_TIME,
											  excerpt, sizeof(excerpt)));
	hours = (p[0] - '0') * 10 + (p[1] - '0');
	mins = (p[3] - '0') * 10 + (p[4] - '0');
	if (hours > 24 || mins > 59 || (hours == 24 && mins != 0))
		return schedule_fail(cursor, SCHEDULE_INVALID_VALUE,
							 "time \"%.5s\" is out of range: times run from 00:00 to 24:00", p);
	*minutes = hours * 60 + mins;
	cursor->position += 5;
	return SCHEDULE_OK;
}

static ScheduleParseResult
schedule_add_range(ScheduleCursor *cursor, Schedule *schedule, int day, int start, int end)
{
	if (schedule->range_count[day] >= SCHEDULE_MAX_RANGES_PER_DAY)
		return schedule_fail(cursor, SCHEDULE_INVALID_VALUE,
							 "too many time ranges on %s: at most %d are allowed",
							 schedule_day_names[day], SCHEDULE_MAX_RANGES_PER_DAY);
	schedule->ranges[day][schedule->range_count[day]].start = (uint16_t) start;
	schedule->ranges[day][schedule->range_count[day]].end = (uint16_t) end;
	schedule->range_count[day]++;
	return SCHEDULE_OK;
}

/* days ws ranges, e.g. "mon-thu,sat 09:00-12:00,13:00-17:30" */
static ScheduleParseResult
schedule_parse_group(ScheduleCursor *cursor, Schedule *schedule)
{
	bool		days[SCHEDULE_DAYS] = {false};
	int			ranges[SCHEDULE_MAX_RANGES_PER_DAY][2];
	int			range_count = 0;
	ScheduleParseResult result;

	for (;;)
	{
		int			first;
		int			last;

		schedule_skip_spaces(cursor);
		if ((result = schedule_parse_day(cursor, &first)) != SCHEDULE_OK)
			return result;
		last = first;
		schedule_skip_spaces(cursor);
		if (schedule_peek(cursor) == '-')
		{
			cursor->position++;
			schedule_skip_spaces(cursor);
			if ((result = schedule_parse_day(cursor, &last)) != SCHEDULE_OK)
				return result;
			if (last < first)
				return schedule_fail(cursor, SCHEDULE_INVALID_VALUE,
									 "day range \"%s-%s\" is not ascending: write days from mon to sun, such as \"mon-fri\" or \"fri,sat,sun\"",
									 schedule_day_names[first], schedule_day_names[last]);
		}
		for (int day = first; day <= last; day++)
			days[day] = true;
		schedule_skip_spaces(cursor);
		if (schedule_peek(cursor) != ',')
			break;
		cursor->position++;
	}

	for (;;)
	{
		int			start;
		int			end;

		schedule_skip_spaces(cursor);
		if (schedule_at_end(cursor))
			return schedule_fail(cursor, SCHEDULE_SYNTAX_ERROR,
								 "expected a time range such as 09:00-17:00 at the end of the schedule");
		if ((result = schedule_parse_time(cursor, &start)) != SCHEDULE_OK)
			return result;
		schedule_skip_spaces(cursor);
		if (schedule_peek(cursor) != '-')
			return schedule_fail(cursor, SCHEDULE_SYNTAX_ERROR,
								 "expected \"-\" after %02d:%02d: a range is written as 09:00-17:00",
								 start / 60, start % 60);
		cursor->position++;
		schedule_skip_spaces(cursor);
		if ((result = schedule_parse_time(cursor, &end)) != SCHEDULE_OK)
			return result;
		if (end <= start)
			return schedule_fail(cursor, SCHEDULE_INVALID_VALUE,
								 "time range \"%02d:%02d-%02d:%02d\" does not end after it starts: a range cannot cross midnight, so split it into \"... 22:00-24:00; <next day> 00:00-02:00\"",
								 start / 60, start % 60, end / 60, end % 60);
		if (range_count >= SCHEDULE_MAX_RANGES_PER_DAY)
			return schedule_fail(cursor, SCHEDULE_INVALID_VALUE,
								 "too many time ranges in one day group: at most %d are allowed",
								 SCHEDULE_MAX_RANGES_PER_DAY);
		ranges[range_count][0] = start;
		ranges[range_count][1] = end;
		range_count++;
		schedule_skip_spaces(cursor);
		if (schedule_peek(cursor) != ',')
			break;
		cursor->position++;
	}

	for (int day = 0; day < SCHEDULE_DAYS; day++)
		if (days[day])
			for (int i = 0; i < range_count; i++)
				if ((result = schedule_add_range(cursor, schedule, day,
												 ranges[i][0], ranges[i][1])) != SCHEDULE_OK)
					return result;
	return SCHEDULE_OK;
}

static int
schedule_compare_ranges(const void *a, const void *b)
{
	const ScheduleRange *left = a;
	const ScheduleRange *right = b;

	if (left->start != right->start)
		return left->start < right->start ? -1 : 1;
	if (left->end != right->end)
		return left->end < right->end ? -1 : 1;
	return 0;
}

/* Sort each day's ranges and merge those that overlap or touch. */
static void
schedule_normalize(Schedule *schedule)
{
	for (int day = 0; day < SCHEDULE_DAYS; day++)
	{
		ScheduleRange *ranges = schedule->ranges[day];
		int			count = schedule->range_count[day];
		int			merged = 0;

		if (count == 0)
			continue;
		qsort(ranges, count, sizeof(ScheduleRange), schedule_compare_ranges);
		for (int i = 1; i < count; i++)
		{
			if (ranges[i].start <= ranges[merged].end)
			{
				if (ranges[i].end > ranges[merged].end)
					ranges[merged].end = ranges[i].end;
			}
			else
				ranges[++merged] = ranges[i];
		}
		schedule->range_count[day] = merged + 1;
	}
}

ScheduleParseResult
schedule_parse(const char *text, size_t length, Schedule *schedule,
			   char *message, size_t message_size)
{
	ScheduleCursor cursor = {text, length, 0, message, message_size};
	ScheduleParseResult result;
	size_t		zone_start;
	size_t		zone_length;
	char		excerpt[32];

	memset(schedule, 0, sizeof(Schedule));
	if (message_size > 0)
		message[0] = '\0';
	/* an embedded NUL ends the text, as it would for a C string */
	cursor.length = strnlen(text, length);

	schedule_skip_spaces(&cursor);
	if (schedule_at_end(&cursor))
		return schedule_fail(&cursor, SCHEDULE_SYNTAX_ERROR,
							 "empty schedule: write days and hours in a time zone, such as \"mon-fri 09:00-17:00 @ America/New_York\", or \"24x7\"");
	if (cursor.length - cursor.position >= 4 &&
		strncasecmp(cursor.text + cursor.position, "24x7", 4) == 0)
	{
		cursor.position += 4;
		schedule_skip_spaces(&cursor);
		if (!schedule_at_end(&cursor))
			return schedule_fail(&cursor, SCHEDULE_SYNTAX_ERROR,
								 "unexpected %s after \"24x7\": an around-the-clock schedule has no days, hours or zone",
								 schedule_excerpt(&cursor, cursor.position, SCHEDULE_TOKEN_ANY,
												  excerpt, sizeof(excerpt)));
		schedule->always = true;
		return SCHEDULE_OK;
	}

	for (;;)
	{
		if ((result = schedule_parse_group(&cursor, schedule)) != SCHEDULE_OK)
			return result;
		schedule_skip_spaces(&cursor);
		if (schedule_peek(&cursor) == ';')
		{
			cursor.position++;
			continue;
		}
		if (schedule_peek(&cursor) == '@')
			break;
		if (schedule_at_end(&cursor))
			return schedule_fail(&cursor, SCHEDULE_SYNTAX_ERROR,
								 "missing time zone: end the schedule with \"@ <zone>\", such as \"@ Europe/Berlin\"");
		return schedule_fail(&cursor, SCHEDULE_SYNTAX_ERROR,
							 "unexpected %s: day groups are separated by \";\" and the schedule ends with \"@ <zone>\"",
							 schedule_excerpt(&cursor, cursor.position, SCHEDULE_TOKEN_ANY,
											  excerpt, sizeof(excerpt)));
	}

	cursor.position++;			/* '@' */
	schedule_skip_spaces(&cursor);
	zone_start = cursor.position;
	while (!schedule_at_end(&cursor) && !isspace((unsigned char) schedule_peek(&cursor)))
		cursor.position++;
	zone_length = cursor.position - zone_start;
	schedule_skip_spaces(&cursor);
	if (zone_length == 0)
		return schedule_fail(&cursor, SCHEDULE_SYNTAX_ERROR,
							 "missing time zone after \"@\", such as \"@ Europe/Berlin\"");
	if (!schedule_at_end(&cursor))
		return schedule_fail(&cursor, SCHEDULE_SYNTAX_ERROR,
							 "unexpected %s after the time zone",
							 schedule_excerpt(&cursor, cursor.position, SCHEDULE_TOKEN_ANY,
											  excerpt, sizeof(excerpt)));
	if (zone_length > SCHEDULE_ZONE_MAX)
		return schedule_fail(&cursor, SCHEDULE_INVALID_VALUE,
							 "time zone name is too long (%zu characters)", zone_length);
	memcpy(schedule->zone, cursor.text + zone_start, zone_length);
	schedule->zone[zone_length] = '\0';

	schedule_normalize(schedule);
	return SCHEDULE_OK;
}

static bool
schedule_same_ranges(const Schedule *schedule, int a, int b)
{
	return schedule->range_count[a] == schedule->range_count[b] &&
		memcmp(schedule->ranges[a], schedule->ranges[b],
			   schedule->range_count[a] * sizeof(ScheduleRange)) == 0;
}

typedef struct ScheduleWriter
{
	char	   *buffer;
	size_t		size;
	size_t		length;
} ScheduleWriter;

static void schedule_write(ScheduleWriter *writer, const char *format,...)
			__attribute__((format(printf, 2, 3)));

static void
schedule_write(ScheduleWriter *writer, const char *format,...)
{
	va_list		args;
	int			written;

	if (writer->length >= writer->size)
		return;
	va_start(args, format);
	written = vsnprintf(writer->buffer + writer->length, writer->size - writer->length, format, args);
	va_end(args);
	if (written > 0)
		writer->length += (size_t) written;
	if (writer->length >= writer->size)
		writer->length = writer->size - 1;
}

/*
 * Days with identical hours form one group, written in order of their
 * first day; runs of three or more days as "mon-fri", shorter ones as
 * "sat,sun". Parsing the output gives back an equal schedule.
 */
size_t
schedule_format(const Schedule *schedule, char *buffer, size_t buffer_size)
{
	ScheduleWriter writer = {buffer, buffer_size, 0};
	bool		written[SCHEDULE_DAYS] = {false};
	bool		first_group = true;

	if (buffer_size == 0)
		return 0;
	buffer[0] = '\0';
	if (schedule->always)
	{
		schedule_write(&writer, "24x7");
		return writer.length;
	}

	for (int day = 0; day < SCHEDULE_DAYS; day++)
	{
		bool		in_group[SCHEDULE_DAYS] = {false};
		bool		first_day = true;

		if (written[day] || schedule->range_count[day] == 0)
			continue;
		for (int other = day; other < SCHEDULE_DAYS; other++)
			if (!written[other] && schedule_same_ranges(schedule, day, other))
				in_group[other] = written[other] = true;

		if (!first_group)
			schedule_write(&writer, "; ");
		first_group = false;
		for (int run_start = day; run_start < SCHEDULE_DAYS; run_start++)
		{
			int			run_end = run_start;

			if (!in_group[run_start])
				continue;
			while (run_end + 1 < SCHEDULE_DAYS && in_group[run_end + 1])
				run_end++;
			if (run_end - run_start >= 2)
			{
				schedule_write(&writer, "%s%s-%s", first_day ? "" : ",",
							   schedule_day_names[run_start], schedule_day_names[run_end]);
				first_day = false;
			}
			else
				for (int d = run_start; d <= run_end; d++)
				{
					schedule_write(&writer, "%s%s", first_day ? "" : ",", schedule_day_names[d]);
					first_day = false;
				}
			run_start = run_end;
		}
		for (int i = 0; i < schedule->range_count[day]; i++)
		{
			const ScheduleRange *range = &schedule->ranges[day][i];

			schedule_write(&writer, "%s%02d:%02d-%02d:%02d", i == 0 ? " " : ",",
						   range->start / 60, range->start % 60, range->end / 60, range->end % 60);
		}
	}
	schedule_write(&writer, " @ %s", schedule->zone);
	return writer.length;
}

bool
schedule_equal(const Schedule *a, const Schedule *b)
{
	if (a->always || b->always)
		return a->always == b->always;
	for (int day = 0; day < SCHEDULE_DAYS; day++)
		if (a->range_count[day] != b->range_count[day] ||
			memcmp(a->ranges[day], b->ranges[day], a->range_count[day] * sizeof(ScheduleRange)) != 0)
			return false;
	return strcmp(a->zone, b->zone) == 0;
}
