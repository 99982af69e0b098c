/*
 * transaction_settings.h — the desk's settings that a transaction passes to
 * its triggers count only when set for that transaction
 * (transaction_settings.c).
 */
#ifndef BEDROCK_TRANSACTION_SETTINGS_H
#define BEDROCK_TRANSACTION_SETTINGS_H

#include "postgres.h"

#include "storage/lock.h"
#include "utils/guc.h"

typedef struct TransactionSetting
{
	const char *name;			/* e.g. "support.change_reason" */
	struct config_generic *generic; /* found on first use */
	LocalTransactionId warned;	/* the transaction last warned */
} TransactionSetting;

#define TRANSACTION_SETTING(setting_name) {(setting_name), NULL, InvalidLocalTransactionId}

/*
 * Whether the setting's current value counts: set locally in this
 * transaction, a default, or a superuser's session. When it does not, the
 * caller uses the boot value; a warning says why, once a transaction.
 */
extern bool transaction_setting_counts(TransactionSetting *setting);

/* Their GUCs' check hooks: a stored default (ALTER ROLE/DATABASE ... SET) is a superuser's. */
extern bool transaction_setting_check_bool(bool *new_value, void **extra, GucSource source);
extern bool transaction_setting_check_int(int *new_value, void **extra, GucSource source);
extern bool transaction_setting_check_string(char **new_value, void **extra, GucSource source);

#endif
