/*
 * delivery_worker.h — what a database's worker does for its outbox: one
 * round of claims, transfers and outcomes at a time.
 */
#ifndef BEDROCK_DELIVERY_WORKER_H
#define BEDROCK_DELIVERY_WORKER_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* From _PG_init: support.delivery_* and support.ticket_url. */
extern void delivery_worker_init_settings(void);

/* Once per worker life, before its first round. */
extern void delivery_worker_start(void);

/*
 * One round, waiting at most poll_ms for transfers in flight. Returns when
 * to run the next (now or earlier: at once).
 */
extern TimestampTz delivery_worker_step(int poll_ms);

#endif
