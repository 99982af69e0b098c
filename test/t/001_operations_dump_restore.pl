# pg_dump and pg_restore bring back everything: seeded configuration as a
# manager edited it, added configuration, and every account, ticket and
# event, without duplicates; staff with powers, their second factors and
# lockouts, approvals and assumptions, endpoints, war rooms, the outbox and
# every audit trail exactly as they were, with no trigger writing anything
# of its own during the restore; sequences continue where they were.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use BedrockTest;

my $node = BedrockTest::new_node('dump_restore');
# the workers stay out: the delivery worker would park messages that have no
# endpoint between the dump and the comparison
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('postgres', 'ALTER DATABASE source SET support.worker_enabled = off');
$node->safe_psql('source', 'CREATE EXTENSION bedrock_support');
BedrockTest::load_scenario($node, 'source');

# staff with powers and everything they leave in the trails
$node->safe_psql('source', q{
	INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_support_manager, is_super_user) VALUES
	  ('max@bedrock.example', 'Max Manager', 3, '{}', true, true, false),
	  ('mia@bedrock.example', 'Mia Manager', 3, '{}', true, true, false),
	  ('sue@bedrock.example', 'Sue Super', 2, '{reporting}', true, false, true),
	  ('otto@bedrock.example', 'Otto Overnight', 2, '{}', true, false, true);
	UPDATE support.agents SET is_support_manager = true WHERE email = 'sam@bedrock.example';
	UPDATE support.assumption_policy SET idle_timeout = '1 hour', second_factor_failures = 3;
	UPDATE support.accounts SET sensitive = true, email_domains = '{kestrel.example}' WHERE name = 'Kestrel';
	INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret) VALUES
	  ('crm', 'webhook', 'https://crm.example/hooks/desk', 'crm-signing-secret-0123');
	INSERT INTO support.delivery_endpoints (endpoint, destination, url) VALUES
	  ('#support-escalations', 'slack', 'https://hooks.slack.com/services/T0/B0/desk');
	UPDATE support.delivery_endpoints SET event_kinds = '{ticket_created}' WHERE endpoint = 'crm';
	INSERT INTO support.shared_endpoint_hosts (host, note) VALUES ('relay.example.net', 'the agency''s shared relay');
	SELECT support.enroll_totp(agent_id) FROM support.agents WHERE is_super_user;
	UPDATE support.templates SET subject = 'Re: [Brief Description] (#12345)' WHERE template = 'initial_response';
});
my $sue = $node->safe_psql('source', q{SELECT agent_id FROM support.agents WHERE email = 'sue@bedrock.example'});
my $otto = $node->safe_psql('source', q{SELECT agent_id FROM support.agents WHERE email = 'otto@bedrock.example'});
my $mia = $node->safe_psql('source', q{SELECT agent_id FROM support.agents WHERE email = 'mia@bedrock.example'});
my $sam = $node->safe_psql('source', q{SELECT agent_id FROM support.agents WHERE email = 'sam@bedrock.example'});
my $jo = $node->safe_psql('source', q{SELECT user_id FROM support.account_users WHERE email = 'jo@kestrel.example'});
# Otto's wrong codes lock his second factor; the worker's sweep records it
foreach my $code (qw(000000 111111 222222))
{
	$node->psql('source', "SELECT support.issue_key($otto, '1 hour', '$code')");
}
$node->safe_psql('source', 'SELECT support.record_second_factor_events()');
# Mia approves, Sue assumes Jo at the sensitive Kestrel, a war room opens
$node->safe_psql('source', qq{
	SELECT set_config('support.auth_key', support.issue_key($mia), false);
	BEGIN;
	SELECT set_config('support.auth_key', current_setting('support.auth_key'), true);
	SELECT support.approve_assumption(account_id, $sue, 'INC-7: Kestrel''s invoices') FROM support.accounts WHERE name = 'Kestrel';
	COMMIT;
	RESET support.auth_key;
	SELECT set_config('support.auth_key', support.issue_key($sue, '8 hours', support.totp(secret)), false)
	  FROM support.staff_totp WHERE agent_id = $sue;
	BEGIN;
	SELECT set_config('support.auth_key', current_setting('support.auth_key'), true);
	SELECT auth_key IS NOT NULL FROM support.assume_user_role($jo, 'Ticket #10002: the paused spend');
	COMMIT;
	RESET support.auth_key;
	SELECT support.escalate_to_executive(ticket_id, $sam, 'Kestrel''s spend stopped on launch day')
	  FROM support.tickets WHERE subject = 'Spend paused';
	-- a load change made while another transaction held the agent, not folded yet
	INSERT INTO support.agent_load_changes (agent_id, open_tickets, assigned_at) VALUES ($sam, 1, now());
	INSERT INTO support.action_failures (account_id, ticket_id, action, due, first_failed_at, last_failed_at, retry_at, error_code, error)
	SELECT account_id, ticket_id, 'follow_up', now(), now(), now(), now() + interval '10 seconds', 'XX000', 'a DBA''s constraint'
	  FROM support.tickets WHERE subject = 'Spend paused';
});
# every kind of row this test means to restore is there
is($node->safe_psql('source', q{
	SELECT string_agg(t || ' ' || n, ', ' ORDER BY t) FROM (VALUES
	  ('security_audit', (SELECT count(DISTINCT kind) FROM support.security_audit)),
	  ('assumption_audit', (SELECT count(*) FROM support.assumption_audit)),
	  ('assumption_approvals', (SELECT count(*) FROM support.assumption_approvals)),
	  ('assumed keys', (SELECT count(*) FROM support.auth_keys WHERE assumed_by IS NOT NULL)),
	  ('war_rooms', (SELECT count(*) FROM support.war_rooms)),
	  ('outbound_messages', (SELECT least(count(*), 1) FROM support.outbound_messages)),
	  ('locked second factors', (SELECT count(*) FROM support.staff_totp WHERE locked_until IS NOT NULL)),
	  ('agent_load_changes', (SELECT least(count(*), 1) FROM support.agent_load_changes))) AS c (t, n)}),
	'agent_load_changes 1, assumed keys 1, assumption_approvals 1, assumption_audit 2, locked second factors 1, outbound_messages 1, security_audit 5, war_rooms 1',
	'the source holds staff powers, audit trails of five kinds, an approval and an assumption, a war room, the outbox and a lockout');

