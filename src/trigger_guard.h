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

#endif
