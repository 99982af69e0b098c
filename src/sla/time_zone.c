/*
 * time_zone.c — validation of the IANA time zone names accounts are kept in.
 *
 * Account-local times (business calendars, "same local time tomorrow") are
 * only right if the zone name is one PostgreSQL's time zone database loads.
 * A CHECK constraint calling this function turns a typo into a clear error
 * at INSERT time instead of a failure on the first deadline computation.
 */
#include "postgres.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"

#include "sla/time_zone.h"

/*
 * pg_tzset also accepts POSIX TZ specs such as "XYZ+3", which name no place
 * and carry no DST history. IANA names with digits either sit under a
 * region ("Etc/GMT+5") or are the few legacy zones below.
 */
static bool
time_zone_looks_like_posix_spec(const char *name)
{
	static const char *const legacy_zones[] = {
		"EST5EDT", "CST6CDT", "MST7MDT", "PST8PDT", "GMT0", "GMT+0", "GMT-0"
	};

	if (strpbrk(name, "<>,:") != NULL)
		return true;
	if (strchr(name, '/') != NULL || strpbrk(name, "0123456789") == NULL)
		return false;
	for (size_t i = 0; i < lengthof(legacy_zones); i++)
		if (pg_strcasecmp(name, legacy_zones[i]) == 0)
			return false;
	return true;
}

pg_tz *
time_zone_load(const char *name)
{
	pg_tz	   *zone;

	if (name[0] == '\0' || time_zone_looks_like_posix_spec(name))
		return NULL;
	zone = pg_tzset(name);
	if (zone == NULL || !pg_tz_acceptable(zone))
		return NULL;
	return zone;
}

PG_FUNCTION_INFO_V1(check_time_zone);
Datum
check_time_zone(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	if (time_zone_load(name) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", name),
				 errhint("Use an IANA time zone name from pg_timezone_names, such as \"America/New_York\" or \"Europe/Berlin\".")));
	PG_RETURN_BOOL(true);
}
