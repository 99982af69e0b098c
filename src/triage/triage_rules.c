/*
 * triage_rules.c — the support manager's priority rules and the category
 * routing table (and the acknowledgment template), loaded once per backend
 * and dropped when any of those tables changes (config_cache.c). Matching a ticket costs no query: flags are bit
 * tests, keywords a tsquery parsed at load time against the ticket's
 * tsvector, built once per ticket and only if a keyword rule is reached.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/value.h"
#include "nodes/pg_list.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"

#include "shared/config_cache.h"
#include "shared/owner_spi.h"
#include "tickets/priority.h"
#include "triage/triage_rules.h"

const char *const triage_flag_names[TRIAGE_FLAG_COUNT] = {
	"service_outage", "revenue_impact", "security_or_data_integrity",
	"campaign_delivery_failure", "peak_period", "api_failure",
	"workaround_available", "multi_client_impact"
};

static ConfigCache triage_cache = {
	.name = "bedrock_support triage rules",
	.tables = {"triage_rules", "categories", "templates"},
};
static Oid	triage_text_search_config = InvalidOid;
static TriageRule *triage_rules = NULL;
static int	triage_rule_count = 0;
static TriageCategory *triage_categories = NULL;
static int	triage_category_count = 0;
static TriageTemplate triage_acknowledgment;
static bool triage_has_acknowledgment = false;

static char *
triage_rules_copy_text(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	char	   *value = SPI_getvalue(tuple, tupdesc, column);

	return value == NULL ? NULL : MemoryContextStrdup(triage_cache.context, value);
}

static uint32
triage_rules_flag_bits(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	bool		is_null;
	Datum		array = SPI_getbinval(tuple, tupdesc, column, &is_null);
	Datum	   *elements;
	bool	   *nulls;
	int			count;
	uint32		bits = 0;

	if (is_null)
		return 0;
	deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT,
					  &elements, &nulls, &count);
	for (int i = 0; i < count; i++)
	{
		char	   *name;

		if (nulls[i])
			continue;
		name = TextDatumGetCString(elements[i]);
		for (int flag = 0; flag < TRIAGE_FLAG_COUNT; flag++)
			if (strcmp(name, triage_flag_names[flag]) == 0)
				bits |= 1u << flag;
	}
	return bits;
}

/* The result columns of the rules' and the categories' queries below, in their order. */
enum
{
	Anum_rule_rule_id = 1,
	Anum_rule_category,
	Anum_rule_channel,
	Anum_rule_required_flags,
	Anum_rule_excluded_flags,
	Anum_rule_keywords,
	Anum_rule_priority,
	Anum_rule_escalate_to_tier,
	Anum_rule_name,
	Anum_rule_alert_channel,
};

enum
{
	Anum_category_category = 1,
	Anum_category_default_priority,
	Anum_category_default_tier,
	Anum_category_required_skill,
	Anum_category_first_step,
	Anum_category_second_step,
};

/*
 * The text search configuration every keyword matcher uses: pg_catalog's
 * english, qualified, since a caller's schema on the search_path could hold
 * an "english" of its own.
 */
static Oid
keyword_text_search_config(void)
{
	return get_ts_config_oid(list_make2(makeString("pg_catalog"), makeString("english")), false);
}

