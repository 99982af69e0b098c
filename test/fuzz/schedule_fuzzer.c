/*
 * schedule_fuzzer.c — libFuzzer target for the business-hours parser
 * (src/sla/schedule.c), built outside the server with AddressSanitizer and
 * UndefinedBehaviorSanitizer by test/fuzz/run.sh.
 *
 * Beyond "no crash", every accepted input must satisfy the type's
 * contract: its canonical text parses back to an equal schedule and is a
 * fixed point of formatting, and every range is ascending, non-empty,
 * within the day and disjoint from its neighbours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla/schedule.h"

static void
fuzz_check(int condition, const char *what, const uint8_t *data, size_t size)
{
	if (condition)
		return;
	fprintf(stderr, "schedule contract broken: %s for input \"%.*s\"\n", what, (int) size,
			(const char *) data);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static Schedule parsed;
	static Schedule reparsed;
	static char text[SCHEDULE_TEXT_MAX + 1];
	static char again[SCHEDULE_TEXT_MAX + 1];
	char		message[SCHEDULE_MESSAGE_MAX];
	size_t		length;

	if (schedule_parse((const char *) data, size, &parsed, message, sizeof(message)) != SCHEDULE_OK)
	{
		fuzz_check(message[0] != '\0', "an error without a message", data, size);
		return 0;
	}
	for (int day = 0; day < SCHEDULE_DAYS && !parsed.always; day++)
		for (int i = 0; i < parsed.range_count[day]; i++)
		{
			const ScheduleRange *range = &parsed.ranges[day][i];

			fuzz_check(range->start < range->end && range->end <= SCHEDULE_MINUTES_PER_DAY,
					   "a range out of order or outside the day", data, size);
			fuzz_check(i == 0 || parsed.ranges[day][i - 1].end < range->start,
					   "ranges not merged", data, size);
		}

	length = schedule_format(&parsed, text, sizeof(text));
	fuzz_check(length < sizeof(text) - 1, "canonical text truncated", data, size);
	fuzz_check(schedule_parse(text, length, &reparsed, message, sizeof(message)) == SCHEDULE_OK,
			   "canonical text does not parse", data, size);
	fuzz_check(schedule_equal(&parsed, &reparsed), "canonical text parses to another schedule",
			   data, size);
	schedule_format(&reparsed, again, sizeof(again));
	fuzz_check(strcmp(text, again) == 0, "formatting is not a fixed point", data, size);
	return 0;
}
