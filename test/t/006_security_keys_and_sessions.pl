# Keys behind a real pgbouncer in transaction pooling mode, where the next
# transaction on a server connection may be another client's: a key set with
# SET LOCAL is that transaction's only, a key left by a plain SET is refused
# rather than lent to the next client (even re-armed by a savepoint's
# rollback) and never shown to it, and concurrent clients of two accounts
# sharing two server connections never see each other's tickets. Then an
# assumption made through the pool outlives the server connection that made
# it and a crash restart, and ends when its super user logs out.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use Time::HiRes;
use IPC::Run;
use BedrockTest;

my $pgbouncer = '/usr/sbin/pgbouncer';
plan skip_all => "pgbouncer is not installed (make test installs it)" unless -x $pgbouncer;

my $node = BedrockTest::new_node('keys');
$node->append_conf('postgresql.conf', "support.max_sleep = 200\n");
$node->reload;
$node->safe_psql('postgres', 'CREATE DATABASE bedrock');
$node->safe_psql('bedrock', 'CREATE EXTENSION bedrock_support');
$node->safe_psql('bedrock', q{
	INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Acme', 'UTC', 2), ('Globex', 'UTC', 2);
	INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
	  (1, 'ada@acme.example', 'Ada', 'admin'), (2, 'gil@globex.example', 'Gil', 'admin');
	INSERT INTO support.agents (email, full_name, tier, is_super_user)
	VALUES ('sue@bedrock.example', 'Sue', 2, true);
	SELECT support.open_ticket(1, 1, 'Acme ticket ' || n, category => 'reporting') FROM generate_series(1, 3) n;
	SELECT support.open_ticket(2, 2, 'Globex ticket ' || n, category => 'reporting') FROM generate_series(1, 5) n;
	CREATE ROLE app_client LOGIN IN ROLE support_client;
	CREATE ROLE app_console LOGIN IN ROLE support_super_user, support_client;
});
my $ada = $node->safe_psql('bedrock', q{SELECT user_id FROM support.account_users WHERE email = 'ada@acme.example'});
my $gil = $node->safe_psql('bedrock', q{SELECT user_id FROM support.account_users WHERE email = 'gil@globex.example'});
my $sue = $node->safe_psql('bedrock', q{SELECT agent_id FROM support.agents WHERE email = 'sue@bedrock.example'});
my $key_ada = $node->safe_psql('bedrock', "SELECT support.issue_key($ada)");
my $key_gil = $node->safe_psql('bedrock', "SELECT support.issue_key($gil)");

# pgbouncer, transaction pooling, at most two server connections
my $bouncer_port = PostgreSQL::Test::Cluster::get_free_port();
my $bouncer_dir = "${PostgreSQL::Test::Utils::tmp_check}/pgbouncer";
mkdir $bouncer_dir;
append_to_file("$bouncer_dir/users.txt", qq{"app_client" ""\n"app_console" ""\n});
my $host = $node->host;
my $port = $node->port;
append_to_file("$bouncer_dir/pgbouncer.ini", <<"INI");
[databases]
bedrock = host=$host port=$port dbname=bedrock
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $bouncer_dir/users.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
logfile = $bouncer_dir/pgbouncer.log
pidfile = $bouncer_dir/pgbouncer.pid
INI
my $bouncer = IPC::Run::start([ $pgbouncer, "$bouncer_dir/pgbouncer.ini" ]);
END { local $?; $bouncer->kill_kill if $bouncer; }

my $psql = $node->installed_command('psql');
sub through_bouncer
{
	my ($sql, $user) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $psql, '-XAtq', '-h', '127.0.0.1', '-p', $bouncer_port, '-U', $user // 'app_client',
		'-d', 'bedrock', '-c', $sql ], '>', \$out, '2>', \$err);
	chomp $out;
	return ($out, $err);
}
for my $try (1 .. 100)
{
	my ($out) = through_bouncer('SELECT 1');
	last if $out eq '1';
	select(undef, undef, undef, 0.1);
}

my ($out, $err) = through_bouncer(
	"BEGIN; SET LOCAL support.auth_key = '$key_ada'; SELECT count(*) FROM support.tickets; COMMIT;");
is($out, '3', "through pgbouncer, a key set with SET LOCAL shows its account's tickets");
($out) = through_bouncer(
	"BEGIN; SELECT set_config('support.auth_key', '$key_gil', true); SELECT count(*) FROM support.tickets; COMMIT;");
like($out, qr/\n5$/, 'set_config(..., true) works the same, for the other account');
($out) = through_bouncer('SELECT count(*) FROM support.tickets');
is($out, '0', "the next client's transaction, on the same server connections, has no key and sees nothing");

# A plain SET outlives its transaction on the server connection; with a
# pool of one, the next client's statement lands on that same connection.
my ($pid_a) = through_bouncer("SET support.auth_key = '$key_ada'; SELECT pg_backend_pid()");
($out, $err) = through_bouncer('SELECT pg_backend_pid(), (SELECT count(*) FROM support.tickets)');
my $shared = $node->safe_psql('bedrock',
	"SELECT count(*) FROM pg_stat_activity WHERE usename = 'app_client' AND pid = $pid_a");
