# The escalation worker in a live cluster: one worker per database with the
# extension (including one created later), woken by commits and deadlines
# rather than support.max_sleep, reloaded by SIGHUP, stopped by SIGTERM and
# restarted, out of the way of DROP/RENAME DATABASE and DROP EXTENSION,
# exactly once across a crash in the middle of a batch, idle on a hot
# standby and at work after its promotion.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use BedrockTest;

my $node = PostgreSQL::Test::Cluster->new('worker');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'bedrock_support'
support.max_sleep = '10min'
max_worker_processes = 16
restart_after_crash = on
});
$node->start;

# the worker of a database, as pg_stat_activity shows it ('' when none)
sub worker_pid
{
	my ($n, $db) = @_;
	return $n->safe_psql('postgres', qq{
		SELECT pid FROM pg_stat_activity
		 WHERE backend_type = 'bedrock_support worker' AND datname = '$db'});
}

sub wait_for_worker
{
	my ($n, $db, $message) = @_;
	ok($n->poll_query_until('postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE backend_type = 'bedrock_support worker' AND datname = '$db'}), $message);
}

sub wait_for_no_worker
{
	my ($n, $db, $message) = @_;
	ok($n->poll_query_until('postgres', qq{
		SELECT count(*) = 0 FROM pg_stat_activity
		 WHERE backend_type = 'bedrock_support worker' AND datname = '$db'}), $message);
}

# an account on the around-the-clock calendar, its user, and agents with
# the campaign skill in tiers 1-3
sub load_desk
{
	my ($n, $db) = @_;
	$n->safe_psql($db, q{
		INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Initech', 'UTC', 1);
		INSERT INTO support.account_users (account_id, email, full_name, role)
		SELECT account_id, 'ivy@initech.example', 'Ivy', 'admin' FROM support.accounts;
		INSERT INTO support.agents (email, full_name, tier, skills, on_shift) VALUES
		  ('tia@bedrock.example', 'Tia', 1, '{campaign_management}', true),
		  ('tara@bedrock.example', 'Tara', 2, '{campaign_management}', true),
		  ('theo@bedrock.example', 'Theo', 3, '{campaign_management}', true);
	});
}

# count P1 tickets whose 80 % mark (12 minutes) falls $seconds from now: an
# import as pg_restore does it, then one update that computes the schedule
sub import_due_tickets
{
	my ($n, $db, $count, $seconds) = @_;
	$n->safe_psql($db, qq{
		SET row_security = off;
		INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier,
		                             created_at, updated_at)
		SELECT a.account_id, u.user_id, 'Campaign ' || i || ' stopped', 'email', 'campaign_performance',
		       'P1', 1, now() - interval '12 minutes' + interval '$seconds seconds', now()
		  FROM support.accounts a JOIN support.account_users u USING (account_id),
		       generate_series(1, $count) i;
		RESET row_security;
		UPDATE support.tickets SET sla_paused = sla_paused WHERE next_action_at IS NULL AND status = 'new';
	});
}

############################################################################
# One worker per database with the extension, none elsewhere
############################################################################

$node->safe_psql('postgres', 'CREATE DATABASE desk');
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql('desk', 'CREATE EXTENSION bedrock_support');
wait_for_worker($node, 'desk', 'a worker runs in the database with the extension');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'bedrock_support launcher'}),
	'1', 'one launcher');
wait_for_no_worker($node, 'plain', 'no worker stays in a database without the extension');

$node->safe_psql('postgres', 'CREATE DATABASE later');
$node->safe_psql('later', 'CREATE EXTENSION bedrock_support');
wait_for_worker($node, 'later', 'a database that gets the extension later gets a worker');

############################################################################
# Woken by the deadline, not by support.max_sleep (10 minutes here)
############################################################################

load_desk($node, 'desk');
import_due_tickets($node, 'desk', 1, 3);
ok($node->poll_query_until('desk', q{
	SELECT count(*) = 1 FROM support.ticket_events WHERE action_key LIKE 'escalation_mark@%'}),
	'the ticket is escalated at its mark while the worker would sleep for minutes');
my $latency = $node->safe_psql('desk', q{
	SELECT round(extract(epoch FROM e.created_at - (e.details->>'due')::timestamptz)::numeric, 3)
	  FROM support.ticket_events e WHERE action_key LIKE 'escalation_mark@%'});
note("escalated $latency s after the mark");
is($node->safe_psql('desk', q{SELECT tier || ' ' || (assignee_id IS NOT NULL) FROM support.tickets}),
	'2 true', 'escalated to tier 2 with a new owner');
