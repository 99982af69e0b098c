/*
 * auth.c — keys: issuing their random values, hashing them, and resolving
 * the key a transaction sets (SET LOCAL support.auth_key) into a user.
 *
 * Row-level security policies call support.current_user_id() and its
 * siblings, so the lookup must cost one index probe per transaction, not
 * one per row: the identity is cached until the transaction or the key
 * changes. Nothing about it lives in the session beyond that, which is
 * what makes keys safe behind pgbouncer's transaction pooling.
 *
 * A key that is set but unusable is an error, never a silent "nobody":
 * the client learns its key is wrong instead of seeing an empty desk.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "security/auth.h"
#include "shared/owner_spi.h"
#include "security/session_registry.h"
#include "security/transaction_settings.h"
#include "shared/trigger_guard.h"

#define KEY_PREFIX "bsk_"
#define KEY_RANDOM_BYTES 32		/* 256 bits */
/* an assumption's last use is written at most this often */
#define TOUCH_INTERVAL_USECS (60 * USECS_PER_SEC)

/*
 * support.auth_key itself, to read how its current value was set. A key
 * counts only when SET LOCAL or set_config(..., true) set it in the running
 * transaction: a plain SET would outlive the transaction (behind a
 * transaction-pooling pooler, into another client's), a function's SET
 * clause or a savepoint's rollback can bring back a value an earlier
 * transaction left, and a role's or connection's default was never
 * presented by this transaction at all. Only a local value sits on top of
 * the setting's stack with state GUC_LOCAL or GUC_SET_LOCAL.
 */
static struct config_generic *auth_key_setting = NULL;

/* support.actor_id: the user (agent or client) this transaction acts for; 0 = none */
static int	auth_actor_id = 0;
static TransactionSetting auth_actor_id_setting = TRANSACTION_SETTING("support.actor_id");

/* support.auth_key: the key that says who this transaction acts for; empty = none */
static char *auth_key = NULL;

/* support.require_key: a statement of this role without a key fails */
static bool auth_require_key = false;

/* key lookups this backend has made: the cache's effect, for tests and monitoring */
static int64 lookups = 0;

static Identity cached_identity;
static bool cache_valid = false;
static LocalTransactionId cached_transaction = InvalidLocalTransactionId;
static char *cached_key = NULL;

static void
auth_key_digest(const char *key, uint8 *digest)
{
	pg_cryptohash_ctx *context = pg_cryptohash_create(PG_SHA256);

	if (context == NULL)
		elog(ERROR, "out of memory for a hash context");
	if (pg_cryptohash_init(context) < 0 ||
		pg_cryptohash_update(context, (const uint8 *) key, strlen(key)) < 0 ||
		pg_cryptohash_final(context, digest, PG_SHA256_DIGEST_LENGTH) < 0)
	{
		const char *reason = pg_cryptohash_error(context);

		pg_cryptohash_free(context);
		elog(ERROR, "could not hash a key: %s", reason);
	}
	pg_cryptohash_free(context);
}

static bytea *
auth_key_hash_bytea(const char *key)
{
	bytea	   *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

	SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
	auth_key_digest(key, (uint8 *) VARDATA(result));
	return result;
}

