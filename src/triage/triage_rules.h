/*
 * triage_rules.h — the priority rules and category routing, cached per
 * backend for the triage trigger.
 */
#ifndef BEDROCK_TRIAGE_RULES_H
#define BEDROCK_TRIAGE_RULES_H

#include "postgres.h"

/* The ticket's criteria flags, as bits. */
typedef enum TriageFlag
{
	TRIAGE_SERVICE_OUTAGE,
	TRIAGE_REVENUE_IMPACT,
	TRIAGE_SECURITY_OR_DATA_INTEGRITY,
	TRIAGE_CAMPAIGN_DELIVERY_FAILURE,
	TRIAGE_PEAK_PERIOD,
	TRIAGE_API_FAILURE,
	TRIAGE_WORKAROUND_AVAILABLE,
	TRIAGE_MULTI_CLIENT_IMPACT,
	TRIAGE_FLAG_COUNT
} TriageFlag;

extern const char *const triage_flag_names[TRIAGE_FLAG_COUNT];

typedef struct TriageRule
{
	int64		rule_id;
	char	   *name;
	char	   *alert_channel;	/* NULL: no escalation alert */
	char	   *category;		/* NULL: any */
	char	   *channel;		/* NULL: any */
	uint32		required_flags;
	uint32		excluded_flags;
	bool		has_keywords;
	Datum		keywords;		/* tsquery */
	int16		priority;
	int16		tier;			/* 0: the category's */
} TriageRule;

typedef struct TriageCategory
{
	char	   *category;
	int16		default_priority;
	int16		default_tier;
	char	   *required_skill;
	char	   *first_steps[2];	/* the first two diagnostic steps, or NULL */
} TriageCategory;

/* The initial-response template the acknowledgment is rendered from. */
typedef struct TriageTemplate
{
	char	   *subject;
	char	   *body;
} TriageTemplate;

/* What a ticket needs matched against: keywords are read only if a rule asks. */
typedef struct TriageTicket
{
	const char *category;
	const char *channel;
	uint32		flags;
	text	   *subject;
	text	   *description;
	Datum		document;		/* tsvector, computed on first use */
	bool		has_document;
} TriageTicket;

extern const TriageCategory *triage_rules_category(const char *category);

/* The first active rule the ticket matches, in position order, or NULL. */
extern const TriageRule *triage_rules_match(TriageTicket *ticket);

/* The active rule with this id, or NULL. */
extern const TriageRule *triage_rules_by_id(int64 rule_id);

/* NULL when support.templates has no initial_response row. */
extern const TriageTemplate *triage_rules_acknowledgment(void);

#endif
