/*
 * ticket_events.h — the ticket's case history.
 */
#ifndef BEDROCK_TICKET_EVENTS_H
#define BEDROCK_TICKET_EVENTS_H

#include "postgres.h"

/* From _PG_init: support.change_reason. */
extern void ticket_events_init_settings(void);

#endif