is($shared, '1', 'the server connection that took the plain SET is still pooled');
is($out, '', 'a key left by a plain SET is not lent to the next client');
like($err, qr/support.auth_key was not set by SET LOCAL in this transaction/,
	'who gets a clear refusal instead');

# Nor does a plain SET of the desk's other settings act for the next
# client: Acme's leftover auto_assign = off does not leave Gil's new ticket
# unassigned.
$node->safe_psql('bedrock', q{INSERT INTO support.agents (email, full_name, tier, skills, on_shift)
	VALUES ('rita@bedrock.example', 'Rita Reports', 1, '{reporting}', true)});
my ($pid_left) = through_bouncer("SET support.auto_assign = off; SET support.change_reason = 'Refund approved by the CEO';"
	  . " SELECT pg_backend_pid()");
my ($pid_gil, $assigned) = ('', '');
for my $try (1 .. 20)	# until Gil's transaction lands on that server connection
{
	($out, $err) = through_bouncer("BEGIN; SELECT set_config('support.auth_key', '$key_gil', true) IS NOT NULL;"
		  . " SELECT pg_backend_pid(); SELECT assignee_id IS NOT NULL FROM support.open_ticket(2, $gil, 'Pooled', category => 'reporting');"
		  . " ROLLBACK;");
	($pid_gil, $assigned) = (split /\n/, $out)[1, 2];
	last if ($pid_gil // '') eq $pid_left;
}
is($pid_gil, $pid_left, "Gil's transaction ran on the server connection Acme's client left its SETs on");
is($assigned, 't', 'his new ticket is assigned, as the desk is set');
like($err, qr/support.auto_assign was not set for this transaction: it is ignored/, 'and he is told why');

# Concurrent clients of two accounts share two server connections; each
# transaction fails (division by zero) if it sees another account's ticket or none.
my $script = "$bouncer_dir/isolation.sql";
append_to_file($script, <<'SQL');
BEGIN;
SELECT set_config('support.auth_key', ':key', true);
SELECT 1 / CASE WHEN count(*) FILTER (WHERE account_id <> :account) > 0 OR count(*) = 0 THEN 0 ELSE 1 END FROM support.tickets;
SELECT 1 / CASE WHEN support.current_account_id() <> :account THEN 0 ELSE 1 END;
COMMIT;
SQL
my $pgbench = $node->installed_command('pgbench');
my @runs;
for my $client ([ $key_ada, 1 ], [ $key_gil, 2 ])
{
	my ($bench_out, $bench_err) = ('', '');
	my $run = IPC::Run::start([ $pgbench, '-n', '-h', '127.0.0.1', '-p', $bouncer_port, '-U', 'app_client',
		'-c', 4, '-t', 200, '-f', $script, '-D', "key=$client->[0]", '-D', "account=$client->[1]", 'bedrock' ],
		'>', \$bench_out, '2>', \$bench_err);
	push @runs, [ $run, \$bench_out, \$bench_err ];
}
for my $run (@runs)
{
	ok($run->[0]->finish, 'pgbench through pgbouncer: 800 transactions, every one saw only its own account')
	  or diag(${ $run->[2] });
	like(${ $run->[1] }, qr/number of transactions actually processed: 800/, 'all of them ran');
}
my $servers = $node->safe_psql('bedrock', "SELECT count(*) FROM pg_stat_activity WHERE usename = 'app_client'");
ok($servers <= 2, "the two accounts' 8 clients shared at most two server connections ($servers)");

# The pooled-connection trick of the security review: the next client rolls
# back a local SET to bring the leftover key back, or reads it.
($pid_a) = through_bouncer("SET support.auth_key = '$key_ada'; SELECT pg_backend_pid()");
($out, $err) = through_bouncer("BEGIN; SAVEPOINT s; SET LOCAL support.auth_key = ''; ROLLBACK TO s;"
	  . " SELECT pg_backend_pid(), (SELECT count(*) FROM support.tickets); COMMIT;");
is($out, '', 'a leftover key re-armed by ROLLBACK TO SAVEPOINT is not lent either');
like($err, qr/support.auth_key was not set by SET LOCAL in this transaction/, 'it is refused, clearly');
($out) = through_bouncer("SELECT pg_backend_pid() = $pid_a, current_setting('support.auth_key')");
like($out, qr/^[tf]\|(\(hidden\))?$/, 'nor can the next client read it back');
unlike($out, qr/bsk_/, 'no key in what it read');

# An assumption made through the pool lives with the super user's key, not
# with the server connection that happened to run assume_user_role.
$node->safe_psql('bedrock', "SELECT support.enroll_totp($sue)");
my $key_sue = $node->safe_psql('bedrock',
	"SELECT support.issue_key($sue, '8 hours', support.totp(secret)) FROM support.staff_totp WHERE agent_id = $sue");
my ($assumed) = through_bouncer("BEGIN; SELECT set_config('support.auth_key', '$key_sue', true) IS NOT NULL;"
	  . " SELECT auth_key FROM support.assume_user_role($ada, 'Checking the Acme report, ticket 10001'); COMMIT;",
	'app_console');
$assumed = (split /\n/, $assumed)[-1];
like($assumed, qr/^bsk_[0-9a-f]{64}$/, 'the console assumed Ada through the pool');
sub count_as_assumed
{
	my ($out, $err) = through_bouncer(
		"BEGIN; SET LOCAL support.auth_key = '$assumed'; SELECT count(*) FROM support.tickets; COMMIT;",
		'app_console');
	return $out ne '' ? $out : $err;
}
is(count_as_assumed(), '3', 'the next transaction acts as Ada with the assumed key');
# the pool closes its server connections (as server_idle_timeout would)
$node->safe_psql('bedrock', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app_console'");
$node->poll_query_until('bedrock', "SELECT count(*) = 0 FROM pg_stat_activity WHERE usename = 'app_console'")
  or die 'the console server connections did not end';
my $works = '';
for my $try (1 .. 20)	# pgbouncer notices its closed connections on their next use
{
	$works = count_as_assumed();
	last if $works eq '3';
	select(undef, undef, undef, 0.1);
}
is($works, '3', 'the assumption outlives the server connection that made it');
# (a manager's rule, numbered by a sequence the install drew from)
$node->safe_psql('bedrock', q{INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('Before the crash', 'refund')});
$node->stop('immediate');
$node->start;
is($node->safe_psql('bedrock', q{INSERT INTO support.dissatisfaction_rules (name, keywords) VALUES ('After the crash', 'chargeback')
	RETURNING rule_id > (SELECT max(rule_id) FROM support.dissatisfaction_rules WHERE name = 'Before the crash')}),
	't', 'after a crash restart the configuration sequences go on where they were');
for my $try (1 .. 50)
{
	$works = count_as_assumed();
	last if $works eq '3';
	select(undef, undef, undef, 0.2);
}
is($works, '3', 'and a crash restart');
is($node->safe_psql('bedrock', q{SELECT count(*) FROM support.assumption_audit WHERE action = 'expired'}), '0',
	'the worker has ended nothing');

# the super user logs out: the assumption ends with the key
through_bouncer("SELECT support.revoke_key('$key_sue')", 'app_console');
like(count_as_assumed(), qr/support.auth_key was released/, 'logging out ends the assumption');
is($node->safe_psql('bedrock', q{SELECT count(*) FROM support.assumption_audit WHERE action IN ('released', 'expired')}), '1',
	'and the trail records its end');

# Wrong one-time codes: counted outside the failing transactions, they lock
# the second factor at the fifth, and the worker audits them at once and
# writes the lockout down, so it outlives a crash restart.
my $sam = $node->safe_psql('bedrock', q{
	INSERT INTO support.agents (email, full_name, tier, on_shift, is_super_user)
	VALUES ('sam@bedrock.example', 'Sam Second', 2, true, true) RETURNING agent_id});
$node->safe_psql('bedrock', "SELECT support.enroll_totp($sam)");
my $wrong_at = Time::HiRes::time();
for my $code (qw(000000 111111 222222 333333 444444))
{
	my ($rc, $stdout, $stderr) = $node->psql('bedrock', "SELECT support.issue_key($sam, '1 hour', '$code')");
	like($stderr, qr/the one-time code is not valid/, "wrong code $code refused");
}
$node->poll_query_until('bedrock', "SELECT locked_until > now() FROM support.staff_totp WHERE agent_id = $sam")
  or die 'the lockout was not written down';
my $recorded_after = Time::HiRes::time() - $wrong_at;
ok($recorded_after < 2, sprintf('the worker wrote the lockout down %.2f s after the wrong codes began', $recorded_after));
is($node->safe_psql('bedrock', qq{
	SELECT count(*) FILTER (WHERE details->>'operation' = 'enrolled') || ' enrolled, '
	       || sum((details->>'wrong_codes')::int) || ' wrong codes, '
	       || count(*) FILTER (WHERE details->>'operation' = 'locked_out') || ' lockout'
	  FROM support.security_audit WHERE kind = 'second_factor' AND subject_id = $sam}),
	'1 enrolled, 5 wrong codes, 1 lockout', 'and audited the enrolment, the five wrong codes and the lockout');
$node->stop('immediate');
$node->start;
my ($rc, $stdout, $stderr) = $node->psql('bedrock',
	"SELECT support.issue_key($sam, '1 hour', support.totp(secret)) FROM support.staff_totp WHERE agent_id = $sam");
like($stderr, qr/the second factor of user $sam is locked until/, 'after a crash restart the right code is still refused');
$node->safe_psql('bedrock', "SELECT support.enroll_totp($sam)");
like($node->safe_psql('bedrock',
	"SELECT support.issue_key($sam, '1 hour', support.totp(secret)) FROM support.staff_totp WHERE agent_id = $sam"),
	qr/^bsk_/, 'until a superuser enrolls a new second factor');

done_testing();
