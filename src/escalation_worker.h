/*
 * escalation_worker.h — the worker that acts on the ticket deadlines of
 * one database.
 */
#ifndef BEDROCK_ESCALATION_WORKER_H
#define BEDROCK_ESCALATION_WORKER_H

#include "postgres.h"

/* support.max_sleep: the longest a worker sleeps without looking (the delivery worker's too) */
extern int	escalation_worker_max_sleep_ms;

/* From _PG_init: support.max_sleep and support.batch_size. */
extern void escalation_worker_init_settings(void);

extern PGDLLEXPORT void escalation_worker_main(Datum argument);

#endif
