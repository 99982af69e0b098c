/*
 * sla_clock.h — the deadline arithmetic that the deadline trigger (sla.c)
 * and the worker's action schedule (escalation/sla_actions.c) both need: a
 * ticket's pauses and the update cadence in force.
 */
#ifndef BEDROCK_SLA_CLOCK_H
#define BEDROCK_SLA_CLOCK_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "sla/business_time.h"
#include "tickets/lifecycle.h"
#include "sla/sla_config.h"
#include "tickets/ticket_columns.h"


/* A ticket's pauses, in order. */
typedef struct SlaPauses
{
	int			count;
	TimestampTz *from;
	TimestampTz *to;
} SlaPauses;

extern SlaPauses sla_pauses_of(const TicketColumns *columns, Datum paused);

/* the timestamp in column (false when NULL or the column is missing) */
static inline bool
sla_timestamp(Datum *values, bool *nulls, int column, TimestampTz *value)
{
	if (column < 0 || nulls[column])
		return false;
	*value = DatumGetTimestampTz(values[column]);
	return true;
}

/* the update cadence in force: the policy's, shortened by an escalation */
extern TimestampTz sla_update_due(const TicketColumns *columns, Datum *values, bool *nulls,
								  const SlaPolicy *policy, BusinessCalendar *account_calendar,
								  TimestampTz from);

#endif
