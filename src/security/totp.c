/*
 * totp.c — one-time passwords of RFC 6238 (TOTP), the second factor a super
 * user's key must carry before it may assume a client user.
 *
 * The code is HOTP (RFC 4226) over the number of steps since the epoch:
 * HMAC of the 8-byte big-endian counter, dynamic truncation, modulo
 * 10^digits. SHA-1 is what authenticator apps use; SHA-256 and SHA-512 are
 * here for the RFC's other test vectors.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/hmac.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "security/totp.h"

/* seconds between the Unix epoch and PostgreSQL's (2000-01-01) */
#define UNIX_TO_POSTGRES_SECONDS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

static const int64 powers_of_ten[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000
};

int64
totp_code(const uint8 *secret, size_t secret_length, int64 counter, int digits,
		  pg_cryptohash_type algorithm)
{
	pg_hmac_ctx *context = pg_hmac_create(algorithm);
	uint8		message[8];
	uint8		digest[64];
	size_t		digest_length = algorithm == PG_SHA1 ? 20 : algorithm == PG_SHA256 ? 32 : 64;
	int			offset;
	int64		binary;

	if (context == NULL)
		elog(ERROR, "out of memory for an HMAC context");
	for (int i = 7; i >= 0; i--)
	{
		message[i] = (uint8) (counter & 0xff);
		counter >>= 8;
	}
	if (pg_hmac_init(context, secret, secret_length) < 0 ||
		pg_hmac_update(context, message, sizeof(message)) < 0 ||
		pg_hmac_final(context, digest, digest_length) < 0)
	{
		const char *reason = pg_hmac_error(context);

		pg_hmac_free(context);
		elog(ERROR, "could not compute a one-time password: %s", reason);
	}
	pg_hmac_free(context);
	offset = digest[digest_length - 1] & 0x0f;
	binary = ((int64) (digest[offset] & 0x7f) << 24) | ((int64) digest[offset + 1] << 16) |
		((int64) digest[offset + 2] << 8) | (int64) digest[offset + 3];
	return binary % powers_of_ten[digits];
}

int64
totp_step_at(TimestampTz at, int step_seconds)
{
	int64		unix_seconds = at / USECS_PER_SEC + UNIX_TO_POSTGRES_SECONDS;

	if (at < 0 && at % USECS_PER_SEC != 0)
		unix_seconds--;			/* floor, not truncation, before 2000 */
	return unix_seconds / step_seconds;
}

static pg_cryptohash_type
totp_algorithm_named(const char *name)
{
	if (pg_strcasecmp(name, "sha1") == 0)
		return PG_SHA1;
	if (pg_strcasecmp(name, "sha256") == 0)
		return PG_SHA256;
	if (pg_strcasecmp(name, "sha512") == 0)
		return PG_SHA512;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown TOTP algorithm \"%s\"", name),
			 errhint("Use sha1 (authenticator apps), sha256 or sha512.")));
	return PG_SHA1;				/* not reached */
}

void
totp_check_secret(bytea *secret)
{
	if (VARSIZE_ANY_EXHDR(secret) < 10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a TOTP secret must be at least 10 bytes"),
				 errhint("RFC 4226 asks for 128 bits at least; support.enroll_totp() makes 160.")));
}

/*
 * support.totp(secret bytea, at timestamptz, digits int, algorithm text,
 * step_seconds int) RETURNS text: the code an authenticator shows at "at".
 */
PG_FUNCTION_INFO_V1(totp);
Datum
totp(PG_FUNCTION_ARGS)
{
	bytea	   *secret = PG_GETARG_BYTEA_PP(0);
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(1);
	int32		digits = PG_GETARG_INT32(2);
	pg_cryptohash_type algorithm = totp_algorithm_named(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	int32		step_seconds = PG_GETARG_INT32(4);

	totp_check_secret(secret);
	if (digits < 6 || digits > 9)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a TOTP code has 6 to 9 digits, not %d", digits)));
	if (step_seconds <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a TOTP time step must be positive, not %d s", step_seconds)));
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%0*lld", digits, (long long)
											  totp_code((uint8 *) VARDATA_ANY(secret),
														VARSIZE_ANY_EXHDR(secret),
														totp_step_at(at, step_seconds),
														digits, algorithm))));
}

/*
 * The time step whose 6- or 8-digit SHA-1 code is "code", searching the step
 * of "at" and one either side (a phone's clock drifts); -1 when none.
 * Every candidate is computed and compared whole, so the time taken does
 * not say how close a guess came.
 */
int64
totp_step_matching_code(bytea *secret, const char *code, TimestampTz at)
{
	size_t		digits = strlen(code);
	int64		wanted = 0;
	int64		current = totp_step_at(at, TOTP_STEP_SECONDS);
	int64		found = -1;

	if (digits != 6 && digits != 8)
		return -1;
	for (size_t i = 0; i < digits; i++)
	{
		if (code[i] < '0' || code[i] > '9')
			return -1;
		wanted = wanted * 10 + (code[i] - '0');
	}
	for (int64 step = current - 1; step <= current + 1; step++)
	{
		int64		candidate = totp_code((uint8 *) VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret),
										  step, (int) digits, PG_SHA1);

		if (candidate == wanted && found < 0)
			found = step;
	}
	return found;
}

/*
 * support.verify_totp(secret bytea, code text) RETURNS boolean: whether the
 * code is the secret's code now, give or take one 30-second step.
 */
PG_FUNCTION_INFO_V1(verify_totp);
Datum
verify_totp(PG_FUNCTION_ARGS)
{
	bytea	   *secret = PG_GETARG_BYTEA_PP(0);

	totp_check_secret(secret);
	PG_RETURN_BOOL(totp_step_matching_code(secret, text_to_cstring(PG_GETARG_TEXT_PP(1)),
										   GetCurrentTimestamp()) >= 0);
}

/*
 * support.totp_matching_step(secret bytea, code text, at timestamptz)
 * RETURNS bigint: the step the code belongs to (NULL: none), so a key's
 * issuer can refuse a code already used.
 */
PG_FUNCTION_INFO_V1(totp_matching_step);
Datum
totp_matching_step(PG_FUNCTION_ARGS)
{
	bytea	   *secret = PG_GETARG_BYTEA_PP(0);
	int64		step;

	totp_check_secret(secret);
	step = totp_step_matching_code(secret, text_to_cstring(PG_GETARG_TEXT_PP(1)), PG_GETARG_TIMESTAMPTZ(2));
	if (step < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(step);
}