/* support.new_auth_key() RETURNS text: "bsk_" and 64 hex digits of pg_strong_random */
PG_FUNCTION_INFO_V1(new_auth_key);
Datum
new_auth_key(PG_FUNCTION_ARGS)
{
	uint8		random_bytes[KEY_RANDOM_BYTES];
	char	   *key = palloc(strlen(KEY_PREFIX) + 2 * KEY_RANDOM_BYTES + 1);

	if (!pg_strong_random(random_bytes, sizeof(random_bytes)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random key")));
	strcpy(key, KEY_PREFIX);
	for (int i = 0; i < KEY_RANDOM_BYTES; i++)
		snprintf(key + strlen(KEY_PREFIX) + 2 * i, 3, "%02x", random_bytes[i]);
	explicit_bzero(random_bytes, sizeof(random_bytes));
	PG_RETURN_TEXT_P(cstring_to_text(key));
}

/* support.auth_key_hash(key text) RETURNS bytea: SHA-256, the only form a key is stored in */
PG_FUNCTION_INFO_V1(auth_key_hash);
Datum
auth_key_hash(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(auth_key_hash_bytea(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

static void
auth_refuse_key(const char *message, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("support.auth_key %s", message),
			 detail ? errdetail_internal("%s", detail) : 0,
			 errhint("Ask the login service for a new key (support.issue_key), or release and assume again.")));
}

typedef struct KeyLookup
{
	const char *key;
	Identity	identity;
} KeyLookup;

/* The key lookup's result columns, in its SELECT list's order (SPI numbers from 1). */
enum
{
	Anum_lookup_key_id = 1,
	Anum_lookup_user_id,
	Anum_lookup_account_id,
	Anum_lookup_expires_at,
	Anum_lookup_revoked_at,
	Anum_lookup_revoke_reason,
	Anum_lookup_idle_timeout,
	Anum_lookup_last_used_at,
	Anum_lookup_assumed_by,
	Anum_lookup_session_slot,
	Anum_lookup_session_nonce,
	Anum_lookup_has_second_factor,
	Anum_lookup_user_role,
	Anum_lookup_user_active,
	Anum_lookup_agent_tier,
	Anum_lookup_agent_active,
	Anum_lookup_agent_is_manager,
	Anum_lookup_agent_is_super_user,
	Anum_lookup_parent_ended,
	Anum_lookup_assumer_not_super_user,
	Natts_lookup = Anum_lookup_assumer_not_super_user
};

static bool
auth_lookup_column_null(int column)
{
	bool		isnull;

	SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, &isnull);
	return isnull;
}

static Datum
auth_lookup_column_value(int column)
{
	bool		isnull;

	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, &isnull);
}

static void
auth_look_up_key(void *argument)
{
	static SPIPlanPtr lookup_plan = NULL;
	KeyLookup  *lookup = argument;
	Identity   *identity = &lookup->identity;
	Datum		hash = PointerGetDatum(auth_key_hash_bytea(lookup->key));
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	if (lookup_plan == NULL)
	{
		Oid			types[1] = {BYTEAOID};
		SPIPlanPtr	plan = SPI_prepare(
									   "SELECT k.key_id, k.user_id, k.account_id, k.expires_at, k.revoked_at,"
									   "       k.revoke_reason, k.idle_timeout, k.last_used_at, k.assumed_by,"
									   "       k.session_slot, k.session_nonce, k.second_factor_at IS NOT NULL,"
									   "       u.role::text, u.active, g.tier, g.active, g.is_support_manager,"
									   "       g.is_super_user,"
									   "       parent.revoked_at IS NOT NULL OR parent.expires_at OPERATOR(pg_catalog.<=) pg_catalog.now(),"
									   "       k.assumed_by IS NOT NULL AND NOT COALESCE(su.active AND su.is_super_user, false)"
									   "  FROM support.auth_keys k"
									   "  LEFT JOIN support.account_users u"
									   "         ON u.account_id OPERATOR(pg_catalog.=) k.account_id"
									   "        AND u.user_id OPERATOR(pg_catalog.=) k.user_id"
									   "  LEFT JOIN support.agents g"
									   "         ON k.account_id IS NULL AND g.agent_id OPERATOR(pg_catalog.=) k.user_id"
									   "  LEFT JOIN support.auth_keys parent"
									   "         ON parent.key_id OPERATOR(pg_catalog.=) k.parent_key_id"
									   "  LEFT JOIN support.agents su"
									   "         ON su.agent_id OPERATOR(pg_catalog.=) k.assumed_by"
									   " WHERE k.key_hash OPERATOR(pg_catalog.=) $1",
									   1, types);

		if (plan == NULL)
			elog(ERROR, "could not prepare the key lookup: %s", SPI_result_code_string(SPI_result));
		SPI_keepplan(plan);
		lookup_plan = plan;
	}
	if (SPI_execute_plan(lookup_plan, &hash, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "the key lookup failed");
	if (SPI_processed == 0)
		auth_refuse_key("is not a valid key", NULL);
	Assert(SPI_tuptable->tupdesc->natts == Natts_lookup);

	if (!auth_lookup_column_null(Anum_lookup_revoked_at))
		auth_refuse_key("was released",
						auth_lookup_column_null(Anum_lookup_revoke_reason) ? NULL
						: psprintf("Reason: %s.", TextDatumGetCString(auth_lookup_column_value(Anum_lookup_revoke_reason))));
	if (now >= DatumGetTimestampTz(auth_lookup_column_value(Anum_lookup_expires_at)))
		auth_refuse_key("has expired", NULL);
	if (!auth_lookup_column_null(Anum_lookup_idle_timeout))
	{
		Interval   *idle = DatumGetIntervalP(auth_lookup_column_value(Anum_lookup_idle_timeout));
		TimestampTz last_used = DatumGetTimestampTz(auth_lookup_column_value(Anum_lookup_last_used_at));
		TimestampTz idle_until = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
																		 TimestampTzGetDatum(last_used),
																		 IntervalPGetDatum(idle)));

		if (now >= idle_until)
			auth_refuse_key("has expired after a period without use", NULL);
	}
	/*
	 * An assumption lives with the super user's own login key, not with a
	 * backend: a pool may close the connection that assumed it at any time.
	 * It ends when that key does, and the moment its super user is no
	 * longer one.
	 */
	if (DatumGetBool(auth_lookup_column_value(Anum_lookup_parent_ended)))
		auth_refuse_key("ended with the key that assumed it", NULL);
	if (DatumGetBool(auth_lookup_column_value(Anum_lookup_assumer_not_super_user)))
		auth_refuse_key("ended: the super user who assumed it is no longer an active super user", NULL);

	memset(identity, 0, sizeof(Identity));
	identity->key_id = DatumGetInt64(auth_lookup_column_value(Anum_lookup_key_id));
	identity->user_id = DatumGetInt64(auth_lookup_column_value(Anum_lookup_user_id));
	identity->second_factor = DatumGetBool(auth_lookup_column_value(Anum_lookup_has_second_factor));
	if (!auth_lookup_column_null(Anum_lookup_assumed_by))
		identity->assumed_by = DatumGetInt64(auth_lookup_column_value(Anum_lookup_assumed_by));
	if (!auth_lookup_column_null(Anum_lookup_account_id))
	{
		identity->account_id = DatumGetInt64(auth_lookup_column_value(Anum_lookup_account_id));
		if (auth_lookup_column_null(Anum_lookup_user_active) || !DatumGetBool(auth_lookup_column_value(Anum_lookup_user_active)))
			auth_refuse_key("belongs to a user who is no longer active", NULL);
		strlcpy(identity->role, TextDatumGetCString(auth_lookup_column_value(Anum_lookup_user_role)), sizeof(identity->role));
	}
	else
	{
		if (auth_lookup_column_null(Anum_lookup_agent_active) || !DatumGetBool(auth_lookup_column_value(Anum_lookup_agent_active)))
			auth_refuse_key("belongs to a user who is no longer active", NULL);
		identity->agent_tier = DatumGetInt16(auth_lookup_column_value(Anum_lookup_agent_tier));
		identity->is_manager = DatumGetBool(auth_lookup_column_value(Anum_lookup_agent_is_manager));
		identity->is_super_user = DatumGetBool(auth_lookup_column_value(Anum_lookup_agent_is_super_user));
		strlcpy(identity->role, identity->is_manager ? "support_manager" :
				identity->is_super_user ? "super_user" : "agent", sizeof(identity->role));
	}

	/*
	 * Idle expiry needs the last use; write it at most once a minute, never
	 * waiting for a row another transaction holds, and not where nothing can
	 * be written (a standby, a read-only transaction, a parallel worker).
	 */
	if (!auth_lookup_column_null(Anum_lookup_idle_timeout) && !RecoveryInProgress() && !XactReadOnly && !IsInParallelMode() &&
		now - DatumGetTimestampTz(auth_lookup_column_value(Anum_lookup_last_used_at)) >= TOUCH_INTERVAL_USECS)
	{
		Datum		key_id = Int64GetDatum(identity->key_id);
		Oid			types[1] = {INT8OID};

		if (SPI_execute_with_args("UPDATE support.auth_keys k SET last_used_at = pg_catalog.now()"
								  " WHERE k.key_id OPERATOR(pg_catalog.=)"
								  "       (SELECT l.key_id FROM support.auth_keys l"
								  "         WHERE l.key_id OPERATOR(pg_catalog.=) $1"
								  "           FOR UPDATE SKIP LOCKED)",
								  1, types, &key_id, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not record the key's use");
	}
}

/* after support.auth_key is defined: finds the setting, to read how it was set */
static void
auth_key_setting_found(void)
{
	struct config_generic **settings = get_guc_variables();
	int			count = GetNumConfigOptions();

	for (int i = 0; i < count; i++)
		if (strcmp(settings[i]->name, "support.auth_key") == 0)
			auth_key_setting = settings[i];
	if (auth_key_setting == NULL)
		elog(ERROR, "support.auth_key is not defined");
}

static bool
auth_key_set_locally(void)
{
	GucStack   *top = auth_key_setting->stack;

	return top != NULL && (top->state == GUC_LOCAL || top->state == GUC_SET_LOCAL);
}

/*
 * SHOW, current_setting() and pg_settings: only a superuser reads a key
 * back; anyone else learns whether one is set.
 */
static const char *
auth_key_show(void)
{
	if (auth_key == NULL || auth_key[0] == '\0')
		return "";
	/* the outer role: inside a superuser-owned SECURITY DEFINER function, still the caller */
	return superuser_arg(GetOuterUserId()) ? auth_key : "(hidden)";
}

/*
 * A key comes from a SET in the session, never from a role's or database's
 * default, the connection's options, the configuration file or a stored
 * function's SET clause (checked as PGC_S_TEST): SET LOCAL ... TO DEFAULT
 * would otherwise present a key nobody set in the transaction.
 */
static bool
auth_key_check(char **new_value, void **extra, GucSource source)
{
	if (*new_value == NULL || (*new_value)[0] == '\0' || source == PGC_S_SESSION)
		return true;
	GUC_check_errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION);
	GUC_check_errmsg("support.auth_key cannot have a default");
	GUC_check_errhint("Set it in each transaction with set_config('support.auth_key', $1, true).");
	return false;
}

void
auth_init_settings(void)
{
	DefineCustomIntVariable("support.actor_id",
							"User id of the agent or client this transaction acts for.",
							"Recorded as the actor of ticket events the triggers write. "
							"The workflow functions set it for the statement they run.",
							&auth_actor_id,
							0, 0, PG_INT32_MAX,
							PGC_USERSET, 0,
							transaction_setting_check_int, NULL, NULL);
	DefineCustomStringVariable("support.auth_key",
							   "Key of the user this transaction acts for, from support.issue_key() or support.assume_user_role().",
							   "Set it with SET LOCAL (or set_config(..., true)) in each transaction; "
							   "row-level security shows and lets change only what that user may.",
							   &auth_key,
							   "",
							   PGC_USERSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE,
							   auth_key_check, NULL, auth_key_show);
	auth_key_setting_found();
	DefineCustomBoolVariable("support.require_key",
							 "Refuse every statement of this role that reads or writes the desk without a key.",
							 "Without it, a statement without support.auth_key sees nothing and changes nothing. "
							 "Set it for an application's role (ALTER ROLE app SET support.require_key = on) to "
							 "have a forgotten key fail loudly (28000). Superusers (the workers, a DBA) are exempt.",
							 &auth_require_key,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
}

const Identity *
auth_current_identity(void)
{
	const char *key = auth_key;
	KeyLookup	lookup;
	static Oid	keys_owner = InvalidOid;

	if (key == NULL || key[0] == '\0')
	{
		/* the worker and a DBA's session are superusers: exempt */
		if (auth_require_key && !IsParallelWorker() && !superuser_arg(GetOuterUserId()))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("support.auth_key is required for role \"%s\"", GetUserNameFromId(GetOuterUserId(), false)),
					 errdetail("support.require_key is on: a statement without a key fails instead of seeing nothing."),
					 errhint("Set it in every transaction with set_config('support.auth_key', $1, true) and the key as a bound parameter.")));
		return NULL;
	}

	/* a parallel worker restores the leader's settings, which checked this */
	if (!IsParallelWorker() && !auth_key_set_locally())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("support.auth_key was not set by SET LOCAL in this transaction"),
				 errdetail("A key is good only for the transaction that sets it locally: a plain SET, a "
						   "function's SET clause or a role's default would outlive it, and behind a "
						   "transaction-pooling connection pooler the next transaction may be another client's."),
				 errhint("Set it in every transaction with set_config('support.auth_key', $1, true) and the key "
						 "as a bound parameter, or SET LOCAL support.auth_key.")));
	if (cache_valid && cached_transaction == MyProc->lxid && strcmp(cached_key, key) == 0)
		return &cached_identity;

	cache_valid = false;
	lookup.key = key;
	if (!OidIsValid(keys_owner))
		keys_owner = owner_spi_relation_owner(owner_spi_support_table("auth_keys"));
	owner_spi_run(keys_owner, auth_look_up_key, &lookup);
	lookups++;

	if (cached_key != NULL)
		pfree(cached_key);
	cached_key = MemoryContextStrdup(TopMemoryContext, key);
	cached_identity = lookup.identity;
	cached_transaction = MyProc->lxid;
	cache_valid = true;
	return &cached_identity;
}

