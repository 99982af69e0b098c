/*
 * triage_outbox_people.c — who a batch of new tickets concerns: each
 * ticket's requester, account and agent, and its deadlines in the account's
 * time zone, for the texts the tickets leave behind.
 *
 * Read by primary-key probes (row_probe.c) under a snapshot taken now, as a
 * statement would (a requester committed since the INSERT began is found).
 * A bulk INSERT names the same few people again and again: each is probed
 * once per batch. support.template_variables looks up one ticket's people
 * the same way (triage_outbox_people_of_ticket).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "sla/local_time.h"
#include "shared/row_probe.h"
#include "triage/triage_outbox.h"

/*
 * The batch's accounts, requesters and agents already looked up, by key, to
 * the first ticket that had them.
 */
typedef struct PeopleSeenKey
{
	int64		first;
	int64		second;
} PeopleSeenKey;

typedef struct PeopleSeenEntry
{
	PeopleSeenKey key;
	char		status;			/* simplehash's */
	bool		found;			/* the probe found the row */
	int			ticket;			/* whose people hold what was found */
} PeopleSeenEntry;

#define SH_PREFIX people_seen
#define SH_ELEMENT_TYPE PeopleSeenEntry
#define SH_KEY_TYPE PeopleSeenKey
#define SH_KEY key
#define SH_HASH_KEY(tb, k) hash_bytes((const unsigned char *) &(k), sizeof(PeopleSeenKey))
#define SH_EQUAL(tb, a, b) ((a).first == (b).first && (a).second == (b).second)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* The three tables' probes and the columns read from them. */
typedef struct PeopleProbes
{
	Snapshot	snapshot;
	RowProbe	users;
	RowProbe	accounts;
	RowProbe	agents;
	int			user_name;
	int			user_email;
	int			account_name;
	int			account_zone;
	int			account_enterprise;
	int			account_slack;
	int			agent_name;
} PeopleProbes;

static void
people_probes_open(PeopleProbes *probes)
{
	probes->snapshot = RegisterSnapshot(GetTransactionSnapshot());
	row_probe_open(&probes->users, "account_users");
	row_probe_open(&probes->accounts, "accounts");
	row_probe_open(&probes->agents, "agents");
	probes->user_name = row_probe_column(&probes->users, "full_name");
	probes->user_email = row_probe_column(&probes->users, "email");
	probes->account_name = row_probe_column(&probes->accounts, "name");
	probes->account_zone = row_probe_column(&probes->accounts, "time_zone");
	probes->account_enterprise = row_probe_column(&probes->accounts, "enterprise");
	probes->account_slack = row_probe_column(&probes->accounts, "slack_channel");
	probes->agent_name = row_probe_column(&probes->agents, "full_name");
}

static void
people_probes_close(PeopleProbes *probes)
{
	row_probe_close(&probes->agents);
	row_probe_close(&probes->accounts);
	row_probe_close(&probes->users);
	UnregisterSnapshot(probes->snapshot);
}

static char *
people_text(RowProbe *probe, int column)
{
	return probe->nulls[column] ? NULL : TextDatumGetCString(probe->values[column]);
}

static bool
people_fetch_user(PeopleProbes *probes, Datum account_id, Datum requester_id, OutboxPeople *people)
{
	Datum		key[2] = {account_id, requester_id};

	if (!row_probe_fetch(&probes->users, probes->snapshot, key))
		return false;
	people->client_name = people_text(&probes->users, probes->user_name);
	people->client_email = people_text(&probes->users, probes->user_email);
	return true;
}

static bool
people_fetch_account(PeopleProbes *probes, Datum account_id, OutboxPeople *people)
{
	RowProbe   *accounts = &probes->accounts;

	if (!row_probe_fetch(accounts, probes->snapshot, &account_id))
		return false;
	people->account_name = people_text(accounts, probes->account_name);
	people->time_zone = people_text(accounts, probes->account_zone);
	people->enterprise = !accounts->nulls[probes->account_enterprise] &&
		DatumGetBool(accounts->values[probes->account_enterprise]);
	people->slack_channel = people_text(accounts, probes->account_slack);
	return true;
}

static bool
people_fetch_agent(PeopleProbes *probes, Datum agent_id, OutboxPeople *people)
{
	if (!row_probe_fetch(&probes->agents, probes->snapshot, &agent_id))
		return false;
	people->agent_name = people_text(&probes->agents, probes->agent_name);
	return true;
}

