# pg_dump and pg_restore bring back everything: seeded configuration as a
# manager edited it, added configuration, and every account, ticket and
# event, without duplicates; sequences continue where they were.
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
