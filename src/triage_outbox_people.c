/*
 * triage_outbox_people.c — who a batch of new tickets concerns: each
 * ticket's requester, account and agent, and its deadlines in the account's
 * time zone, for the texts the tickets leave behind.
 *
 * Read by primary-key probes (row_probe.c) under a snapshot taken now, as a
 * statement would (a requester committed since the INSERT began is found).
 * A bulk INSERT names the same few people again and again: each is probed
 * once per batch.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "client_texts.h"
#include "row_probe.h"
#include "triage_outbox.h"

/*
 * The batch's accounts, requesters and agents already looked up: an
 * open-addressing table of keys to the first ticket that had them.
 */
typedef struct PeopleSeenEntry
{
	bool		used;
	bool		found;			/* the probe found the row */
	int64		first_key;
	int64		second_key;
	int			ticket;			/* whose people hold what was found */
} PeopleSeenEntry;

typedef struct PeopleSeen
{
	uint32		mask;
	PeopleSeenEntry *entries;
} PeopleSeen;

static void
triage_outbox_people_seen_init(PeopleSeen *seen, int count)
{
	uint32		size = 4;

	while (size < 2 * (uint32) count)
		size *= 2;
	seen->mask = size - 1;
	seen->entries = palloc0(size * sizeof(PeopleSeenEntry));
}

/* The entry of the key, *is_new when this is its first time in the batch. */
static PeopleSeenEntry *
triage_outbox_people_seen(PeopleSeen *seen, int64 first_key, int64 second_key, bool *is_new)
{
	uint64		mixed = (uint64) first_key ^ ((uint64) first_key >> 32) ^ ((uint64) second_key * 0x9E3779B1);
	uint32		slot = hash_bytes_uint32((uint32) mixed) & seen->mask;

	for (;;)
	{
		PeopleSeenEntry *entry = &seen->entries[slot];

		if (!entry->used)
		{
			entry->used = true;
			entry->first_key = first_key;
			entry->second_key = second_key;
			*is_new = true;
			return entry;
		}
		if (entry->first_key == first_key && entry->second_key == second_key)
		{
			*is_new = false;
			return entry;
		}
		slot = (slot + 1) & seen->mask;	/* the table is never full: twice the batch */
	}
}

/* A deadline as the account reads it: to_char(due AT TIME ZONE zone, ...). */

static char *
triage_outbox_people_text(RowProbe *probe, int column)
{
	return probe->nulls[column] ? NULL : TextDatumGetCString(probe->values[column]);
}

bool
triage_outbox_people_look_up(OutboxBatch *batch, int64 acting_user)
{
	Snapshot	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	RowProbe	users;
	RowProbe	accounts;
	RowProbe	agents;
	PeopleSeen	users_seen;
	PeopleSeen	accounts_seen;
	PeopleSeen	agents_seen;
	int			user_name, user_email, account_name, account_zone, account_enterprise, account_slack,
				agent_name;
	bool		acting_is_agent = false;

	row_probe_open(&users, "account_users");
	row_probe_open(&accounts, "accounts");
	row_probe_open(&agents, "agents");
	user_name = row_probe_column(&users, "full_name");
	user_email = row_probe_column(&users, "email");
	account_name = row_probe_column(&accounts, "name");
	account_zone = row_probe_column(&accounts, "time_zone");
	account_enterprise = row_probe_column(&accounts, "enterprise");
	account_slack = row_probe_column(&accounts, "slack_channel");
	agent_name = row_probe_column(&agents, "full_name");
	triage_outbox_people_seen_init(&users_seen, batch->count);
	triage_outbox_people_seen_init(&accounts_seen, batch->count);
	triage_outbox_people_seen_init(&agents_seen, batch->count);
	for (int i = 0; i < batch->count; i++)
	{
		OutboxPeople *people = &batch->people[i];
		int64		account_id = DatumGetInt64(batch->account_ids[i]);
		Datum		user_key[2] = {batch->account_ids[i], batch->requester_ids[i]};
		bool		is_new;
		PeopleSeenEntry *user = triage_outbox_people_seen(&users_seen, account_id,
														  DatumGetInt64(batch->requester_ids[i]), &is_new);
		PeopleSeenEntry *account;

		if (is_new)
		{
			user->found = row_probe_fetch(&users, snapshot, user_key);
			user->ticket = i;
			if (user->found)
			{
				people->client_name = triage_outbox_people_text(&users, user_name);
				people->client_email = triage_outbox_people_text(&users, user_email);
			}
		}
		else if (user->found)
		{
			people->client_name = batch->people[user->ticket].client_name;
			people->client_email = batch->people[user->ticket].client_email;
		}
		account = triage_outbox_people_seen(&accounts_seen, account_id, 0, &is_new);
		if (is_new)
		{
			account->found = row_probe_fetch(&accounts, snapshot, &batch->account_ids[i]);
			account->ticket = i;
			if (account->found)
			{
				people->account_name = triage_outbox_people_text(&accounts, account_name);
				people->time_zone = triage_outbox_people_text(&accounts, account_zone);
				people->enterprise = !accounts.nulls[account_enterprise] &&
					DatumGetBool(accounts.values[account_enterprise]);
				people->slack_channel = triage_outbox_people_text(&accounts, account_slack);
			}
		}
		else if (account->found)
		{
			OutboxPeople *earlier = &batch->people[account->ticket];

			people->account_name = earlier->account_name;
			people->time_zone = earlier->time_zone;
			people->enterprise = earlier->enterprise;
			people->slack_channel = earlier->slack_channel;
		}
		/* a missing requester or account: the foreign keys refuse the row */
		if (!user->found || !account->found)
			continue;
		if (!batch->assignee_nulls[i])
		{
			PeopleSeenEntry *agent = triage_outbox_people_seen(&agents_seen,
															   DatumGetInt64(batch->assignee_ids[i]), 0,
															   &is_new);

			if (is_new)
			{
				agent->found = row_probe_fetch(&agents, snapshot, &batch->assignee_ids[i]);
				agent->ticket = i;
				if (agent->found)
					people->agent_name = triage_outbox_people_text(&agents, agent_name);
			}
			else if (agent->found)
				people->agent_name = batch->people[agent->ticket].agent_name;
		}
		if (!batch->resolution_nulls[i] && people->time_zone != NULL)
			people->resolution_local = client_texts_local_time(DatumGetTimestampTz(batch->resolution_dues[i]),
																people->time_zone);
		if (!batch->response_nulls[i] && people->time_zone != NULL)
			people->response_local = client_texts_local_time(DatumGetTimestampTz(batch->response_dues[i]),
															  people->time_zone);
		batch->found[i] = true;
	}
	/* the acting user (the key's, or support.actor_id) through the same probe */
	if (acting_user != 0)
	{
		Datum		key = Int64GetDatum(acting_user);

		acting_is_agent = row_probe_fetch(&agents, snapshot, &key);
	}
	row_probe_close(&agents);
	row_probe_close(&accounts);
	row_probe_close(&users);
	UnregisterSnapshot(snapshot);
	return acting_is_agent;
}
