/*
 * session_registry.h — backends' liveness in shared memory, so a key can be
 * bound to the session that issued it.
 */
#ifndef BEDROCK_SESSION_REGISTRY_H
#define BEDROCK_SESSION_REGISTRY_H

#include "postgres.h"

/* from _PG_init under shared_preload_libraries */
extern void session_registry_request(void);

/* this backend's slot and nonce (registered on first use) */
extern void session_registry_current(int32 *slot, int64 *nonce);

/* whether the backend that had (slot, nonce) still runs */
extern bool session_registry_alive(int32 slot, int64 nonce);

#endif
