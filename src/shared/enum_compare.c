/*
 * enum_compare.c — the comparison functions of the extension's enums
 * (extension/schema/shared.sql declares one set per enum), each calling
 * the core's enum function of the same kind.
 *
 * Why not LANGUAGE internal, which would name the core functions directly:
 * fmgr finds a user-defined internal function by scanning the names of all
 * built-in functions every time an expression using it is set up, which a
 * prepared INSERT does per execution (the tickets' partial indexes and
 * the trigger conditions compare enums): about 200,000 instructions per
 * ticket, measured by test/bench/triage_instructions.sh. A C function of a
 * loaded library is found in fmgr's hash table.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/fmgrprotos.h"

#define ENUM_COMPARE(kind) \
	PG_FUNCTION_INFO_V1(enum_compare_##kind); \
	Datum enum_compare_##kind(PG_FUNCTION_ARGS) { return enum_##kind(fcinfo); }

ENUM_COMPARE(eq)
ENUM_COMPARE(ne)
ENUM_COMPARE(lt)
ENUM_COMPARE(le)
ENUM_COMPARE(gt)
ENUM_COMPARE(ge)
ENUM_COMPARE(cmp)
