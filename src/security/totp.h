/*
 * totp.h — RFC 6238 time-based one-time passwords.
 */
#ifndef BEDROCK_TOTP_H
#define BEDROCK_TOTP_H

#include "postgres.h"

#include "common/cryptohash.h"
#include "datatype/timestamp.h"

#define TOTP_STEP_SECONDS 30

/* HOTP value (RFC 4226) of counter, digits long (6-9) */
extern int64 totp_code(const uint8 *secret, size_t secret_length, int64 counter, int digits,
					   pg_cryptohash_type algorithm);

/* number of step_seconds steps between the Unix epoch and at */
extern int64 totp_step_at(TimestampTz at, int step_seconds);

/* ERROR (22023) unless secret is long enough to be one */
extern void totp_check_secret(bytea *secret);

/* the step within one of at whose 6- or 8-digit SHA-1 code is code; -1: none */
extern int64 totp_step_matching_code(bytea *secret, const char *code, TimestampTz at);

#endif
