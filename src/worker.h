/*
 * worker.h — the escalation launcher and its per-database workers.
 */
#ifndef BEDROCK_WORKER_H
#define BEDROCK_WORKER_H

#include "postgres.h"

/* In _PG_init while shared_preload_libraries are loaded. */
extern void worker_register_launcher(void);

extern PGDLLEXPORT void bedrock_launcher_main(Datum argument);
extern PGDLLEXPORT void bedrock_worker_main(Datum argument);
extern PGDLLEXPORT void bedrock_delivery_main(Datum argument);

/* ProcessUtility hook: keeps workers out of DROP/RENAME DATABASE's way. */
extern void database_guard_install(void);

#endif
