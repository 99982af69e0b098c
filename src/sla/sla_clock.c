/*
 * sla_clock.c — a ticket's pauses and the update cadence in force, for the
 * deadline trigger (sla.c) and the worker's action schedule
 * (escalation/sla_actions.c), so neither calls the other.
 */
#include "postgres.h"

#include "utils/multirangetypes.h"
#include "utils/rangetypes.h"

#include "sla/sla_clock.h"

SlaPauses
sla_pauses_of(const TicketColumns *columns, Datum paused)
{
	MultirangeType *ranges = DatumGetMultirangeTypeP(paused);
	TypeCacheEntry *range_type = columns->paused_type->rngtype;
	SlaPauses	pauses = {0, NULL, NULL};

	pauses.from = palloc(Max(ranges->rangeCount, 1) * sizeof(TimestampTz));
	pauses.to = palloc(Max(ranges->rangeCount, 1) * sizeof(TimestampTz));
	for (uint32 i = 0; i < ranges->rangeCount; i++)
	{
		RangeBound	lower;
		RangeBound	upper;

		multirange_get_bounds(range_type, ranges, i, &lower, &upper);
		if (lower.infinite || upper.infinite)
			continue;			/* only restored data could hold one; it pauses nothing */
		pauses.from[pauses.count] = DatumGetTimestampTz(lower.val);
		pauses.to[pauses.count] = DatumGetTimestampTz(upper.val);
		pauses.count++;
	}
	return pauses;
}

static TimestampTz
sla_cadence_due(const SlaPolicy *policy, BusinessCalendar *account_calendar, TimestampTz from)
{
	switch (policy->cadence_unit)
	{
		case CADENCE_BUSINESS_HOURS:
			return business_time_add(account_calendar, from, policy->update_cadence);
		case CADENCE_BUSINESS_DAYS:
			return business_time_days_add(account_calendar, from, (int) policy->update_cadence);
		case CADENCE_ELAPSED:
			break;
	}
	/* elapsed: sla_config_target_around_the_clock(SLA_PRIORITY_UPDATE) */
	return business_time_add(sla_config_around_the_clock(), from, policy->update_cadence);
}

/*
 * A client's escalation request and an executive escalation each bring an
 * elapsed-time cadence; the shortest cadence in force sets the next update.
 */
TimestampTz
sla_update_due(const TicketColumns *columns, Datum *values, bool *nulls,
			   const SlaPolicy *policy, BusinessCalendar *account_calendar, TimestampTz from)
{
	TimestampTz due = sla_cadence_due(policy, account_calendar, from);
	TimestampTz since;

	if (policy->escalated_update_cadence > 0 &&
		sla_timestamp(values, nulls, columns->escalation_requested_at, &since))
		due = Min(due, Max(from, since) + policy->escalated_update_cadence);
	if (policy->executive_update_cadence > 0 &&
		sla_timestamp(values, nulls, columns->executive_escalated_at, &since))
		due = Min(due, Max(from, since) + policy->executive_update_cadence);
	return due;
}

