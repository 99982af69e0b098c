# business_add and business_diff against a brute-force reference: a
# separate C program (test/reference/business_time_reference.c) that walks
# minute by minute through local time as the C library reports it, on
# thousands of random schedules, zones with DST, holidays and amounts up to
# several weeks. The seed is fixed so a failure reproduces; set
# BUSINESS_TIME_SEED to explore others.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Utils;
use PostgreSQL::Test::Cluster;
use Test::More;
use BedrockTest;

my $cases = 3000;
my $seed = $ENV{BUSINESS_TIME_SEED} // 20261127;
my $dir = PostgreSQL::Test::Utils::tempdir();
my $source = "$FindBin::RealBin/../reference/business_time_reference.c";
my $program = "$dir/business_time_reference";
my $table = "$dir/cases.tsv";

my ($out, $err) = run_command([ $ENV{CC} // 'cc', '-O2', '-o', $program, $source ]);
ok(-x $program, 'the reference program builds') or diag($err);
system("'$program' $seed $cases > '$table'") == 0 or BAIL_OUT("reference program failed");
my $lines = () = do { open my $fh, '<', $table or die; <$fh> };
is($lines, $cases, "the reference computed $cases cases (seed $seed)");

my $node = BedrockTest::new_node('reference');
$node->safe_psql('postgres', 'CREATE EXTENSION bedrock_support');
$node->safe_psql('postgres', qq{
	CREATE TABLE cases (kind text, hours text, holidays date[], a bigint, b bigint, expected bigint);
	\\copy cases FROM '$table'
});

my $summary = $node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE kind = 'add') || ' ' || count(*) FILTER (WHERE kind = 'diff')
	       || ' ' || count(DISTINCT split_part(hours, ' @ ', 2))
	       || ' ' || count(*) FILTER (WHERE holidays <> '{}')
	       || ' ' || count(*) FILTER (WHERE kind = 'add' AND b > 5 * 1440)
	       || ' ' || count(*) FILTER (WHERE kind = 'diff' AND expected < 0)
	  FROM cases});
my ($adds, $diffs, $zones, $with_holidays, $multi_day, $negative) = split / /, $summary;
ok($adds > 1000 && $diffs > 1000, "both functions are covered ($adds adds, $diffs diffs)");
is($zones, 6, 'all six zones are covered');
ok($with_holidays > 1000 && $multi_day > 100 && $negative > 100,
	"holidays ($with_holidays), multi-day amounts ($multi_day) and negative spans ($negative) are covered");

my $wrong_adds = $node->safe_psql('postgres', q{
	SELECT count(*) || coalesce(E'\n' || string_agg(format('%s | %s | from %s + %s min: want %s, got %s',
	           hours, holidays, to_timestamp(a), b, to_timestamp(expected), got), E'\n'), '')
	  FROM (SELECT c.*, support.business_add(to_timestamp(a), make_interval(mins => b::int),
	                                         hours::support.business_hours, holidays) AS got
	          FROM cases c WHERE kind = 'add') r
	 WHERE got <> to_timestamp(expected)});
is($wrong_adds, '0', 'business_add equals the minute-by-minute reference on every case');

my $wrong_diffs = $node->safe_psql('postgres', q{
	SELECT count(*) || coalesce(E'\n' || string_agg(format('%s | %s | %s .. %s: want %s min, got %s',
	           hours, holidays, to_timestamp(a), to_timestamp(b), expected, got), E'\n'), '')
	  FROM (SELECT c.*, support.business_diff(to_timestamp(a), to_timestamp(b),
	                                          hours::support.business_hours, holidays) AS got
	          FROM cases c WHERE kind = 'diff') r
	 WHERE got <> make_interval(mins => expected::int)});
is($wrong_diffs, '0', 'business_diff equals the minute-by-minute reference on every case');

my $round_trip = $node->safe_psql('postgres', q{
	SELECT count(*) FROM cases c
	 WHERE kind = 'add'
	   AND support.business_diff(to_timestamp(a),
	                             support.business_add(to_timestamp(a), make_interval(mins => b::int),
	                                                  hours::support.business_hours, holidays),
	                             hours::support.business_hours, holidays)
	       <> make_interval(mins => b::int)});
is($round_trip, '0', 'business_diff(s, business_add(s, a)) = a on every case');

$node->stop;
done_testing();
