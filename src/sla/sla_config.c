/*
 * sla_config.c — per-backend cache of the SLA policies and of each
 * account's business calendar, for the deadline trigger.
 *
 * The cache loads the four policies once and each account's calendar on
 * first use, and is dropped when sla_policies, calendar or accounts change
 * (config_cache.c). Reads run as the tables' owner (owner_spi.c).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "shared/config_cache.h"
#include "shared/owner_spi.h"
#include "tickets/priority.h"
#include "sla/sla_config.h"

typedef struct SlaAccountEntry
{
	int64		account_id;		/* hash key */
	int64		calendar_id;
} SlaAccountEntry;

typedef struct SlaCalendarEntry
{
	int64		calendar_id;	/* hash key */
	BusinessCalendar calendar;
} SlaCalendarEntry;

static ConfigCache sla_config_cache = {
	.name = "bedrock_support SLA configuration",
	.tables = {"sla_policies", "calendar", "accounts", "tiers"},
};
static SlaPolicy sla_config_policies[PRIORITY_LEAST_URGENT + 1];
static SlaTier sla_config_tiers[SLA_MAX_TIER + 1];
static HTAB *sla_config_accounts = NULL;
static HTAB *sla_config_calendars = NULL;
static BusinessCalendar sla_config_always;

static int64
sla_config_optional_int64(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	bool		is_null;
	Datum		value = SPI_getbinval(tuple, tupdesc, column, &is_null);

	return is_null ? 0 : DatumGetInt64(value);
}

/* The result columns of the policies' and the tiers' queries below, in their order. */
enum
{
	Anum_policy_priority = 1,
	Anum_policy_response_target,
	Anum_policy_resolution_target,
	Anum_policy_update_cadence,
	Anum_policy_update_cadence_unit,
	Anum_policy_clock,
	Anum_policy_escalation_ratio,
	Anum_policy_follow_up_after,
	Anum_policy_auto_close_after,
	Anum_policy_escalated_update_cadence,
	Anum_policy_executive_update_cadence,
	Anum_policy_post_incident_review_within,
};

enum
{
	Anum_tier_tier = 1,
	Anum_tier_resolution_target,
	Anum_tier_escalation_threshold,
	Anum_tier_name,
	Anum_tier_initial_response,
	Anum_tier_targets_apply_to,
	Anum_tier_around_the_clock,
};

