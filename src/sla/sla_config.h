/*
 * sla_config.h — the SLA policies and account calendars the deadline
 * trigger needs, cached per backend and dropped when their tables change.
 */
#ifndef BEDROCK_SLA_CONFIG_H
#define BEDROCK_SLA_CONFIG_H

#include "postgres.h"

#include "sla/business_time.h"

typedef enum CadenceUnit
{
	CADENCE_ELAPSED,
	CADENCE_BUSINESS_HOURS,
	CADENCE_BUSINESS_DAYS
} CadenceUnit;

typedef struct SlaPolicy
{
	bool		defined;
	int64		response_target;	/* microseconds */
	int64		resolution_target;
	int64		update_cadence;		/* microseconds, or whole days for business_days */
	CadenceUnit cadence_unit;
	bool		around_the_clock;	/* clock '24x7' rather than the account calendar */
	double		escalation_ratio;
	/* 0 = none: the escalation worker's schedule */
	int64		follow_up_after;	/* elapsed, from resolution */
	int64		auto_close_after;	/* elapsed, from resolution */
	int64		escalated_update_cadence;	/* elapsed, after a client's request */
	int64		executive_update_cadence;	/* elapsed, after an executive escalation */
	int64		post_incident_review_within;	/* elapsed, after its resolution */
} SlaPolicy;

typedef struct SlaTier
{
	bool		defined;
	uint32		target_priorities;	/* bit p: its targets run beside priority p's */
	bool		around_the_clock;	/* not business_hours_only */
	int64		response_target;	/* initial response, microseconds */
	int64		resolution_target;	/* 0 = none (variable with complexity) */
	int64		escalation_threshold;	/* 0 = none: no-progress escalation off */
	const char *name;			/* the handbook's name, as clients read it */
} SlaTier;

#define SLA_MAX_TIER 3

/* The policy of priority 1..4; an error if the row is missing. */
extern const SlaPolicy *sla_config_policy(int16 priority);

/* Tier 1..SLA_MAX_TIER; NULL for an unknown tier. */
extern const SlaTier *sla_config_tier(int16 tier);

/* The account's business calendar, and the around-the-clock one. */
extern BusinessCalendar *sla_config_account_calendar(int64 account_id);
extern BusinessCalendar *sla_config_around_the_clock(void);

/* A ticket's SLA targets, as far as their clock goes. */
typedef enum SlaTargetClock
{
	SLA_PRIORITY_TARGET,		/* the priority's first response and resolution */
	SLA_PRIORITY_UPDATE,		/* the priority's update cadence */
	SLA_TIER_TARGET				/* the current tier's initial response and resolution */
} SlaTargetClock;

/*
 * Whether a target runs around the clock rather than on the account's
 * calendar: the one rule, which the deadline trigger applies and
 * support.sla_status reads (support.sla_target_around_the_clock).
 */
extern bool sla_config_target_around_the_clock(SlaTargetClock target, const SlaPolicy *policy,
											   const SlaTier *tier);

/* The calendar a target runs on. */
extern BusinessCalendar *sla_config_target_calendar(SlaTargetClock target, const SlaPolicy *policy,
													const SlaTier *tier, BusinessCalendar *account_calendar);

#endif
