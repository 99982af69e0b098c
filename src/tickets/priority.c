/*
 * priority.c — the support.priority base type.
 *
 * The handbook classifies every ticket as P1 (critical) to P4 (low). A base
 * type rather than an enum or a smallint lets input accept every spelling a
 * person or an integration uses (P2, 2, high, HIGH) while output is always
 * the canonical P1..P4, and it makes ORDER BY priority put the most urgent
 * ticket first.
 */
#include "postgres.h"

#include <ctype.h>

#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "tickets/priority.h"

#define DatumGetPriority(d)		DatumGetInt16(d)
#define PriorityGetDatum(p)		Int16GetDatum(p)
#define PG_GETARG_PRIORITY(n)	DatumGetPriority(PG_GETARG_DATUM(n))
#define PG_RETURN_PRIORITY(p)	return PriorityGetDatum(p)

static const char *const priority_labels[] = {"critical", "high", "medium", "low"};

static inline bool
priority_is_valid(int64 level)
{
	return level >= PRIORITY_MOST_URGENT && level <= PRIORITY_LEAST_URGENT;
}

/*
 * Accepts, case-insensitively and with surrounding white space:
 * P1..P4, 1..4, critical, high, medium, low.
 */
bool
priority_parse(const char *input, int16 *result)
{
	const char *start = input;
	const char *end;
	size_t		length;
	int			level;

	while (*start && isspace((unsigned char) *start))
		start++;
	end = start + strlen(start);
	while (end > start && isspace((unsigned char) end[-1]))
		end--;
	length = end - start;

	if (length == 2 && (start[0] == 'p' || start[0] == 'P') &&
		start[1] >= '1' && start[1] <= '4')
	{
		*result = start[1] - '0';
		return true;
	}
	if (length == 1 && start[0] >= '1' && start[0] <= '4')
	{
		*result = start[0] - '0';
		return true;
	}
	for (level = PRIORITY_MOST_URGENT; level <= PRIORITY_LEAST_URGENT; level++)
	{
		const char *label = priority_labels[level - 1];

		if (strlen(label) == length && pg_strncasecmp(start, label, length) == 0)
		{
			*result = level;
			return true;
		}
	}
	return false;
}

PG_FUNCTION_INFO_V1(priority_in);
Datum
priority_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	int16		level;

	if (!priority_parse(input, &level))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type priority: \"%s\"", input),
				 errhint("Use P1, P2, P3 or P4, the numbers 1 to 4, or critical, high, medium or low.")));
	PG_RETURN_PRIORITY(level);
}

PG_FUNCTION_INFO_V1(priority_out);
Datum
priority_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(psprintf("P%d", PG_GETARG_PRIORITY(0)));
}

PG_FUNCTION_INFO_V1(priority_recv);
Datum
priority_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buffer = (StringInfo) PG_GETARG_POINTER(0);
	int16		level = pq_getmsgint(buffer, sizeof(int16));

	if (!priority_is_valid(level))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary value for type priority: %d", level),
				 errdetail("A priority is sent as a 16-bit integer from 1 to 4.")));
	PG_RETURN_PRIORITY(level);
}

PG_FUNCTION_INFO_V1(priority_send);
Datum
priority_send(PG_FUNCTION_ARGS)
{
	StringInfoData buffer;

	pq_begintypsend(&buffer);
	pq_sendint16(&buffer, PG_GETARG_PRIORITY(0));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buffer));
}

/* The number 1..4, for arithmetic and for BI tools that want an integer. */
PG_FUNCTION_INFO_V1(priority_to_int4);
Datum
priority_to_int4(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(PG_GETARG_PRIORITY(0));
}

PG_FUNCTION_INFO_V1(int4_to_priority);
Datum
int4_to_priority(PG_FUNCTION_ARGS)
{
	int32		level = PG_GETARG_INT32(0);

	if (!priority_is_valid(level))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("priority %d is out of range", level),
				 errhint("A priority is a number from 1 (critical) to 4 (low).")));
	PG_RETURN_PRIORITY((int16) level);
}

/* The handbook's word for the level: Critical, High, Medium, Low. */
const char *
priority_display_label(int16 level)
{
	static const char *const display_labels[] = {"Critical", "High", "Medium", "Low"};

	if (level < PRIORITY_MOST_URGENT || level > PRIORITY_LEAST_URGENT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("priority %d is out of range", level),
				 errhint("A priority is a number from 1 (critical) to 4 (low).")));
	return display_labels[level - 1];
}

PG_FUNCTION_INFO_V1(priority_label);
Datum
priority_label(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(priority_display_label(PG_GETARG_PRIORITY(0))));
}

/* Lower numbers are more urgent and sort first. */
static inline int
priority_compare(int16 left, int16 right)
{
	return (left > right) - (left < right);
}

#define PRIORITY_COMPARISON(name, test) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			order = priority_compare(PG_GETARG_PRIORITY(0), PG_GETARG_PRIORITY(1)); \
	PG_RETURN_BOOL(test); \
}

PRIORITY_COMPARISON(priority_lt, order < 0)
PRIORITY_COMPARISON(priority_le, order <= 0)
PRIORITY_COMPARISON(priority_eq, order == 0)
PRIORITY_COMPARISON(priority_ne, order != 0)
PRIORITY_COMPARISON(priority_ge, order >= 0)
PRIORITY_COMPARISON(priority_gt, order > 0)

PG_FUNCTION_INFO_V1(priority_cmp);
Datum
priority_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(priority_compare(PG_GETARG_PRIORITY(0), PG_GETARG_PRIORITY(1)));
}

PG_FUNCTION_INFO_V1(priority_hash);
Datum
priority_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) PG_GETARG_PRIORITY(0));
}

PG_FUNCTION_INFO_V1(priority_hash_extended);
Datum
priority_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) PG_GETARG_PRIORITY(0), PG_GETARG_INT64(1));
}

/* min() and max() aggregates: the most and least urgent of a set. */
PG_FUNCTION_INFO_V1(priority_more_urgent);
Datum
priority_more_urgent(PG_FUNCTION_ARGS)
{
	PG_RETURN_PRIORITY(Min(PG_GETARG_PRIORITY(0), PG_GETARG_PRIORITY(1)));
}

PG_FUNCTION_INFO_V1(priority_less_urgent);
Datum
priority_less_urgent(PG_FUNCTION_ARGS)
{
	PG_RETURN_PRIORITY(Max(PG_GETARG_PRIORITY(0), PG_GETARG_PRIORITY(1)));
}
