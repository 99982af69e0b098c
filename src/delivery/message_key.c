/*
 * message_key.c — the idempotency key of an outbound message, which
 * receivers de-duplicate by (the Idempotency-Key header, the email's
 * Message-ID, the webhook's id): "bedrock-" and a UUIDv7 (RFC 9562), 48
 * bits of Unix milliseconds then 74 random bits. Unique across databases,
 * installs and time without any coordination, ordered by creation, and
 * stored with the message, so every retry sends the same key.
 */
#include "postgres.h"

#include "fmgr.h"
#include "port.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(new_message_key);
Datum
new_message_key(PG_FUNCTION_ARGS)
{
	uint8		uuid[16];
	/* milliseconds since 1970 */
	uint64		unix_ms = (uint64) (GetCurrentTimestamp() / 1000 +
									(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000);

	if (!pg_strong_random(uuid + 6, 10))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random message key"),
				 errhint("The server's source of random bytes failed; try again.")));
	for (int i = 0; i < 6; i++)
		uuid[i] = (uint8) (unix_ms >> (40 - 8 * i));
	uuid[6] = (uuid[6] & 0x0F) | 0x70;	/* version 7 */
	uuid[8] = (uuid[8] & 0x3F) | 0x80;	/* variant 10 */

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("bedrock-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
											  uuid[0], uuid[1], uuid[2], uuid[3], uuid[4], uuid[5],
											  uuid[6], uuid[7], uuid[8], uuid[9], uuid[10], uuid[11],
											  uuid[12], uuid[13], uuid[14], uuid[15])));
}