int64
auth_acting_user(void)
{
	const Identity *identity = auth_current_identity();

	if (identity != NULL)
		return identity->user_id;
	return transaction_setting_counts(&auth_actor_id_setting) ? (int64) auth_actor_id : 0;
}

/* the policies' functions: NULL when no key is set */
#define IDENTITY_OR_NULL(identity) \
	const Identity *identity = auth_current_identity(); \
	if (identity == NULL) PG_RETURN_NULL()

PG_FUNCTION_INFO_V1(current_user_id);
Datum
current_user_id(PG_FUNCTION_ARGS)
{
	IDENTITY_OR_NULL(identity);
	PG_RETURN_INT64(identity->user_id);
}

PG_FUNCTION_INFO_V1(current_account_id);
Datum
current_account_id(PG_FUNCTION_ARGS)
{
	IDENTITY_OR_NULL(identity);
	if (identity->account_id == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(identity->account_id);
}

PG_FUNCTION_INFO_V1(current_user_role);
Datum
current_user_role(PG_FUNCTION_ARGS)
{
	IDENTITY_OR_NULL(identity);
	PG_RETURN_TEXT_P(cstring_to_text(identity->role));
}

PG_FUNCTION_INFO_V1(current_agent_tier);
Datum
current_agent_tier(PG_FUNCTION_ARGS)
{
	IDENTITY_OR_NULL(identity);
	if (identity->agent_tier == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT16(identity->agent_tier);
}

/*
 * support.current_key_kind(): client, agent, manager or super_user; which
 * group's policies apply. A login role granted several groups acts only as
 * its key's kind: a client's key picks up no agent policy, whatever else
 * the login may hold.
 */
PG_FUNCTION_INFO_V1(current_key_kind);
Datum
current_key_kind(PG_FUNCTION_ARGS)
{
	IDENTITY_OR_NULL(identity);
	if (identity->account_id != 0)
		PG_RETURN_TEXT_P(cstring_to_text("client"));
	if (identity->is_manager)
		PG_RETURN_TEXT_P(cstring_to_text("manager"));
	if (identity->is_super_user)
		PG_RETURN_TEXT_P(cstring_to_text("super_user"));
	PG_RETURN_TEXT_P(cstring_to_text("agent"));
}

PG_FUNCTION_INFO_V1(current_is_manager);
Datum
current_is_manager(PG_FUNCTION_ARGS)
{
	const Identity *identity = auth_current_identity();

	PG_RETURN_BOOL(identity != NULL && identity->is_manager);
}

PG_FUNCTION_INFO_V1(current_is_super_user);
Datum
current_is_super_user(PG_FUNCTION_ARGS)
{
	const Identity *identity = auth_current_identity();

	PG_RETURN_BOOL(identity != NULL && identity->is_super_user && identity->assumed_by == 0);
}

PG_FUNCTION_INFO_V1(current_has_second_factor);
Datum
current_has_second_factor(PG_FUNCTION_ARGS)
{
	const Identity *identity = auth_current_identity();

	PG_RETURN_BOOL(identity != NULL && identity->second_factor);
}

PG_FUNCTION_INFO_V1(current_assumed_by);
Datum
current_assumed_by(PG_FUNCTION_ARGS)
{
	IDENTITY_OR_NULL(identity);
	if (identity->assumed_by == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(identity->assumed_by);
}

PG_FUNCTION_INFO_V1(current_key_id);
Datum
current_key_id(PG_FUNCTION_ARGS)
{
	IDENTITY_OR_NULL(identity);
	PG_RETURN_INT64(identity->key_id);
}

/* support.current_actor_id(): the key's user, else support.actor_id, else NULL */
PG_FUNCTION_INFO_V1(current_actor_id);
Datum
current_actor_id(PG_FUNCTION_ARGS)
{
	int64		user_id = auth_acting_user();

	if (user_id == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(user_id);
}

/*
 * support.auth_keys_changed() trigger: a key released or revoked in this
 * transaction stops working in it at once, not at its end.
 */
PG_FUNCTION_INFO_V1(auth_keys_changed);
Datum
auth_keys_changed(PG_FUNCTION_ARGS)
{
	(void) trigger_guard(fcinfo, "auth_keys_changed", "auth_keys");
	cache_valid = false;
	return PointerGetDatum(NULL);
}

/* support.auth_key_lookups() RETURNS bigint: key lookups made by this backend */
PG_FUNCTION_INFO_V1(auth_key_lookups);
Datum
auth_key_lookups(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(lookups);
}

/* support.session_token(OUT slot int, OUT nonce bigint): binds a key to this backend */
PG_FUNCTION_INFO_V1(session_token);
Datum
session_token(PG_FUNCTION_ARGS)
{
	TupleDesc	descriptor;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int32		slot;
	int64		nonce;

	if (get_call_result_type(fcinfo, NULL, &descriptor) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "session_token must return a record");
	session_registry_current(&slot, &nonce);
	values[0] = Int32GetDatum(slot);
	values[1] = Int64GetDatum(nonce);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(descriptor), values, nulls)));
}

/* support.session_alive(slot int, nonce bigint) RETURNS boolean */
PG_FUNCTION_INFO_V1(session_alive);
Datum
session_alive(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(session_registry_alive(PG_GETARG_INT32(0), PG_GETARG_INT64(1)));
}