/* The deadlines as the account reads them, in its own zone. */
static void
people_local_deadlines(OutboxPeople *people, Datum response_due, bool response_null,
					   Datum resolution_due, bool resolution_null)
{
	if (people->time_zone == NULL)
		return;
	if (!resolution_null)
		people->resolution_local = local_time_text(DatumGetTimestampTz(resolution_due),
												   people->time_zone);
	if (!response_null)
		people->response_local = local_time_text(DatumGetTimestampTz(response_due),
												 people->time_zone);
}

void
triage_outbox_people_facts(const OutboxPeople *people, const TriageCategory *category,
						   ClientTextFacts *facts)
{
	facts->client_name = people->client_name;
	facts->agent_name = people->agent_name;
	facts->response_local = people->response_local;
	facts->resolution_local = people->resolution_local;
	facts->enterprise = people->enterprise;
	facts->slack_channel = people->slack_channel;
	if (category != NULL)
	{
		facts->first_steps[0] = category->first_steps[0];
		facts->first_steps[1] = category->first_steps[1];
	}
}

bool
triage_outbox_people_of_ticket(Datum account_id, Datum requester_id,
							   Datum assignee_id, bool assignee_null,
							   Datum response_due, bool response_null,
							   Datum resolution_due, bool resolution_null,
							   OutboxPeople *people)
{
	PeopleProbes probes;
	bool		found;

	memset(people, 0, sizeof(OutboxPeople));
	people_probes_open(&probes);
	found = people_fetch_user(&probes, account_id, requester_id, people);
	found = people_fetch_account(&probes, account_id, people) && found;
	if (found)
	{
		if (!assignee_null)
			people_fetch_agent(&probes, assignee_id, people);
		people_local_deadlines(people, response_due, response_null, resolution_due, resolution_null);
	}
	people_probes_close(&probes);
	return found;
}

/* The entry of the key, *is_new when this is its first time in the batch. */
static PeopleSeenEntry *
people_seen(people_seen_hash *seen, int64 first, int64 second, bool *is_new)
{
	PeopleSeenKey key = {first, second};
	bool		found;
	PeopleSeenEntry *entry = people_seen_insert(seen, key, &found);

	*is_new = !found;
	return entry;
}

bool
triage_outbox_people_look_up(OutboxBatch *batch, int64 acting_user)
{
	PeopleProbes probes;
	people_seen_hash *users_seen = people_seen_create(CurrentMemoryContext, batch->count, NULL);
	people_seen_hash *accounts_seen = people_seen_create(CurrentMemoryContext, batch->count, NULL);
	people_seen_hash *agents_seen = people_seen_create(CurrentMemoryContext, batch->count, NULL);
	bool		acting_is_agent = false;

	people_probes_open(&probes);
	for (int i = 0; i < batch->count; i++)
	{
		OutboxPeople *people = &batch->people[i];
		int64		account_id = DatumGetInt64(batch->account_ids[i]);
		bool		is_new;
		PeopleSeenEntry *user = people_seen(users_seen, account_id,
											DatumGetInt64(batch->requester_ids[i]), &is_new);
		PeopleSeenEntry *account;

		if (is_new)
		{
			user->found = people_fetch_user(&probes, batch->account_ids[i], batch->requester_ids[i], people);
			user->ticket = i;
		}
		else if (user->found)
		{
			people->client_name = batch->people[user->ticket].client_name;
			people->client_email = batch->people[user->ticket].client_email;
		}
		account = people_seen(accounts_seen, account_id, 0, &is_new);
		if (is_new)
		{
			account->found = people_fetch_account(&probes, batch->account_ids[i], people);
			account->ticket = i;
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
			PeopleSeenEntry *agent = people_seen(agents_seen, DatumGetInt64(batch->assignee_ids[i]), 0,
												 &is_new);

			if (is_new)
			{
				agent->found = people_fetch_agent(&probes, batch->assignee_ids[i], people);
				agent->ticket = i;
			}
			else if (agent->found)
				people->agent_name = batch->people[agent->ticket].agent_name;
		}
		people_local_deadlines(people, batch->response_dues[i], batch->response_nulls[i],
							   batch->resolution_dues[i], batch->resolution_nulls[i]);
		batch->found[i] = true;
	}
	/* the acting user (the key's, or support.actor_id) through the same probe */
	if (acting_user != 0)
	{
		Datum		key = Int64GetDatum(acting_user);

		acting_is_agent = row_probe_fetch(&probes.agents, probes.snapshot, &key);
	}
	people_probes_close(&probes);
	return acting_is_agent;
}