my $dump = "${PostgreSQL::Test::Utils::tmp_check}/source.dump";
my @connection = ('-h', $node->host, '-p', $node->port);

foreach my $format ('custom', 'plain')
{
	my $target = "restored_$format";
	$node->safe_psql('postgres', "CREATE DATABASE $target");
	$node->safe_psql('postgres', "ALTER DATABASE $target SET support.worker_enabled = off");
	if ($format eq 'custom')
	{
		command_ok([ 'pg_dump', @connection, '-Fc', '-f', $dump, 'source' ], 'pg_dump -Fc succeeds');
		command_ok([ 'pg_restore', @connection, '--exit-on-error', '-d', $target, $dump ],
			'pg_restore succeeds without errors');
	}
	else
	{
		command_ok([ 'pg_dump', @connection, '-f', "$dump.sql", 'source' ], 'plain pg_dump succeeds');
		command_ok([ 'psql', @connection, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', "$dump.sql", $target ],
			'the plain dump replays without errors');
	}

	is(BedrockTest::snapshot($node, $target), BedrockTest::snapshot($node, 'source'),
		"$format: every table holds exactly what the source holds");
	is($node->safe_psql($target, q{SELECT response_target FROM support.sla_policies WHERE priority::text = 'P1'}),
		'00:10:00', "$format: the edited seed row keeps its edit");
	is($node->safe_psql($target, q{SELECT count(*) FROM support.categories WHERE category = 'billing'}),
		'1', "$format: the added category is back, once");
	is($node->safe_psql($target, q{SELECT count(*) FROM support.ticket_events WHERE kind = 'created'}),
		'2', "$format: no event was logged twice by the restore");

	# work continues in the restored database, numbered after the source's rows
	my $next = $node->safe_psql($target, q{
		SELECT (support.open_ticket(a.account_id, u.user_id, 'after restore')).ticket_id
		  > (SELECT max(ticket_id) FROM support.tickets)
		  FROM support.account_users u JOIN support.accounts a USING (account_id) LIMIT 1});
	is($next, 't', "$format: new tickets continue the ticket numbers");
	is($node->safe_psql($target, q{
		SELECT count(*) FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
		 WHERE t.subject = 'after restore' AND e.kind = 'created'}),
		'1', "$format: the lifecycle triggers work again after the restore");
}

$node->stop;
done_testing();
