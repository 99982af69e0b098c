/*
 * escalation_worker.h — what a database's worker does for the ticket
 * deadlines: one batch of due actions and its sweeps at a time.
 */
#ifndef BEDROCK_ESCALATION_WORKER_H
#define BEDROCK_ESCALATION_WORKER_H

#include "postgres.h"

#include "datatype/timestamp.h"


/* From _PG_init: support.max_sleep and support.batch_size. */
extern void escalation_worker_init_settings(void);

/*
 * In the worker's transactionless loop: one batch, the sweeps, the next
 * deadline. Returns when to act again (now or earlier: at once); acted
 * says whether it took any action.
 */
extern TimestampTz escalation_worker_step(bool *acted);

#endif
