/*
 * trigger_guard.h — every C trigger function refuses to run on anything but
 * the extension's own tables.
 */
#ifndef BEDROCK_TRIGGER_GUARD_H
#define BEDROCK_TRIGGER_GUARD_H

#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"

/*
 * The TriggerData of a trigger fired on support.<table> (any table of the
 * schema support when table is NULL); an error for a direct call or a
 * trigger on any other relation, a temporary look-alike above all.
 */
extern TriggerData *trigger_guard(FunctionCallInfo fcinfo, const char *function, const char *table);

/*
 * Whether this session restores a dump: pg_dump and pg_restore set
 * row_security = off, and the calling role bypasses row-level security (a
 * superuser or BYPASSRLS; anyone may set row_security = off, but it lets
 * no one else write). The triggers then keep the rows they are given as they
 * are and write no history, deadlines or outbox of their own: the dump
 * brings all of it. The one test every trigger makes (support.restoring()
 * for the PL/pgSQL ones).
 */
extern bool trigger_guard_restoring(void);

#endif
