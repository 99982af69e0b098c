/*
 * desk_worker.h — the one background worker of each database with the
 * extension: deadlines and deliveries in turns (desk_worker.c).
 */
#ifndef BEDROCK_DESK_WORKER_H
#define BEDROCK_DESK_WORKER_H

#include "postgres.h"

extern PGDLLEXPORT void desk_worker_main(Datum argument);

#endif