ok($node->poll_query_until('desk', q{
	SELECT state || ' ' || (actions_taken >= 1) || ' ' || (errors = 0) || ' ' || (pid IS NOT NULL)
	  FROM support.worker_status}, 'sleeping true true true'),
	'worker_status shows a sleeping worker that acted, without errors');
is($node->safe_psql('postgres', q{
	SELECT application_name FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = 'desk'}),
	'bedrock_support worker', 'pg_stat_activity names the worker');

############################################################################
# SIGHUP reloads the settings; support.worker_enabled stops and restarts
############################################################################

$node->safe_psql('postgres', q{ALTER SYSTEM SET support.max_sleep = '2s'});
$node->reload;
ok($node->poll_query_until('desk', q{
	SELECT next_wakeup - last_pass_at <= interval '2.1 seconds' FROM support.worker_status}),
	'after a reload the worker sleeps at most the new support.max_sleep');

$node->safe_psql('postgres', q{ALTER SYSTEM SET support.worker_enabled = off});
$node->reload;
wait_for_no_worker($node, 'desk', 'support.worker_enabled = off stops the worker');
is($node->safe_psql('desk', 'SELECT pid IS NULL FROM support.worker_status'), 't',
	'worker_status shows no worker');
$node->safe_psql('postgres', q{ALTER SYSTEM RESET support.worker_enabled});
$node->reload;
wait_for_worker($node, 'desk', 'and turning it back on starts it again');

############################################################################
# SIGTERM stops it promptly; the launcher starts a new one
############################################################################

my $pid = worker_pid($node, 'desk');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid"),
	'SIGTERM stops the worker');
ok($node->poll_query_until('postgres', qq{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type = 'bedrock_support worker' AND datname = 'desk' AND pid <> $pid}),
	'the launcher starts it again');

############################################################################
# A session that keeps a due ticket locked is ended past
# support.lock_hold_limit (1 s): the ticket is escalated, the ending audited
############################################################################

$node->safe_psql('postgres', 'CREATE DATABASE holding');
$node->safe_psql('holding', 'CREATE EXTENSION bedrock_support');
load_desk($node, 'holding');
$node->safe_psql('holding', 'CREATE ROLE holder_app LOGIN IN ROLE support_client');
my $holder_key = $node->safe_psql('holding', q{
	SELECT support.issue_key(user_id) FROM support.account_users WHERE email = 'ivy@initech.example'});
import_due_tickets($node, 'holding', 1, 3);
my $held = $node->safe_psql('holding', 'SELECT ticket_id FROM support.tickets');
# the client's application writes in a transaction it leaves open
my $holder = $node->background_psql('holding', on_error_stop => 0, extra_params => [ '-U', 'holder_app' ]);
$holder->query_safe(qq{
	BEGIN;
	SELECT set_config('support.auth_key', '$holder_key', true);
	SELECT support.post_client_message($held, 'Any news?');
});
my $holder_pid = $node->safe_psql('holding', q{SELECT pid FROM pg_stat_activity WHERE usename = 'holder_app'});
ok($node->poll_query_until('holding', qq{
	SELECT count(*) = 1 FROM support.ticket_events WHERE ticket_id = $held AND action_key LIKE 'escalation_mark@%'}),
	'a ticket held by an idle transaction is escalated');
my $held_latency = $node->safe_psql('holding', qq{
	SELECT round(extract(epoch FROM e.created_at - (e.details->>'due')::timestamptz)::numeric, 3)
	  FROM support.ticket_events e WHERE e.ticket_id = $held AND action_key LIKE 'escalation_mark@%'});
note("escalated $held_latency s after the mark, the holder ended");
ok($held_latency < 2, "within 2 s of its mark ($held_latency s)");
is($node->safe_psql('holding', "SELECT count(*) FROM pg_stat_activity WHERE pid = $holder_pid"), '0',
	'the holding session is gone');
is($node->safe_psql('holding', qq{
	SELECT details->>'role' || ' ' || (details->>'pid' = '$holder_pid') || ' ' || subject_id
	  FROM support.security_audit WHERE kind = 'session_ended'}),
	"holder_app true $held", 'and its ending is in the security audit, with the role, the session and the ticket');
is($node->safe_psql('holding', qq{
	SELECT count(*) FROM support.ticket_events WHERE ticket_id = $held AND kind = 'client_message'}),
	'0', 'the held transaction rolled back');
$holder->quit;

############################################################################
# DROP and RENAME DATABASE are never blocked; DROP EXTENSION stops it
############################################################################

