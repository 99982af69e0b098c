# Every upgrade path: install each earlier version, fill it with work, run
# ALTER EXTENSION ... UPDATE, and compare the result with a fresh install
# of the default version. Data must survive and keep working.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use BedrockTest;

my $node = BedrockTest::new_node('upgrade');

my $default = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'bedrock_support'});
my @older = split /\n/, $node->safe_psql('postgres', qq{
	SELECT version FROM pg_available_extension_versions
	 WHERE name = 'bedrock_support' AND version <> '$default' ORDER BY version});
ok(scalar(@older) >= 1, "there are earlier versions to upgrade from (default is $default)");

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION bedrock_support');
my $fresh = BedrockTest::catalog_description($node, 'fresh');

foreach my $version (@older)
{
	my $db = 'from_' . ($version =~ s/\W/_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION bedrock_support VERSION '$version'");
	BedrockTest::load_scenario($node, $db);
	my $shape = BedrockTest::table_columns($node, $db);
	my $before = BedrockTest::snapshot($node, $db, $shape);

	$node->safe_psql($db, 'ALTER EXTENSION bedrock_support UPDATE');
	is($node->safe_psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'bedrock_support'}),
		$default, "$version: updated to $default");
	is(BedrockTest::catalog_description($node, $db), $fresh,
		"$version: the upgraded schema equals a fresh install of $default");
	# an upgrade may seed new configuration rows; every old row must remain as it was
	is(BedrockTest::missing_lines($before, BedrockTest::snapshot($node, $db, $shape)), '',
		"$version: every row survived the upgrade");
	is($node->safe_psql($db, q{
		SELECT count(*) FILTER (WHERE first_response_due IS NULL OR resolution_due IS NULL)
		  FROM support.tickets}), '0', "$version: tickets from before the SLA engine have deadlines");
	is($node->safe_psql($db, q{SELECT sum(tickets) FROM support.response_kpis}), '2',
		"$version: the new version's views read the old data");
	is($node->safe_psql($db, q{
		SELECT (support.change_status(ticket_id, 'triaged', (SELECT agent_id FROM support.agents LIMIT 1))).status
		  FROM support.tickets WHERE status = 'new' LIMIT 1}),
		'triaged', "$version: the lifecycle keeps working on upgraded data");
}

$node->stop;
done_testing();
