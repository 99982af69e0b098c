/*
 * message_size.c — the size of an outbound message as the delivery worker
 * renders it: body, subject, target and template as stored, the payload as
 * the JSON text it becomes (a jsonb number of a few bytes can be 131,072
 * digits of text). The outbox bounds it (messages_are_at_most_1_mb), so no
 * one message can make a claim fail for the others, and the worker's claims
 * stop at a budget of it. One C call: a check constraint is set up again
 * for every statement, and each function in it is looked up and its
 * EXECUTE right checked each time (the sum written out in SQL cost a
 * single-ticket triage 68,000 instructions).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

/* Counting stops past this: a size over it is "at least". */
#define MESSAGE_SIZE_COUNTED_UP_TO (16 * 1024 * 1024)

/* The bytes of a JSON string once quoted and escaped as jsonb's text output escapes it. */
static int64
message_size_json_string(const char *string, int length)
{
	int64		size = 2;

	for (int i = 0; i < length; i++)
	{
		unsigned char c = (unsigned char) string[i];

		/* a string may be long: cancellable every 64 kB */
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
			size += 2;
		else if (c < 0x20)
			size += 6;			/* \u00XX */
		else
			size += 1;
	}
	return size;
}

/* The bytes of a jsonb value's text form (separators included), counted up to a point. */
static int64
message_size_jsonb(Jsonb *payload, int64 counted)
{
	JsonbIterator *iterator = JsonbIteratorInit(&payload->root);
	JsonbValue	value;
	JsonbIteratorToken token;

	while ((token = JsonbIteratorNext(&iterator, &value, false)) != WJB_DONE &&
		   counted <= MESSAGE_SIZE_COUNTED_UP_TO)
	{
		if (token == WJB_BEGIN_ARRAY || token == WJB_BEGIN_OBJECT || token == WJB_END_ARRAY || token == WJB_END_OBJECT)
		{
			counted += 2;		/* the bracket, and a separator after it */
			continue;
		}
		counted += 2;			/* ", " or ": " */
		switch (value.type)
		{
			case jbvString:
				counted += message_size_json_string(value.val.string.val, value.val.string.len);
				break;
			case jbvNumeric:
				{
					char	   *digits = DatumGetCString(DirectFunctionCall1(numeric_out,
																			 NumericGetDatum(value.val.numeric)));

					counted += strlen(digits);
					pfree(digits);
					break;
				}
			case jbvBool:
				counted += 5;
				break;
			default:
				counted += 4;	/* null */
				break;
		}
	}
	return counted;
}

PG_FUNCTION_INFO_V1(message_size);
Datum
message_size(PG_FUNCTION_ARGS)
{
	int64		size = 0;

	/* body, subject, target, template (text, as stored, uncompressed): any may be NULL here */
	for (int i = 0; i < 4; i++)
		if (!PG_ARGISNULL(i))
			size += (int64) toast_raw_datum_size(PG_GETARG_DATUM(i)) - VARHDRSZ;
	if (!PG_ARGISNULL(4))
	{
		Jsonb	   *payload = PG_GETARG_JSONB_P(4);

		size = message_size_jsonb(payload, size);
		PG_FREE_IF_COPY(payload, 4);
	}
	PG_RETURN_INT64(size);
}
