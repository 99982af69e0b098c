# A DBA's cluster with several desks, at the default settings: one worker
# per desk beside the launcher, so with three desks a parallel query still
# gets its workers (max_worker_processes = 8); CREATE DATABASE ... TEMPLATE
# of a desk whose worker runs, and the copy getting a worker of its own.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use BedrockTest;

my $node = BedrockTest::new_node('desks');
is($node->safe_psql('postgres', 'SHOW max_worker_processes'), '8', 'the default max_worker_processes');

sub workers_of
{
	my ($db) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'bedrock_support%' AND datname = '$db'});
}

foreach my $desk (qw(north south east))
{
	$node->safe_psql('postgres', "CREATE DATABASE $desk");
	$node->safe_psql($desk, 'CREATE EXTENSION bedrock_support');
}
foreach my $desk (qw(north south east))
{
	ok($node->poll_query_until('postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = '$desk'}),
		"desk $desk has its worker");
}
# (a database without the extension had a worker only as long as it took to look)
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 4 FROM pg_stat_activity WHERE backend_type LIKE 'bedrock_support%'}),
	'three desks: the launcher and one worker each, four processes in all');
is(workers_of('north'), '1', 'one process per desk, for its deadlines and its deliveries alike');

# a parallel query asks for 2 workers and gets them
$node->safe_psql('north', 'CREATE TABLE big AS SELECT i FROM generate_series(1, 200000) i; ANALYZE big');
my $plan = $node->safe_psql('north', q{
	SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
	SET max_parallel_workers_per_gather = 2;
	EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM big});
like($plan, qr/Workers Planned: 2/, 'a parallel query plans 2 workers');
like($plan, qr/Workers Launched: 2/, 'and with three desks running, it gets both');

# CREATE DATABASE ... TEMPLATE of a desk whose worker is connected
$node->safe_psql('north', q{
	INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Copied Co', 'UTC', 1)});
$node->safe_psql('postgres', 'CREATE DATABASE north_copy TEMPLATE north');
pass('CREATE DATABASE ... TEMPLATE a desk with its worker connected');
is($node->safe_psql('north_copy', 'SELECT name FROM support.accounts'), 'Copied Co', 'the copy has the desk\'s data');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = 'north_copy'}),
	'the copy gets a worker of its own');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = 'north'}),
	'and the desk gets its worker back');

$node->stop;
done_testing();