static void
sla_config_load_policies(void *unused)
{
	int			result;
	Oid			tiers;

	Oid			policies = get_relname_relid("sla_policies", get_namespace_oid("support", false));

	/* 1.0's schema (before ALTER EXTENSION UPDATE) has no review deadline */
	result = SPI_execute(psprintf("SELECT p.priority::text,"
								  " (extract(epoch FROM p.response_target) * 1000000)::int8,"
								  " (extract(epoch FROM p.resolution_target) * 1000000)::int8,"
								  " (extract(epoch FROM p.update_cadence) * 1000000)::int8,"
								  " p.update_cadence_unit, p.clock, p.escalation_ratio::float8,"
								  " (extract(epoch FROM p.follow_up_after) * 1000000)::int8,"
								  " (extract(epoch FROM p.auto_close_after) * 1000000)::int8,"
								  " (extract(epoch FROM p.escalated_update_cadence) * 1000000)::int8,"
								  " (extract(epoch FROM p.executive_update_cadence) * 1000000)::int8,"
								  " %s FROM support.sla_policies p",
								  get_attnum(policies, "post_incident_review_within") == InvalidAttrNumber
								  ? "NULL::int8"
								  : "(extract(epoch FROM p.post_incident_review_within) * 1000000)::int8"),
						 true, 0);
	if (result != SPI_OK_SELECT)
		elog(ERROR, "could not read support.sla_policies: %s", SPI_result_code_string(result));

	memset(sla_config_policies, 0, sizeof(sla_config_policies));
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		bool		is_null;
		int16		priority;
		SlaPolicy  *policy;
		char	   *unit;
		char	   *clock;

		if (!priority_parse(SPI_getvalue(tuple, tupdesc, Anum_policy_priority), &priority))
			continue;
		policy = &sla_config_policies[priority];
		policy->response_target = DatumGetInt64(SPI_getbinval(tuple, tupdesc, Anum_policy_response_target, &is_null));
		policy->resolution_target = DatumGetInt64(SPI_getbinval(tuple, tupdesc, Anum_policy_resolution_target, &is_null));
		policy->update_cadence = DatumGetInt64(SPI_getbinval(tuple, tupdesc, Anum_policy_update_cadence, &is_null));
		unit = SPI_getvalue(tuple, tupdesc, Anum_policy_update_cadence_unit);
		clock = SPI_getvalue(tuple, tupdesc, Anum_policy_clock);
		policy->escalation_ratio = DatumGetFloat8(SPI_getbinval(tuple, tupdesc, Anum_policy_escalation_ratio, &is_null));
		if (strcmp(unit, "business_hours") == 0)
			policy->cadence_unit = CADENCE_BUSINESS_HOURS;
		else if (strcmp(unit, "business_days") == 0)
		{
			policy->cadence_unit = CADENCE_BUSINESS_DAYS;
			policy->update_cadence /= USECS_PER_DAY;
		}
		else
			policy->cadence_unit = CADENCE_ELAPSED;
		policy->around_the_clock = strcmp(clock, "24x7") == 0;
		policy->follow_up_after = sla_config_optional_int64(tuple, tupdesc, Anum_policy_follow_up_after);
		policy->auto_close_after = sla_config_optional_int64(tuple, tupdesc, Anum_policy_auto_close_after);
		policy->escalated_update_cadence = sla_config_optional_int64(tuple, tupdesc, Anum_policy_escalated_update_cadence);
		policy->executive_update_cadence = sla_config_optional_int64(tuple, tupdesc, Anum_policy_executive_update_cadence);
		policy->post_incident_review_within = sla_config_optional_int64(tuple, tupdesc, Anum_policy_post_incident_review_within);
		policy->defined = true;
	}

	/* 1.0's schema (before ALTER EXTENSION UPDATE) has no tier targets in force */
	tiers = get_relname_relid("tiers", get_namespace_oid("support", false));
	result = SPI_execute(psprintf("SELECT t.tier,"
								  " (extract(epoch FROM t.resolution_target) * 1000000)::int8,"
								  " (extract(epoch FROM t.escalation_threshold) * 1000000)::int8, t.name,"
								  " (extract(epoch FROM t.initial_response) * 1000000)::int8,"
								  " %s, NOT t.business_hours_only"
								  " FROM support.tiers t",
								  get_attnum(tiers, "targets_apply_to") == InvalidAttrNumber ? "0"
								  : "(SELECT COALESCE(sum(DISTINCT 1 << support.priority_to_int4(p)), 0)::int4"
								  "   FROM unnest(t.targets_apply_to) p)"), true, 0);
	if (result != SPI_OK_SELECT)
		elog(ERROR, "could not read support.tiers: %s", SPI_result_code_string(result));
	memset(sla_config_tiers, 0, sizeof(sla_config_tiers));
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[row];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		bool		is_null;
		int16		tier = DatumGetInt16(SPI_getbinval(tuple, tupdesc, Anum_tier_tier, &is_null));

		if (tier < 1 || tier > SLA_MAX_TIER)
			continue;
		sla_config_tiers[tier].resolution_target = sla_config_optional_int64(tuple, tupdesc, Anum_tier_resolution_target);
		sla_config_tiers[tier].escalation_threshold = sla_config_optional_int64(tuple, tupdesc, Anum_tier_escalation_threshold);
		sla_config_tiers[tier].name = MemoryContextStrdup(sla_config_cache.context,
														  SPI_getvalue(tuple, tupdesc, Anum_tier_name));
		sla_config_tiers[tier].response_target = sla_config_optional_int64(tuple, tupdesc, Anum_tier_initial_response);
		sla_config_tiers[tier].target_priorities =
			(uint32) DatumGetInt32(SPI_getbinval(tuple, tupdesc, Anum_tier_targets_apply_to, &is_null));
		sla_config_tiers[tier].around_the_clock =
			DatumGetBool(SPI_getbinval(tuple, tupdesc, Anum_tier_around_the_clock, &is_null));
		sla_config_tiers[tier].defined = true;
	}
}

