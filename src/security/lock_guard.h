/*
 * lock_guard.h — no session but a superuser's locks the desk's tables or
 * rows by hand, or prepares a transaction that holds them (lock_guard.c).
 */
#ifndef BEDROCK_LOCK_GUARD_H
#define BEDROCK_LOCK_GUARD_H

#include "postgres.h"

/* From _PG_init: the utility and executor hooks, the PREPARE check. */
extern void lock_guard_install(void);

/*
 * Runs work(argument) with the row-locking refusal lifted: the workflow's
 * own lock of a ticket, taken as its caller so that row-level security
 * decides (ticket_guard.c).
 */
extern void lock_guard_as_workflow(void (*work) (void *), void *argument);

#endif
