/*
 * business_time_reference.c — brute-force reference for business_add and
 * business_diff, independent of the extension's code: it steps through
 * time one minute at a time, asks the C library (glibc, reading the same
 * /usr/share/zoneinfo as the server) for the local wall time, and counts
 * the minutes that fall inside the schedule's hours on non-holidays.
 *
 * Usage: business_time_reference SEED COUNT
 * Prints tab-separated cases, one per line:
 *   add  <hours> <holidays> <start epoch> <amount minutes> <expected epoch>
 *   diff <hours> <holidays> <from epoch>  <to epoch>       <expected minutes>
 * Every instant is on a whole minute and every zone used has whole-minute
 * offsets, so a minute is either wholly inside business hours or not.
 */
#define _DEFAULT_SOURCE
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const zones[] = {
	"America/New_York", "Europe/London", "Europe/Berlin",
	"Australia/Sydney", "Asia/Kolkata", "UTC"
};
static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

typedef struct Case
{
	bool		minute_open[7][1440];	/* Monday = 0 */
	int			weekly_minutes;
	int			holiday_count;
	int			holidays[4][3];			/* year, month, day */
	char		hours[1024];
	char		holiday_text[128];
} Case;

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	/* splitmix64: reproducible across platforms for a given seed */
	uint64_t	z = (rng_state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static int
rng_below(int limit)
{
	return (int) (rng_next() % (uint64_t) limit);
}

static int
random_boundary(void)
{
	/* mostly quarter hours, sometimes any minute, often near DST changes */
	switch (rng_below(4))
	{
		case 0:
			return rng_below(1441);
		case 1:
			return 60 + rng_below(181);		/* 01:00-04:00 */
		default:
			return rng_below(97) * 15;
	}
}

static void
make_schedule(Case *c)
{
	size_t		length = 0;

	memset(c->minute_open, 0, sizeof(c->minute_open));
	c->weekly_minutes = 0;
	c->hours[0] = '\0';
	while (c->weekly_minutes == 0)
	{
		length = 0;
		for (int day = 0; day < 7; day++)
		{
			int			ranges;

			if (rng_below(10) < 3)
				continue;
			ranges = 1 + rng_below(3);
			length += snprintf(c->hours + length, sizeof(c->hours) - length, "%s%s ",
							   length ? "; " : "", day_names[day]);
			for (int r = 0; r < ranges; r++)
			{
				int			a = random_boundary();
				int			b = random_boundary();
				int			start = a < b ? a : b;
				int			end = a < b ? b : a;

				if (rng_below(12) == 0)
					start = 0, end = 1440;
				if (end == start && start == 1440)
					start = 1439;
				else if (end == start)
					end = start + 1;
				for (int m = start; m < end; m++)
					c->minute_open[day][m] = true;
				length += snprintf(c->hours + length, sizeof(c->hours) - length, "%s%02d:%02d-%02d:%02d",
								   r ? "," : "", start / 60, start % 60, end / 60, end % 60);
			}
		}
		c->weekly_minutes = 0;
		for (int day = 0; day < 7; day++)
			for (int m = 0; m < 1440; m++)
				c->weekly_minutes += c->minute_open[day][m];
	}
}

static bool
is_open(const Case *c, time_t t)
{
	struct tm	local;

	localtime_r(&t, &local);
	for (int i = 0; i < c->holiday_count; i++)
		if (c->holidays[i][0] == local.tm_year + 1900 && c->holidays[i][1] == local.tm_mon + 1 &&
			c->holidays[i][2] == local.tm_mday)
			return false;
	return c->minute_open[(local.tm_wday + 6) % 7][local.tm_hour * 60 + local.tm_min];
}

static time_t
random_start(void)
{
	/* 2026 windows that hold every DST change of the zones above, or any time in 2025-2027 */
	static const time_t march = 1772323200;		/* 2026-03-01 00:00 UTC */
	static const time_t september = 1790294400;	/* 2026-09-26 00:00 UTC */
	static const time_t y2025 = 1735689600;		/* 2025-01-01 00:00 UTC */

	switch (rng_below(3))
	{
		case 0:
			return march + (time_t) rng_below(46 * 1440) * 60;
		case 1:
			return september + (time_t) rng_below(46 * 1440) * 60;
		default:
			return y2025 + (time_t) rng_below(3 * 365 * 1440) * 60;
	}
}

static void
make_holidays(Case *c, time_t near)
{
	size_t		length = 0;

	c->holiday_count = rng_below(5);
	length += snprintf(c->holiday_text + length, sizeof(c->holiday_text) - length, "{");
	for (int i = 0; i < c->holiday_count; i++)
	{
		time_t		day = near + (time_t) (rng_below(40) - 3) * 86400;
		struct tm	local;

		localtime_r(&day, &local);
		c->holidays[i][0] = local.tm_year + 1900;
		c->holidays[i][1] = local.tm_mon + 1;
		c->holidays[i][2] = local.tm_mday;
		length += snprintf(c->holiday_text + length, sizeof(c->holiday_text) - length, "%s%04d-%02d-%02d",
						   i ? "," : "", c->holidays[i][0], c->holidays[i][1], c->holidays[i][2]);
	}
	snprintf(c->holiday_text + length, sizeof(c->holiday_text) - length, "}");
}

static int
random_amount(const Case *c)
{
	switch (rng_below(8))
	{
		case 0:
			return 0;
		case 1:
		case 2:
		case 3:
			return 1 + rng_below(600);
		case 4:
		case 5:
			return 1 + rng_below(c->weekly_minutes);
		default:
			return 1 + rng_below(c->weekly_minutes * 5);
	}
}

int
main(int argc, char **argv)
{
	static Case c;
	int			count;

	if (argc != 3)
	{
		fprintf(stderr, "usage: %s SEED COUNT\n", argv[0]);
		return 2;
	}
	rng_state = strtoull(argv[1], NULL, 10);
	count = atoi(argv[2]);

	for (int n = 0; n < count; n++)
	{
		const char *zone = zones[rng_below(6)];
		time_t		start;

		setenv("TZ", zone, 1);
		tzset();
		make_schedule(&c);
		start = random_start();
		make_holidays(&c, start);

		if (n % 2 == 0)
		{
			int			amount = random_amount(&c);
			int			counted = 0;
			time_t		t = start;

			while (counted < amount)
			{
				counted += is_open(&c, t);
				t += 60;
			}
			printf("add\t%s @ %s\t%s\t%lld\t%d\t%lld\n", c.hours, zone, c.holiday_text,
				   (long long) start, amount, (long long) t);
		}
		else
		{
			int			span = rng_below(8) == 0 ? rng_below(40 * 1440) : rng_below(8 * 1440);
			time_t		to = start + (time_t) span * 60;
			int			open_minutes = 0;

			for (time_t t = start; t < to; t += 60)
				open_minutes += is_open(&c, t);
			if (rng_below(4) == 0)
				printf("diff\t%s @ %s\t%s\t%lld\t%lld\t%d\n", c.hours, zone, c.holiday_text,
					   (long long) to, (long long) start, -open_minutes);
			else
				printf("diff\t%s @ %s\t%s\t%lld\t%lld\t%d\n", c.hours, zone, c.holiday_text,
					   (long long) start, (long long) to, open_minutes);
		}
	}
	return 0;
}
