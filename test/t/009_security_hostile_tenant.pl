# The availability promise, attacked all at once: while a hostile tenant,
# its agent, a manager and the login service run every attack of the
# review together (huge and phishing names, table and row locks, directly
# and through a view of one's own, open
# transactions holding their rows, a prepared transaction, 10,000 client
# messages each queuing a webhook, war rooms on demand, a template the desk
# cannot fill, a sweep of one-time codes), another tenant's P1 is escalated
# within 2 s of its mark, the escalation's Slack alert is delivered within
# 2 s of it, and that tenant opens a ticket in under 2 s.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use IPC::Run;
use Time::HiRes;
use BedrockTest;

my $python = '/usr/bin/python3';
my $receivers = "$FindBin::RealBin/../receivers";
my $secret = 'webhook-signing-secret-0123';
my $http_port = PostgreSQL::Test::Cluster::get_free_port();
my $http_log = "${PostgreSQL::Test::Utils::tmp_check}/hostile_http.log";
my $http = IPC::Run::start([ $python, "$receivers/http_receiver.py", $http_port, $http_log, $secret ]);
END { local $?; $http->kill_kill if $http; }

my $node = PostgreSQL::Test::Cluster->new('hostile');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'bedrock_support'
max_prepared_transactions = 10
support.delivery_timeout = '2s'
});
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE desk');
$node->safe_psql('desk', 'CREATE EXTENSION bedrock_support');
$node->safe_psql('desk', qq{
	INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret) VALUES
	  ('*', 'slack', 'http://127.0.0.1:$http_port/services/T0/B0/desk', NULL),
	  ('crm', 'webhook', 'http://127.0.0.1:$http_port/hooks/crm', '$secret');
	INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Umbrella', 'UTC', 1), ('Evil Corp', 'UTC', 1);
	INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
	  (1, 'una\@umbrella.example', 'Una Umbrella', 'admin'),
	  (2, 'eve\@evil.example', 'Eve Evil', 'admin');
	INSERT INTO support.agents (email, full_name, tier, skills, on_shift, is_support_manager, is_super_user) VALUES
	  ('tia\@bedrock.example', 'Tia', 1, '{campaign_management}', true, false, false),
	  ('tara\@bedrock.example', 'Tara', 2, '{campaign_management}', true, false, false),
	  ('theo\@bedrock.example', 'Theo', 3, '{campaign_management}', true, false, false),
	  ('mallory\@bedrock.example', 'Mallory', 1, '{campaign_management}', true, false, false),
	  ('moe\@bedrock.example', 'Moe', 3, '{}', true, true, false),
	  ('sue\@bedrock.example', 'Sue', 2, '{}', true, false, true);
	CREATE ROLE evil_app LOGIN IN ROLE support_client;
	CREATE ROLE evil_agent_app LOGIN IN ROLE support_agent;
	CREATE ROLE evil_manager_app LOGIN IN ROLE support_manager;
	CREATE ROLE evil_login LOGIN IN ROLE support_login;
	CREATE ROLE umbrella_app LOGIN IN ROLE support_client;
});
my %id = map { split /\|/ } split /\n/, $node->safe_psql('desk', q{
	SELECT split_part(email, '@', 1) || '|' || user_id FROM support.account_users
	UNION ALL SELECT split_part(email, '@', 1) || '|' || agent_id FROM support.agents});
my %key = map { $_ => $node->safe_psql('desk', "SELECT support.issue_key($id{$_})") } qw(una eve mallory moe);
$node->safe_psql('desk', "SELECT support.enroll_totp($id{sue})");
my @evil_tickets = split /\n/, $node->safe_psql('desk', qq{
	SELECT t.ticket_id FROM generate_series(1, 12) i,
	       support.open_ticket(2, $id{eve}, 'Evil ticket ' || i, category => 'campaign_performance') t ORDER BY 1});
ok($node->poll_query_until('desk', q{SELECT count(*) = 0 FROM support.outbound_messages WHERE state = 'pending'}),
	'the desk is quiet before the attack');

# Umbrella's P1, its escalation mark (80 % of 15 minutes) 12 s from now
$node->safe_psql('desk', qq{
	SET row_security = off;
	INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier, created_at, updated_at)
	VALUES (1, $id{una}, 'Umbrella campaigns stopped', 'email', 'campaign_performance', 'P1', 1,
	        now() - interval '12 minutes' + interval '12 seconds', now());
	RESET row_security;
	UPDATE support.tickets SET sla_paused = sla_paused WHERE account_id = 1});
