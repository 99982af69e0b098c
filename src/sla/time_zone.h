/*
 * time_zone.h — loading the IANA time zones accounts and calendars use.
 */
#ifndef BEDROCK_TIME_ZONE_H
#define BEDROCK_TIME_ZONE_H

#include "postgres.h"

#include "pgtime.h"

/* The zone named, or NULL when it is unknown or a bare POSIX TZ spec. */
extern pg_tz *time_zone_load(const char *name);

#endif
