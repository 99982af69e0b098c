/*
 * worker_launcher.h — the launcher that starts the workers of every
 * database.
 */
#ifndef BEDROCK_WORKER_LAUNCHER_H
#define BEDROCK_WORKER_LAUNCHER_H

#include "postgres.h"

/* support.worker_enabled: the launcher starts workers, and they keep running */
extern bool worker_enabled;

/* From _PG_init: support.worker_enabled. */
extern void worker_launcher_init_settings(void);

/* In _PG_init while shared_preload_libraries are loaded. */
extern void worker_launcher_register(void);

extern PGDLLEXPORT void worker_launcher_main(Datum argument);

#endif
