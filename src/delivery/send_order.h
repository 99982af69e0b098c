/*
 * send_order.h — the outbox's delivery order: fair across accounts,
 * urgent messages first (send_order.c).
 */
#ifndef BEDROCK_SEND_ORDER_H
#define BEDROCK_SEND_ORDER_H

#include "postgres.h"

/* In _PG_init while shared_preload_libraries are loaded. */
extern void send_order_request(void);

/* The place of the account's next message of the class (urgent or bulk). */
extern int64 send_order_next(int64 account_id, bool urgent);

/*
 * The claim took a message at this place of its class: the class's clock
 * moves up to it (never back). The worker's start moves it to the first
 * place still waiting.
 */
extern void send_order_served(bool urgent, int64 place);

#endif
