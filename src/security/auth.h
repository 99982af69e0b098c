/*
 * auth.h — who the current transaction acts for, from its support.auth_key.
 */
#ifndef BEDROCK_AUTH_H
#define BEDROCK_AUTH_H

#include "postgres.h"

typedef struct Identity
{
	int64		key_id;
	int64		user_id;
	int64		account_id;		/* 0: support staff */
	char		role[24];		/* admin, campaign_manager, reporting_manager, agent, ... */
	int16		agent_tier;		/* 0: not an active agent */
	bool		is_manager;
	bool		is_super_user;
	bool		second_factor;	/* the key was issued with a verified TOTP code */
	int64		assumed_by;		/* 0: not an assumption */
} Identity;

/* support.auth_key's identity, or NULL when no key is set; an error for a bad key */
extern const Identity *auth_current_identity(void);

/* the acting user for history: the key's user, else support.actor_id, else 0 */
extern int64 auth_acting_user(void);

/* From _PG_init: support.actor_id, support.auth_key and support.require_key. */
extern void auth_init_settings(void);

#endif
