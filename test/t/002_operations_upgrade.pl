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
	ok(-f "$extension/upgrade/bedrock_support--$released[-1]--$default.sql",
		"the development version $default has its one upgrade script from $released[-1], in extension/upgrade/");
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
	foreach my $script (glob("$extension/bedrock_support--*--*.sql $extension/upgrade/bedrock_support--*--*.sql"))
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
# Under wal_level = minimal (this cluster's), a sequence created and drawn
# from in one transaction keeps its fetch-ahead unlogged, and went back
# after a crash: the install leaves none with values fetched ahead.
my @fetched_ahead = grep { $node->safe_psql('fresh', "SELECT log_cnt FROM support.$_") ne '0' }
  split /\n/, $node->safe_psql('fresh', q{SELECT relname FROM pg_class WHERE relnamespace = 'support'::regnamespace AND relkind = 'S' ORDER BY 1});
is("@fetched_ahead", '', 'a fresh install leaves no sequence with unlogged values fetched ahead');

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

# 1.1 bounds message bodies (1 MB) and endpoint URLs (8 kB). A 1.0 row over a
# bound is kept, and the upgrade warns; a 1.0 message over it still waiting
# to be sent is a dead letter, since the claim that would write it (its
# attempt, its lease) would fail and stop every other message with it.
if ((grep { $_ eq '1.0' } @released) && $default ne '1.0')
{
	$node->safe_psql('postgres', 'CREATE DATABASE oversized');
	$node->safe_psql('postgres', 'ALTER DATABASE oversized SET support.worker_enabled = off');
	$node->safe_psql('oversized', q{
		CREATE EXTENSION bedrock_support VERSION '1.0';
		INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret)
		VALUES ('crm', 'webhook', 'https://crm.example/hooks?token=' || repeat('t', 9000), 'crm-signing-secret-0123'),
		       ('unsigned', 'webhook', 'https://erp.example/hooks', NULL);
		INSERT INTO support.outbound_messages (account_id, destination, target, subject, body, state) VALUES
		  (1, 'webhook', 'crm', 'huge, waiting', repeat('x', 1100000), 'pending'),
		  (1, 'webhook', 'crm', 'huge, sent', repeat('x', 1100000), 'delivered'),
		  (1, 'webhook', 'crm', 'small, waiting', 'hello', 'pending');
		-- 1.1 bounds names and checks templates when written (#23)
		INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Acme <b>Ads</b>', 'UTC', 1);
		INSERT INTO support.account_users (account_id, email, full_name, role) VALUES
		  (1, 'ann@acme.example', E'Ann\nVerify your account at https://evil.example', 'admin'),
		  (1, 'bob@acme.example', repeat('Bob ', 300), 'campaign_manager'),
		  (1, 'cy@acme.example', 'Cy Plain', 'campaign_manager');
		UPDATE support.templates SET body = body || ' {{unsubscribe_link}}' WHERE template = 'initial_response'});
	my ($result, $stdout, $stderr) = $node->psql('oversized', 'ALTER EXTENSION bedrock_support UPDATE');
	is($result, 0, 'an update from 1.0 with rows over the new bounds succeeds');
	like($stderr, qr/support\.outbound_messages has rows from before 1\.1 that break messages_are_at_most_1_mb/,
		'and warns of the outbox rows over 1 MB');
	like($stderr, qr/support\.delivery_endpoints has rows from before 1\.1 that break urls_are_at_most_8_kb/,
		'and of the endpoint URL over 8 kB');
	like($stderr, qr/support\.delivery_endpoints has rows from before 1\.1 that break webhooks_are_signed.*\n.*HINT:  A webhook endpoint without a secret sends unsigned webhooks/,
		'and of the webhook endpoint without a signing secret, saying what to do');
	like($stderr, qr/3 names from before 1\.1 were longer than 200 characters, not one line, or carried markup or a web address/,
		'and of the names it made one short plain line');
	like($stderr, qr/template "initial_response" uses unsubscribe_link, which the desk does not fill/,
		'and of the template with a placeholder the desk does not fill');
	is($node->safe_psql('oversized', q{
		SELECT string_agg(name, E'\n') FROM (SELECT name FROM support.accounts UNION ALL
		   SELECT full_name FROM (SELECT full_name FROM support.account_users ORDER BY email) u) n}),
		"Acme  b Ads /b\nAnn Verify your account at https evil.example\n" . ('Bob ' x 49) . "Bob\nCy Plain",
		'the names are one short plain line each, and a plain one is as it was');
	is($node->safe_psql('oversized', q{
		SELECT count(*) FROM pg_trigger WHERE tgname IN ('templates_are_filled', 'users_at_the_account_domains')}),
		'2', 'and what is written from now on is checked');
	is($node->safe_psql('oversized', q{
		SELECT string_agg(subject || ': ' || state || COALESCE(' (' || last_error || ')', ''), E'\n' ORDER BY subject)
		  FROM support.outbound_messages}),
		"huge, sent: delivered\nhuge, waiting: dead (not sent: it is over 1 MB, the bound since 1.1)\nsmall, waiting: pending",
		'the waiting message over 1 MB is a dead letter; the others are as they were');
	is($node->safe_psql('oversized', q{
		SELECT string_agg(m.subject, ', ') FROM support.claim_messages(10, 16777216, 60000, now()) c
		  JOIN support.outbound_messages m USING (account_id, message_id)}),
		'small, waiting', 'and the claim goes on with the rest');
	is($node->safe_psql('oversized', q{
		SELECT conname || ' ' || convalidated FROM pg_constraint
		 WHERE conname IN ('bodies_are_at_most_1_mb', 'messages_are_at_most_1_mb', 'urls_are_at_most_8_kb', 'webhooks_are_signed')
		 ORDER BY conrelid::regclass::text, conname}),
		"urls_are_at_most_8_kb false\nwebhooks_are_signed false\nmessages_are_at_most_1_mb false\nbodies_are_at_most_1_mb true",
		'a bound an old row breaks holds for rows written from now on (not validated), the others are validated');
}

$node->stop;
done_testing();
