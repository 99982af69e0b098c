/*
 * bedrock_support.h — the module's settings, for the files that read them.
 */
#ifndef BEDROCK_SUPPORT_H
#define BEDROCK_SUPPORT_H

#include "postgres.h"

/* support.actor_id: the user this transaction acts for, 0 when none */
extern int	bedrock_actor_id;

/* support.auth_key: the key this transaction presents, "" when none */
extern char *bedrock_auth_key;

/* support.auto_assign: new tickets go to the least-loaded eligible agent */
extern bool bedrock_auto_assign;
extern bool bedrock_require_key;

/* support.worker_enabled, support.max_sleep (ms), support.batch_size */
extern bool bedrock_worker_enabled;
extern int	bedrock_max_sleep_ms;
extern int	bedrock_batch_size;

/* the delivery worker: support.delivery_* */
#define DELIVERY_MAX_CONCURRENCY 1024
extern int	bedrock_delivery_concurrency;
extern int	bedrock_delivery_max_attempts;
extern int	bedrock_delivery_connect_timeout_ms;
extern int	bedrock_delivery_timeout_ms;
extern int	bedrock_delivery_backoff_ms;

#endif
