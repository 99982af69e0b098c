/*
 * webhook_signature.c — signing webhook deliveries so receivers (Jira
 * automation, the platform) can check they come from this desk and were
 * not altered: HMAC-SHA256 over "<timestamp>.<body>" with the endpoint's
 * secret, as Stripe and Slack sign theirs. The timestamp lets a receiver
 * refuse replays older than it accepts.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "delivery/webhook_signature.h"

char *
webhook_signature_hex(const char *secret, size_t secret_length,
					  const char *timestamp, const char *body, size_t body_length)
{
	pg_hmac_ctx *context = pg_hmac_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_LENGTH * 2 + 1);

	if (context == NULL)
		elog(ERROR, "out of memory for an HMAC context");
	if (pg_hmac_init(context, (const uint8 *) secret, secret_length) < 0 ||
		pg_hmac_update(context, (const uint8 *) timestamp, strlen(timestamp)) < 0 ||
		pg_hmac_update(context, (const uint8 *) ".", 1) < 0 ||
		pg_hmac_update(context, (const uint8 *) body, body_length) < 0 ||
		pg_hmac_final(context, digest, sizeof(digest)) < 0)
	{
		const char *reason = pg_hmac_error(context);

		pg_hmac_free(context);
		elog(ERROR, "could not compute the webhook signature: %s", reason);
	}
	pg_hmac_free(context);
	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return hex;
}

/*
 * support.webhook_signature(secret text, timestamp text, body text)
 * RETURNS text: what a receiver compares with X-Bedrock-Signature.
 */
PG_FUNCTION_INFO_V1(webhook_signature);
Datum
webhook_signature(PG_FUNCTION_ARGS)
{
	text	   *secret = PG_GETARG_TEXT_PP(0);
	char	   *timestamp = text_to_cstring(PG_GETARG_TEXT_PP(1));
	text	   *body = PG_GETARG_TEXT_PP(2);

	if (VARSIZE_ANY_EXHDR(secret) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a webhook signing secret must not be empty")));
	PG_RETURN_TEXT_P(cstring_to_text(webhook_signature_hex(VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret),
															timestamp, VARDATA_ANY(body),
															VARSIZE_ANY_EXHDR(body))));
}