static void
sla_config_ensure(void)
{
	uint64		generation;
	HASHCTL		control;

	if (config_cache_is_current(&sla_config_cache))
		return;
	generation = config_cache_reload(&sla_config_cache);

	memset(&control, 0, sizeof(control));
	control.keysize = sizeof(int64);
	control.entrysize = sizeof(SlaAccountEntry);
	control.hcxt = sla_config_cache.context;
	sla_config_accounts = hash_create("bedrock_support account calendars", 256, &control,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	control.entrysize = sizeof(SlaCalendarEntry);
	sla_config_calendars = hash_create("bedrock_support calendars", 16, &control,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&sla_config_always, 0, sizeof(sla_config_always));
	sla_config_always.always = true;

	owner_spi_run(sla_config_cache.owner, sla_config_load_policies, NULL);
	config_cache_loaded(&sla_config_cache, generation);
}

const SlaPolicy *
sla_config_policy(int16 priority)
{
	sla_config_ensure();
	if (priority < PRIORITY_MOST_URGENT || priority > PRIORITY_LEAST_URGENT ||
		!sla_config_policies[priority].defined)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("no SLA policy for priority P%d", priority),
				 errhint("Every priority needs a row in support.sla_policies.")));
	return &sla_config_policies[priority];
}

const SlaTier *
sla_config_tier(int16 tier)
{
	sla_config_ensure();
	if (tier < 1 || tier > SLA_MAX_TIER || !sla_config_tiers[tier].defined)
		return NULL;
	return &sla_config_tiers[tier];
}

BusinessCalendar *
sla_config_around_the_clock(void)
{
	sla_config_ensure();
	return &sla_config_always;
}

bool
sla_config_target_around_the_clock(SlaTargetClock target, const SlaPolicy *policy, const SlaTier *tier)
{
	switch (target)
	{
		case SLA_PRIORITY_TARGET:
			return policy->around_the_clock;
		case SLA_PRIORITY_UPDATE:
			return policy->cadence_unit == CADENCE_ELAPSED;
		case SLA_TIER_TARGET:
			return tier != NULL && tier->around_the_clock;
	}
	return false;
}

BusinessCalendar *
sla_config_target_calendar(SlaTargetClock target, const SlaPolicy *policy, const SlaTier *tier,
						   BusinessCalendar *account_calendar)
{
	return sla_config_target_around_the_clock(target, policy, tier) ? sla_config_around_the_clock()
		: account_calendar;
}

/*
 * support.sla_target_around_the_clock(target text, source text, priority
 * support.priority, tier smallint) RETURNS boolean: the rule above, for
 * support.sla_status (target: first_response, next_update or resolution;
 * source: priority or tier).
 */
