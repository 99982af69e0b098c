# The upgrade path: install every released version, fill it with work, run
# ALTER EXTENSION ... UPDATE, and compare the result with a fresh install of
# the default version, the one in development. Data must survive and keep
# working. The released versions are those extension/releases lists; each
# but the default has its install script frozen in extension/ (make next).
# Until the next version exists the update is a no-op and the comparison
# still runs.
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
my $extension = "$FindBin::RealBin/../../extension";
open(my $releases, '<', "$extension/releases") or die "extension/releases: $!";
my @released = sort { version_key($a) cmp version_key($b) }
  map { /^([0-9.]+) sha256:[0-9a-f]{64}$/ ? $1 : () } <$releases>;
close($releases);
ok(scalar(@released) >= 1, "there is a released version to upgrade from (released: @released)");
ok(version_key($released[-1]) le version_key($default),
	"the default version $default is the latest release or the one after it");
foreach my $version (grep { $_ ne $default } @released)
{
	ok(-f "$extension/bedrock_support--$version.sql", "released ${version}'s install script is frozen in extension/");
}
if ($released[-1] ne $default)
{
	ok(-f "$extension/bedrock_support--$released[-1]--$default.sql",
		"the development version $default has its one upgrade script from $released[-1]");
}
else
{
	note("$default is released and no development version exists yet: its update is a no-op");
}

# every "-- recomputes:" column of the upgrade scripts from $from to the default
sub recomputed_columns
{
	my ($from) = @_;
	my @columns;
	foreach my $script (glob("$extension/bedrock_support--*--*.sql"))
	{
		my ($old) = $script =~ /--([0-9.]+)--[0-9.]+\.sql$/;
		next if version_key($old) lt version_key($from);
		open(my $in, '<', $script) or die "$script: $!";
		push @columns, map { /^-- recomputes: (.*)$/ ? split(/,\s*/, $1) : () } <$in>;
		close($in);
	}
	return @columns;
}

sub version_key { return join '.', map { sprintf '%05d', $_ } split /\./, shift; }

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION bedrock_support');
my $fresh = BedrockTest::catalog_description($node, 'fresh');

foreach my $version (@released)
{
	my $db = 'from_' . ($version =~ s/\W/_/gr);
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	# the workers stay out: the delivery worker would park the scenario's
	# messages without an endpoint while the rows are compared
	$node->safe_psql('postgres', "ALTER DATABASE $db SET support.worker_enabled = off");
	$node->safe_psql($db, "CREATE EXTENSION bedrock_support VERSION '$version'");
	BedrockTest::load_scenario($node, $db);
	my $shape = BedrockTest::table_columns($node, $db);
	# columns an upgrade script declares it recomputes ("-- recomputes:
	# table.column, ..."), because a rule behind them changed, are left out
	foreach my $column (recomputed_columns($version))
	{
		my ($table, $name) = split /\./, $column;
		$shape->{$table} = join ', ', grep { $_ ne "t.$name" } split /, /, $shape->{$table};
	}
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