static void
triage_rules_load(void *unused)
{
	MemoryContext old_context;
	bool		is_null;

	triage_text_search_config = keyword_text_search_config();

	if (SPI_execute("SELECT r.rule_id, r.category, r.channel, r.required_flags, r.excluded_flags,"
					" CASE WHEN r.keywords IS NOT NULL"
					"      THEN websearch_to_tsquery('english'::regconfig, r.keywords) END,"
					" r.priority::text, r.escalate_to_tier, r.name, r.alert_channel"
					" FROM support.triage_rules r WHERE r.active ORDER BY r.position",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read support.triage_rules");
	old_context = MemoryContextSwitchTo(triage_cache.context);
	triage_rule_count = (int) SPI_processed;
	triage_rules = palloc0(Max(triage_rule_count, 1) * sizeof(TriageRule));
	MemoryContextSwitchTo(old_context);
	for (int i = 0; i < triage_rule_count; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		TriageRule *rule = &triage_rules[i];
		Datum		keywords;
		Datum		tier;

		rule->rule_id = DatumGetInt64(SPI_getbinval(tuple, tupdesc, Anum_rule_rule_id, &is_null));
		rule->category = triage_rules_copy_text(tuple, tupdesc, Anum_rule_category);
		rule->channel = triage_rules_copy_text(tuple, tupdesc, Anum_rule_channel);
		rule->required_flags = triage_rules_flag_bits(tuple, tupdesc, Anum_rule_required_flags);
		rule->excluded_flags = triage_rules_flag_bits(tuple, tupdesc, Anum_rule_excluded_flags);
		keywords = SPI_getbinval(tuple, tupdesc, Anum_rule_keywords, &is_null);
		if (!is_null)
		{
			old_context = MemoryContextSwitchTo(triage_cache.context);
			rule->keywords = datumCopy(keywords, false, -1);
			rule->has_keywords = true;
			MemoryContextSwitchTo(old_context);
		}
		if (!priority_parse(SPI_getvalue(tuple, tupdesc, Anum_rule_priority), &rule->priority))
			elog(ERROR, "triage rule %lld has no valid priority", (long long) rule->rule_id);
		tier = SPI_getbinval(tuple, tupdesc, Anum_rule_escalate_to_tier, &is_null);
		rule->tier = is_null ? 0 : DatumGetInt16(tier);
		rule->name = triage_rules_copy_text(tuple, tupdesc, Anum_rule_name);
		rule->alert_channel = triage_rules_copy_text(tuple, tupdesc, Anum_rule_alert_channel);
	}

	if (SPI_execute("SELECT c.category, c.default_priority::text, c.default_tier, c.required_skill,"
					" c.diagnostic_steps[1], c.diagnostic_steps[2]"
					" FROM support.categories c", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read support.categories");
	old_context = MemoryContextSwitchTo(triage_cache.context);
	triage_category_count = (int) SPI_processed;
	triage_categories = palloc0(Max(triage_category_count, 1) * sizeof(TriageCategory));
	MemoryContextSwitchTo(old_context);
	for (int i = 0; i < triage_category_count; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	tupdesc = SPI_tuptable->tupdesc;
		TriageCategory *category = &triage_categories[i];

		category->category = triage_rules_copy_text(tuple, tupdesc, Anum_category_category);
		if (!priority_parse(SPI_getvalue(tuple, tupdesc, Anum_category_default_priority), &category->default_priority))
			elog(ERROR, "category %s has no valid priority", category->category);
		category->default_tier = DatumGetInt16(SPI_getbinval(tuple, tupdesc, Anum_category_default_tier, &is_null));
		category->required_skill = triage_rules_copy_text(tuple, tupdesc, Anum_category_required_skill);
		category->first_steps[0] = triage_rules_copy_text(tuple, tupdesc, Anum_category_first_step);
		category->first_steps[1] = triage_rules_copy_text(tuple, tupdesc, Anum_category_second_step);
	}

	if (SPI_execute("SELECT t.subject, t.body FROM support.templates t"
					" WHERE t.template OPERATOR(pg_catalog.=) 'initial_response'", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read support.templates");
	triage_has_acknowledgment = SPI_processed == 1;
	if (triage_has_acknowledgment)
	{
		triage_acknowledgment.subject = triage_rules_copy_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		triage_acknowledgment.body = triage_rules_copy_text(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	}
}

static void
triage_rules_ensure(void)
{
	uint64		generation;

	if (config_cache_is_current(&triage_cache))
		return;
	generation = config_cache_reload(&triage_cache);
	triage_rules = NULL;
	triage_rule_count = 0;
	triage_categories = NULL;
	triage_category_count = 0;
	triage_has_acknowledgment = false;
	owner_spi_run(triage_cache.owner, triage_rules_load, NULL);
	config_cache_loaded(&triage_cache, generation);
}

const TriageCategory *
triage_rules_category(const char *category)
{
	triage_rules_ensure();
	for (int i = 0; i < triage_category_count; i++)
		if (strcmp(triage_categories[i].category, category) == 0)
			return &triage_categories[i];
	return NULL;
}

/*
 * What every keyword matcher reads of a text (triage's rules here, the
 * dissatisfaction rules through support.keyword_document): its first
 * KEYWORD_MATCHED_CHARACTERS as an English tsvector, which then stays well
 * inside a tsvector's 1 MB (a pasted 4 MB log is still a ticket, classified
 * by how it begins).
 */
#define KEYWORD_MATCHED_CHARACTERS 100000

static Datum
keyword_document_of(Oid config, Datum text)
{
	int			nest_level = NewGUCNestLevel();
	Datum		document;

	/* a client's long word is not worth a notice to the client ("word is too long to be indexed") */
	(void) set_config_option("client_min_messages", "warning", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	document = DirectFunctionCall2(to_tsvector_byid, ObjectIdGetDatum(config),
								   DirectFunctionCall3(text_substr, text, Int32GetDatum(1),
													   Int32GetDatum(KEYWORD_MATCHED_CHARACTERS)));
	AtEOXact_GUC(true, nest_level);
	return document;
}

/* support.keyword_document(message text) RETURNS tsvector: what a keyword rule is matched against */
PG_FUNCTION_INFO_V1(keyword_document);
Datum
keyword_document(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(keyword_document_of(keyword_text_search_config(), PointerGetDatum(PG_GETARG_TEXT_PP(0))));
}

static bool
triage_rules_keywords_match(TriageTicket *ticket, const TriageRule *rule)
{
	if (!ticket->has_document)
	{
		text	   *both = DatumGetTextPP(DirectFunctionCall2(textcat,
															  PointerGetDatum(ticket->subject),
															  DirectFunctionCall2(textcat,
																				  CStringGetTextDatum(" "),
																				  PointerGetDatum(ticket->description))));

		ticket->document = keyword_document_of(triage_text_search_config, PointerGetDatum(both));
		ticket->has_document = true;
	}
	return DatumGetBool(DirectFunctionCall2(ts_match_vq, ticket->document, rule->keywords));
}

const TriageRule *
triage_rules_match(TriageTicket *ticket)
{
	triage_rules_ensure();
	for (int i = 0; i < triage_rule_count; i++)
	{
		const TriageRule *rule = &triage_rules[i];

		if (rule->category != NULL && strcmp(rule->category, ticket->category) != 0)
			continue;
		if (rule->channel != NULL && strcmp(rule->channel, ticket->channel) != 0)
			continue;
		if ((ticket->flags & rule->required_flags) != rule->required_flags)
			continue;
		if ((ticket->flags & rule->excluded_flags) != 0)
			continue;
		if (rule->has_keywords && !triage_rules_keywords_match(ticket, rule))
			continue;
		return rule;
	}
	return NULL;
}

const TriageRule *
triage_rules_by_id(int64 rule_id)
{
	triage_rules_ensure();
	for (int i = 0; i < triage_rule_count; i++)
		if (triage_rules[i].rule_id == rule_id)
			return &triage_rules[i];
	return NULL;
}

const TriageTemplate *
triage_rules_acknowledgment(void)
{
	triage_rules_ensure();
	return triage_has_acknowledgment ? &triage_acknowledgment : NULL;
}
