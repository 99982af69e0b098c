# The extension's types from an ordinary client library: psycopg2 binds
# strings and lists of strings against support.priority and the enums with
# the server's default search_path (no schema support on it), as an
# application or a BI tool would. The SQL side of the same checks, with the
# plans, is sql/tickets_client_types.sql.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use BedrockTest;

my $python = '/usr/bin/python3';
my $node = BedrockTest::new_node('client_types');
$node->safe_psql('postgres', 'CREATE DATABASE desk');
$node->safe_psql('desk', q{
	CREATE EXTENSION bedrock_support;
	INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Acme', 'UTC', 2);
	INSERT INTO support.account_users (account_id, email, full_name, role) VALUES (1, 'ada@acme.example', 'Ada', 'admin');
	INSERT INTO support.agents (email, full_name, tier) VALUES ('tom@bedrock.example', 'Tom', 2);
	SELECT support.open_ticket(1, u.user_id, 'outage', category => 'service_outage') FROM support.account_users u;
	SELECT support.open_ticket(1, u.user_id, 'numbers', category => 'data_discrepancy') FROM support.account_users u;
	SELECT support.open_ticket(1, u.user_id, 'question', category => 'general_inquiry') FROM support.account_users u;
	SELECT support.change_status(t.ticket_id, 'triaged', g.agent_id)
	  FROM support.tickets t, support.agents g WHERE t.subject = 'numbers';
});

my $conninfo = $node->connstr('desk');
my ($stdout, $stderr) = ('', '');
my $ran = IPC::Run::run([ $python, "$FindBin::RealBin/../clients/psycopg2_types.py", $conninfo ],
	'>', \$stdout, '2>', \$stderr);
ok($ran, 'the psycopg2 client ran') or diag($stderr);
like($stdout, qr/^search_path "\$user", public$/m, 'with the default search_path');
my @checks = grep { /^(not )?ok / } split /\n/, $stdout;
is(scalar(@checks), 10, 'every client check reported');
foreach my $line (@checks)
{
	my ($verdict, $what) = $line =~ /^((?:not )?ok) (.*)$/;
	is($verdict, 'ok', $what);
}

$node->stop;
done_testing();
