/*
 * transaction_settings.c — the desk's settings that a transaction passes to
 * its triggers (support.change_reason, support.auto_assign,
 * support.actor_id) count only when set for that transaction.
 *
 * A plain SET outlives its transaction, and behind a transaction-pooling
 * connection pooler the next transaction on the connection may be another
 * client's: it would write the first client's reason into its own public
 * history, or leave its tickets unassigned. So a value counts when it was
 * set locally in this transaction (SET LOCAL, set_config(..., true), a
 * function's SET clause), or is a default (the configuration file, ALTER
 * ROLE or DATABASE ... SET, which only a superuser may store, the
 * connection's options), or the session is a superuser's (a DBA's script,
 * the worker). Otherwise the boot value
 * counts, and a warning says so once a transaction (keys, which are
 * secrets, are refused outright: auth.c).
 */
#include "postgres.h"

#include "access/parallel.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "security/transaction_settings.h"

static struct config_generic *
transaction_setting_find(const char *name)
{
	struct config_generic **settings = get_guc_variables();
	int			count = GetNumConfigOptions();

	for (int i = 0; i < count; i++)
		if (strcmp(settings[i]->name, name) == 0)
			return settings[i];
	elog(ERROR, "%s is not defined", name);
	return NULL;				/* not reached */
}

/*
 * ALTER ROLE and ALTER DATABASE ... SET validate a stored default as
 * PGC_S_TEST: only a superuser stores one, since a role may otherwise set
 * one for itself, and every client sharing that login would carry it.
 */
static bool
transaction_setting_default_allowed(GucSource source)
{
	if (source != PGC_S_TEST || superuser())
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("only a superuser may store a default for the desk's per-transaction settings");
	GUC_check_errhint("Set it in the transaction with SET LOCAL or set_config(name, $1, true).");
	return false;
}

bool
transaction_setting_check_bool(bool *new_value, void **extra, GucSource source)
{
	return transaction_setting_default_allowed(source);
}

bool
transaction_setting_check_int(int *new_value, void **extra, GucSource source)
{
	return transaction_setting_default_allowed(source);
}

bool
transaction_setting_check_string(char **new_value, void **extra, GucSource source)
{
	return transaction_setting_default_allowed(source);
}

bool
transaction_setting_counts(TransactionSetting *setting)
{
	struct config_generic *generic;
	GucStack   *top;

	if (setting->generic == NULL)
		setting->generic = transaction_setting_find(setting->name);
	generic = setting->generic;
	top = generic->stack;
	if (top != NULL && (top->state == GUC_LOCAL || top->state == GUC_SET_LOCAL || top->state == GUC_SAVE))
		return true;
	if (generic->source != PGC_S_SESSION || IsParallelWorker() || superuser_arg(GetSessionUserId()))
		return true;
	if (setting->warned != MyProc->lxid)
	{
		setting->warned = MyProc->lxid;
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s was not set for this transaction: it is ignored", setting->name),
				 errdetail("A plain SET outlives the transaction; behind a transaction-pooling "
						   "connection pooler the next transaction may be another client's."),
				 errhint("Set it in the transaction with SET LOCAL or set_config('%s', $1, true).",
						 setting->name)));
	}
	return false;
}