my $victim = $node->safe_psql('desk', q{SELECT ticket_id FROM support.tickets WHERE account_id = 1});
my $mark = $node->safe_psql('desk', "SELECT extract(epoch FROM escalation_due) FROM support.tickets WHERE ticket_id = $victim");

# every attack at once
sub session
{
	my ($role, $key) = @_;
	my $s = $node->background_psql('desk', on_error_stop => 0, extra_params => [ '-U', $role ]);
	$s->query("SELECT set_config('support.auth_key', '$key', false) IS NOT NULL") if $key;
	return $s;
}
sub keyed { my ($key) = @_; return "BEGIN; SELECT set_config('support.auth_key', '$key', true) IS NOT NULL;"; }

my $eve_rows = session('evil_app');
$eve_rows->query(keyed($key{eve}) . " SELECT support.post_client_message($evil_tickets[0], 'holding my row') IS NOT NULL;");
my $eve_locks = session('evil_app');
$eve_locks->query(keyed($key{eve}) . ' LOCK TABLE support.tickets IN ACCESS EXCLUSIVE MODE;');
$eve_locks->query('ROLLBACK; CREATE TEMP VIEW all_tickets AS SELECT * FROM support.tickets;'
	  . keyed($key{eve}) . ' LOCK TABLE all_tickets IN ACCESS EXCLUSIVE MODE;');
$eve_locks->query('ROLLBACK;' . keyed($key{eve}) . ' SELECT count(*) FROM support.tickets;');
my $eve_names = session('evil_app');
$eve_names->query(keyed($key{eve}) . qq{
	UPDATE support.account_users SET full_name = repeat('Eve ', 300000) WHERE user_id = $id{eve};
	ROLLBACK;} . keyed($key{eve}) . qq{
	UPDATE support.account_users SET full_name = 'Verify your account at https://evil.example' WHERE user_id = $id{eve};
	ROLLBACK;} . keyed($key{eve}) . qq{
	INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (2, 'victim\@gmail.example', 'Friend', 'admin');
	ROLLBACK;} . keyed($key{eve}) . qq{
	SELECT support.post_client_message($evil_tickets[1], 'prepared') IS NOT NULL;
	PREPARE TRANSACTION 'evil_forever';});
my $mallory = session('evil_agent_app');
$mallory->query(keyed($key{mallory}) . ' SELECT count(*) FROM support.tickets FOR UPDATE;');
$mallory->query('ROLLBACK;' . keyed($key{mallory}) . ' SELECT count(*) FROM support.agents FOR KEY SHARE;');
$mallory->query('ROLLBACK;' . keyed($key{mallory}) . qq{
	SELECT support.add_internal_note($evil_tickets[2], 'and holding this one') IS NOT NULL;
	INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
	VALUES (1, $victim, 'email', 'spy\@evil.example', 'Refund', 'approved');});
my $moe = session('evil_manager_app');
$moe->query(keyed($key{moe}) . q{
	UPDATE support.templates SET body = body || ' {{unsubscribe_link}}' WHERE template = 'initial_response';
	ROLLBACK;} . keyed($key{moe}) . q{
	LOCK TABLE support.agents;
	ROLLBACK;} . keyed($key{moe}) . q{
	UPDATE support.delivery_endpoints SET url = 'https://hooks.slack.com/services/T9/B9/theirs' WHERE endpoint = '*';
	ROLLBACK;});