PG_FUNCTION_INFO_V1(sla_target_around_the_clock);
Datum
sla_target_around_the_clock(PG_FUNCTION_ARGS)
{
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	const SlaPolicy *policy = sla_config_policy(PG_GETARG_INT16(2));
	SlaTargetClock kind;

	if (strcmp(source, "tier") == 0 &&
		(strcmp(target, "first_response") == 0 || strcmp(target, "resolution") == 0))
		kind = SLA_TIER_TARGET;
	else if (strcmp(source, "priority") == 0 && strcmp(target, "next_update") == 0)
		kind = SLA_PRIORITY_UPDATE;
	else if (strcmp(source, "priority") == 0 &&
			 (strcmp(target, "first_response") == 0 || strcmp(target, "resolution") == 0))
		kind = SLA_PRIORITY_TARGET;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no SLA target \"%s\" of the %s", target, source),
				 errhint("Targets: first_response, next_update or resolution of the priority; "
						 "first_response or resolution of the tier.")));
	PG_RETURN_BOOL(sla_config_target_around_the_clock(kind, policy, sla_config_tier(PG_GETARG_INT16(3))));
}

typedef struct SlaCalendarLoad
{
	int64		calendar_id;
	SlaCalendarEntry *entry;
} SlaCalendarLoad;

static void
sla_config_load_calendar(void *argument)
{
	SlaCalendarLoad *load = argument;
	Datum		key = Int64GetDatum(load->calendar_id);
	Oid			key_type = INT8OID;
	bool		hours_null;
	bool		holidays_null;
	Datum		hours;
	Datum		holidays;
	MemoryContext old_context;
	DateADT    *dates;
	int			date_count;
	bool		found;

	if (SPI_execute_with_args("SELECT c.hours, c.holidays FROM support.calendar c"
							  " WHERE c.calendar_id OPERATOR(pg_catalog.=) $1",
							  1, &key_type, &key, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read support.calendar");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("calendar %lld does not exist", (long long) load->calendar_id)));
	hours = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &hours_null);
	holidays = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &holidays_null);

	date_count = business_holidays_from_array(DatumGetArrayTypeP(holidays), &dates);

	/* build fully before entering, so an error leaves no half-made entry */
	old_context = MemoryContextSwitchTo(sla_config_cache.context);
	{
		BusinessCalendar calendar;

		business_calendar_init(&calendar, DatumGetBusinessHoursP(hours), dates, date_count);
		load->entry = hash_search(sla_config_calendars, &load->calendar_id, HASH_ENTER, &found);
		load->entry->calendar = calendar;
	}
	MemoryContextSwitchTo(old_context);
}

static BusinessCalendar *
sla_config_calendar(int64 calendar_id)
{
	SlaCalendarLoad load = {calendar_id, NULL};

	load.entry = hash_search(sla_config_calendars, &calendar_id, HASH_FIND, NULL);
	if (load.entry == NULL)
		owner_spi_run(sla_config_cache.owner, sla_config_load_calendar, &load);
	return &load.entry->calendar;
}

typedef struct SlaAccountLoad
{
	int64		account_id;
	int64		calendar_id;
	bool		found;
} SlaAccountLoad;

static void
sla_config_load_account(void *argument)
{
	SlaAccountLoad *load = argument;
	Datum		key = Int64GetDatum(load->account_id);
	Oid			key_type = INT8OID;
	bool		is_null;

	if (SPI_execute_with_args("SELECT a.calendar_id FROM support.accounts a"
							  " WHERE a.account_id OPERATOR(pg_catalog.=) $1",
							  1, &key_type, &key, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read support.accounts");
	if (SPI_processed == 1)
	{
		load->calendar_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc, 1, &is_null));
		load->found = true;
	}
}

BusinessCalendar *
sla_config_account_calendar(int64 account_id)
{
	SlaAccountEntry *entry;
	bool		found;

	sla_config_ensure();
	entry = hash_search(sla_config_accounts, &account_id, HASH_FIND, NULL);
	if (entry == NULL)
	{
		SlaAccountLoad load = {account_id, 0, false};

		owner_spi_run(sla_config_cache.owner, sla_config_load_account, &load);
		if (!load.found)
			return NULL;		/* not cached: the account may be inserted later */
		entry = hash_search(sla_config_accounts, &account_id, HASH_ENTER, &found);
		entry->calendar_id = load.calendar_id;
	}
	return sla_config_calendar(entry->calendar_id);
}
