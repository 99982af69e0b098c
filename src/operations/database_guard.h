/*
 * database_guard.h — keeps the workers out of DROP/RENAME DATABASE's way.
 */
#ifndef BEDROCK_DATABASE_GUARD_H
#define BEDROCK_DATABASE_GUARD_H

#include "postgres.h"

/* From _PG_init: the ProcessUtility hook. */
extern void database_guard_install(void);

#endif
