/*
 * lifecycle.h — the ticket lifecycle state machine.
 */
#ifndef BEDROCK_LIFECYCLE_H
#define BEDROCK_LIFECYCLE_H

#include "postgres.h"

#include "tickets/ticket_status.h"

/*
 * Set only by this extension's own C code (ticket_events.c) around the
 * UPDATE that records a first response; while false, milestone columns
 * written by a statement are reverted to the values the trigger owns.
 */
extern bool lifecycle_trusted_milestone_write;

#endif
