/*
 * webhook_signature.h — the HMAC-SHA256 signature of a webhook delivery,
 * over "<timestamp>.<body>" with the endpoint's secret, in hex.
 */
#ifndef BEDROCK_WEBHOOK_SIGNATURE_H
#define BEDROCK_WEBHOOK_SIGNATURE_H

#include "postgres.h"

/* palloc'd lowercase hex; an error if the HMAC cannot be computed */
extern char *webhook_signature_hex(const char *secret, size_t secret_length,
								   const char *timestamp, const char *body, size_t body_length);

#endif
