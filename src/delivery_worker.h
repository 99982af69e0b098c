/*
 * delivery_worker.h — the worker that delivers the outbox of one database.
 */
#ifndef BEDROCK_DELIVERY_WORKER_H
#define BEDROCK_DELIVERY_WORKER_H

#include "postgres.h"

/* From _PG_init: support.delivery_* and support.ticket_url. */
extern void delivery_worker_init_settings(void);

extern PGDLLEXPORT void delivery_worker_main(Datum argument);

#endif