$node->safe_psql('postgres', 'ALTER DATABASE later RENAME TO renamed');
pass('ALTER DATABASE ... RENAME with a worker connected');
wait_for_worker($node, 'renamed', 'the renamed database gets its worker back');
$node->safe_psql('postgres', 'DROP DATABASE renamed');
pass('DROP DATABASE with a worker connected');
wait_for_no_worker($node, 'renamed', 'the dropped database has no worker');

$node->safe_psql('postgres', 'CREATE DATABASE dropping');
$node->safe_psql('dropping', 'CREATE EXTENSION bedrock_support');
wait_for_worker($node, 'dropping', 'a worker for the next test');
$node->safe_psql('dropping', 'DROP EXTENSION bedrock_support');
wait_for_no_worker($node, 'dropping', 'DROP EXTENSION stops the worker');

############################################################################
# Killed in the middle of a batch: nothing lost, nothing done twice
############################################################################

$node->safe_psql('postgres', q{ALTER SYSTEM SET support.batch_size = 5});
$node->reload;
# slow the worker's inserts of history down, so a kill lands mid-batch
$node->safe_psql('desk', q{
	CREATE FUNCTION public.slow_worker() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF current_setting('application_name') = 'bedrock_support worker' THEN
			PERFORM pg_sleep(0.05);
		END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER slow_worker BEFORE INSERT ON support.ticket_events
		FOR EACH ROW EXECUTE FUNCTION public.slow_worker();
});
import_due_tickets($node, 'desk', 60, 1);
ok($node->poll_query_until('desk', q{
	SELECT count(*) >= 5 FROM support.ticket_events WHERE action_key LIKE 'escalation_mark@%'}),
	'the worker is part-way through the tickets');
$pid = worker_pid($node, 'desk');
my $done_before = $node->safe_psql('desk', q{
	SELECT count(*) FROM support.ticket_events WHERE action_key LIKE 'escalation_mark@%'});
kill 'KILL', $pid;
note("killed worker $pid after $done_before of 61 escalations");
ok($done_before < 61, 'killed before it finished');
# the postmaster restarts every backend after a crash, then the launcher the worker
ok($node->poll_query_until('postgres', qq{
	SELECT count(*) = 1 FROM pg_stat_activity
	 WHERE backend_type = 'bedrock_support worker' AND datname = 'desk' AND pid <> $pid}),
	'the worker is back after the crash');
ok($node->poll_query_until('desk', q{
	SELECT count(*) = 61 FROM support.ticket_events WHERE action_key LIKE 'escalation_mark@%'}),
	'every ticket is escalated after the restart');
is($node->safe_psql('desk', q{
	SELECT count(*) FILTER (WHERE escalations <> 1 OR tier_changes <> 1 OR tier <> 2 OR alerts <> 1)
	  FROM (SELECT t.ticket_id, t.tier,
	               (SELECT count(*) FROM support.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'escalation') AS escalations,
	               (SELECT count(*) FROM support.ticket_events e WHERE e.ticket_id = t.ticket_id AND e.kind = 'tier_change') AS tier_changes,
	               (SELECT count(*) FROM support.outbound_messages m WHERE m.ticket_id = t.ticket_id
	                   AND m.subject LIKE '%escalated to tier%') AS alerts
	          FROM support.tickets t) s}),
	'0', 'each ticket escalated exactly once, with one alert, none half done');
ok($node->poll_query_until('desk', q{
	SELECT sum(open_tickets) FROM support.agents WHERE tier = 2}, '61'),
	'the tier-2 owner loads count each ticket once, folded by the worker');
is($node->safe_psql('desk', 'SELECT count(*) FROM support.agent_load_changes'), '0',
	'and no load change is left to fold');
$node->safe_psql('desk', 'DROP TRIGGER slow_worker ON support.ticket_events');

############################################################################
# A hot standby runs nothing; its promotion starts the work
############################################################################

$node->backup('base');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($node, 'base', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{
	SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'bedrock_support%'}),
	'0', 'no launcher and no worker on a hot standby');

# due in 8 seconds: the primary stops first, the promoted standby acts
import_due_tickets($node, 'desk', 1, 8);
$node->wait_for_catchup($standby);
$node->stop('immediate');
$standby->promote;
wait_for_worker($standby, 'desk', 'the promoted standby starts a worker');
ok($standby->poll_query_until('desk', q{
	SELECT count(*) = 62 FROM support.ticket_events WHERE action_key LIKE 'escalation_mark@%'}),
	'and it escalates the ticket that came due after the promotion');
$standby->stop;

done_testing();
