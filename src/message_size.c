/*
 * message_size.c — the size of an outbound message as the delivery worker
 * reads it: body, subject, target, template and payload, uncompressed.
 * The outbox bounds it (messages_are_at_most_1_mb), so no one message can
 * make a claim fail for the others. One C call: a check constraint is set
 * up again for every statement, and each function in it is looked up and
 * its EXECUTE right checked each time (the sum written out in SQL cost a
 * single-ticket triage 65,000 instructions).
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"

PG_FUNCTION_INFO_V1(message_size);
Datum
message_size(PG_FUNCTION_ARGS)
{
	int64		size = 0;

	/* body, subject, target, template (text), payload (jsonb): any may be NULL here */
	for (int i = 0; i < 5; i++)
		if (!PG_ARGISNULL(i))
			size += (int64) toast_raw_datum_size(PG_GETARG_DATUM(i)) - VARHDRSZ;
	PG_RETURN_INT64(size);
}