my $login = session('evil_login');
$login->query(join "\n", map { sprintf("SELECT support.issue_key($id{sue}, '1 hour', '%06d');", $_) } 1 .. 50);
# (on the tickets none of Eve's own sessions holds)
my $war_rooms = session('evil_app');
$war_rooms->query(keyed($key{eve}) . join("\n",
	map { "SAVEPOINT s$_; SELECT support.request_escalation($_, 'escalate it, now') IS NOT NULL; RELEASE s$_;" }
	  @evil_tickets[ 4 .. $#evil_tickets ])
	  . ' COMMIT;');

# the flood: 10,000 client messages in one statement, each queuing a webhook,
# landing just before Umbrella's mark
my $until_flood = $mark - 4 - Time::HiRes::time();
Time::HiRes::sleep($until_flood) if $until_flood > 0;
my $flood = IPC::Run::start([ $node->installed_command('psql'), '-X', '-q', '-d', $node->connstr('desk'), '-U', 'evil_app', '-c',
	keyed($key{eve}) . qq{
	INSERT INTO support.ticket_events (account_id, ticket_id, kind, actor_id, actor_kind, visibility, body)
	SELECT 2, $evil_tickets[3], 'client_message', $id{eve}, 'client', 'public', 'flood ' || i FROM generate_series(1, 10000) i;
	COMMIT;} ], '>', \my $flood_out, '2>', \my $flood_err);

# meanwhile Umbrella opens a ticket
Time::HiRes::sleep(2);
my $opening = Time::HiRes::time();
my $opened = $node->safe_psql('desk', keyed($key{una})
	  . " SELECT ticket_id FROM support.open_ticket(1, $id{una}, 'Reporting is blank', category => 'reporting'); COMMIT;",
	extra_params => [ '-U', 'umbrella_app' ]);
my $opening_took = Time::HiRes::time() - $opening;
like($opened, qr/\d+$/, 'during the attack Umbrella opens a ticket');
ok($opening_took < 2, sprintf('in %.3f s', $opening_took));

# Umbrella's P1 at its mark
ok($node->poll_query_until('desk', "SELECT escalated_at IS NOT NULL FROM support.tickets WHERE ticket_id = $victim"),
	"Umbrella's P1 is escalated");
my $escalated_after = $node->safe_psql('desk', qq{
	SELECT round((extract(epoch FROM e.created_at) - $mark)::numeric, 3) FROM support.ticket_events e
	 WHERE e.ticket_id = $victim AND e.action_key LIKE 'escalation_mark@%'});
ok($escalated_after ne '' && $escalated_after < 2, "within 2 s of its mark ($escalated_after s)");

# and its Slack alert
ok($node->poll_query_until('desk', qq{
	SELECT count(*) > 0 FROM support.outbound_messages
	 WHERE ticket_id = $victim AND destination = 'slack' AND state = 'delivered'}), 'its Slack alert is delivered');
my ($alert_key, $alert_queued) = split /\|/, $node->safe_psql('desk', qq{
	SELECT idempotency_key, extract(epoch FROM created_at) FROM support.outbound_messages
	 WHERE ticket_id = $victim AND destination = 'slack' ORDER BY message_id LIMIT 1});
my $alert_at;
open my $log, '<', $http_log or die "$http_log: $!";
while (my $line = <$log>)
{
	$alert_at = $1 if !defined $alert_at && $line =~ /"key": "\Q$alert_key\E".*"at": ([0-9.]+)/;
}
close $log;
my $alert_after = defined $alert_at ? $alert_at - $alert_queued : 999;
ok($alert_after < 2, sprintf('within 2 s of the escalation that queued it (%.3f s, %.3f s after the mark)',
	$alert_after, (defined $alert_at ? $alert_at : 999) - $mark));

# the attacks did run, and were held off
$flood->finish;
is($node->safe_psql('desk', "SELECT count(*) FROM support.ticket_events WHERE ticket_id = $evil_tickets[3] AND body LIKE 'flood %'"),
	'10000', 'the flood of 10,000 client messages went in');
ok($node->safe_psql('desk', "SELECT count(*) FROM support.outbound_messages WHERE destination = 'webhook' AND ticket_id = $evil_tickets[3]") >= 10000,
	'each queued its webhook');
my $webhooks_after_alert = 0;
open $log, '<', $http_log or die "$http_log: $!";
while (my $line = <$log>)
{
	$webhooks_after_alert++ if $line =~ m{"path": "/hooks/crm".*"at": ([0-9.]+)} && defined $alert_at && $1 > $alert_at;
}
close $log;
ok($webhooks_after_alert > 0, "the alert went ahead of the flood's webhooks ($webhooks_after_alert of them were sent after it)");
is($node->safe_psql('desk', 'SELECT count(*) FROM pg_prepared_xacts'), '0', 'no prepared transaction holds the desk');
is($node->safe_psql('desk', q{SELECT count(*) FROM support.account_users WHERE full_name LIKE 'Eve Eve%' OR full_name LIKE '%://%' OR email LIKE '%gmail%'}),
	'0', 'no huge, phishing or outside name got in');
is($node->safe_psql('desk', q{SELECT count(*) FROM support.outbound_messages WHERE target = 'spy@evil.example'}),
	'0', 'no raw outbox row');
ok($node->safe_psql('desk', q{SELECT count(*) FROM support.war_rooms WHERE account_id = 2}) <= 3,
	'war rooms on demand are capped (3 a day)');
ok($node->poll_query_until('desk', qq{SELECT locked_until IS NOT NULL FROM support.staff_totp WHERE agent_id = $id{sue}}),
	"the login service's sweep of codes locked Sue's second factor");
$_->quit for ($eve_rows, $eve_locks, $eve_names, $mallory, $moe, $login, $war_rooms);

$node->stop;
done_testing();
