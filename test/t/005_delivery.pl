# The delivery worker against local receivers (test/receivers/): an HTTP
# receiver that answers 200, 500, 429 with Retry-After, hangs or drops the
# connection on command and checks signatures, and an SMTP sink. Delivered
# once; retried after outages; dead-lettered after the limit; nothing sent
# for a rolled-back transaction; nothing lost and each message delivered
# (de-duplicated by its idempotency key) across an immediate shutdown in
# the middle of a burst; a hanging receiver stalls neither the other
# deliveries nor the escalation worker; secrets stay secret; messages
# libcurl cannot send (a malformed URL, an 8 MB URL, an unsupported
# protocol) are dead letters at once while the rest of their claim is sent,
# and the worker's memory stays flat; a message in flight at an immediate
# shutdown is sent again within seconds of the restart, under its key.
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
my $slack_secret_path = 'T0SECRET/B0SECRET/slackTOKENabc123';

my $http_port = PostgreSQL::Test::Cluster::get_free_port();
my $smtp_port = PostgreSQL::Test::Cluster::get_free_port();
my $closed_port = PostgreSQL::Test::Cluster::get_free_port();
my $http_log = "${PostgreSQL::Test::Utils::tmp_check}/http_receiver.log";
my $smtp_log = "${PostgreSQL::Test::Utils::tmp_check}/smtp_sink.log";
my $http = IPC::Run::start([ $python, "$receivers/http_receiver.py", $http_port, $http_log, $secret ]);
my $smtp = IPC::Run::start([ $python, "$receivers/smtp_sink.py", $smtp_port, $smtp_log ]);
END { local $?; $http->kill_kill if $http; $smtp->kill_kill if $smtp; }

# the receiver's answers and statistics, through curl's command-line cousin: Perl
sub http_request
{
	my ($method, $path, $body) = @_;
	require IO::Socket::INET;
	for my $try (1 .. 50)
	{
		my $socket = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $http_port, Proto => 'tcp');
		if (!$socket) { select(undef, undef, undef, 0.1); next; }
		$body //= '';
		print $socket "$method $path HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " . length($body)
		  . "\r\nConnection: close\r\n\r\n$body";
		local $/;
		my $response = <$socket>;
		close $socket;
		$response =~ s/^.*?\r\n\r\n//s;
		return $response;
	}
	die "the HTTP receiver does not answer";
}
sub control { http_request('POST', '/control', $_[0]); }
sub stats
{
	my $json = http_request('GET', '/stats');
	my %stats = map { $_ => ($json =~ /"$_": (\d+)/ ? $1 : undef) } qw(requests distinct duplicates bad_signatures);
	return \%stats;
}
sub smtp_lines
{
	return () unless -e $smtp_log;
	open my $fh, '<', $smtp_log or die;
	my @lines = <$fh>;
	close $fh;
	return @lines;
}

my $node = PostgreSQL::Test::Cluster->new('delivery');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'bedrock_support'
restart_after_crash = on
support.delivery_backoff = '200ms'
support.delivery_timeout = '2s'
support.delivery_connect_timeout = '1s'
support.delivery_max_attempts = 4
});
$node->start;
control('{"mode": "ok"}');    # the receiver is up

$node->safe_psql('postgres', 'CREATE DATABASE desk');
$node->safe_psql('postgres', q{ALTER DATABASE desk SET search_path = "$user", public, support});
$node->safe_psql('desk', 'CREATE EXTENSION bedrock_support');
$node->safe_psql('desk', qq{
	INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, sender) VALUES
	  ('*', 'slack', 'http://127.0.0.1:$http_port/services/$slack_secret_path', NULL, NULL),
	  ('#lost-channel', 'slack', 'http://127.0.0.1:$closed_port/services/$slack_secret_path', NULL, NULL),
	  ('jira', 'webhook', 'http://127.0.0.1:$http_port/hooks/jira', '$secret', NULL),
	  ('mail', 'email', 'smtp://127.0.0.1:$smtp_port', NULL, 'support\@bedrockplatform.com');
	UPDATE support.delivery_endpoints SET plain_text_on_loopback = true WHERE endpoint = 'mail';
	INSERT INTO support.accounts (name, time_zone, calendar_id) VALUES ('Initech', 'UTC', 1);
	INSERT INTO support.account_users (account_id, email, full_name, role)
	SELECT account_id, 'ivy\@initech.example', 'Ivy', 'admin' FROM support.accounts;
	INSERT INTO support.agents (email, full_name, tier, skills, on_shift) VALUES
	  ('tia\@bedrock.example', 'Tia', 1, '{campaign_management}', true),
	  ('tara\@bedrock.example', 'Tara', 2, '{campaign_management}', true);
});
my $ivy = $node->safe_psql('desk', q{SELECT user_id FROM support.account_users});
my $tia = $node->safe_psql('desk', q{SELECT agent_id FROM support.agents WHERE full_name = 'Tia'});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = 'desk'}),
	'a delivery worker runs next to the escalation worker');

sub wait_delivered
{
	my ($message) = @_;
	ok($node->poll_query_until('desk', q{
		SELECT count(*) = 0 FROM support.outbound_messages WHERE state = 'pending' AND target <> '#lost-channel'}),
		$message);
}

############################################################################
# Delivered once: a new ticket's webhook events, Slack alert and email
############################################################################

my $ticket = $node->safe_psql('desk', qq{
	SELECT ticket_id FROM support.open_ticket((SELECT account_id FROM support.accounts), $ivy, 'Campaigns stopped',
	    channel => 'email', category => 'campaign_performance', revenue_impact => true)});
wait_delivered("the new ticket's messages are delivered");
is($node->safe_psql('desk', q{
	SELECT string_agg(destination || ':' || state || ':' || attempts, ' ' ORDER BY destination)
	  FROM (SELECT DISTINCT destination, state, attempts FROM support.outbound_messages) d}),
	'email:delivered:1 slack:delivered:1 webhook:delivered:1', 'each destination, delivered at the first attempt');
my $stats = stats();
is($stats->{duplicates}, 0, 'nothing was sent twice');
is($stats->{distinct}, $node->safe_psql('desk', q{SELECT count(*) FROM support.outbound_messages WHERE destination <> 'email'}),
	'the receiver got every HTTP message');
is($stats->{bad_signatures}, 0, "every webhook signature verifies with the endpoint's secret");
open my $log, '<', $http_log or die;
my @webhooks = grep { /"path": "\/hooks\/jira"/ } <$log>;
close $log;
ok(@webhooks > 0 && !grep({ !/"verified": true/ } @webhooks), 'webhooks carry a signature, and it verifies');
my @mails = smtp_lines();
is(scalar(@mails), 1, 'one email reached the SMTP server');
like($mails[0], qr/"subject": "\[Ticket #$ticket\] - Issue Acknowledgment - Campaigns stopped"/, 'the email subject is [Ticket #N] - ...');
my $mail_key = $node->safe_psql('desk', "SELECT idempotency_key FROM support.outbound_messages WHERE destination = 'email'");
like($mail_key, qr/^bedrock-[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'an idempotency key is bedrock- and a UUIDv7');
like($mails[0], qr/"message_id": "<\Q$mail_key\E\@bedrock.support>"/, 'the email has a Message-ID from its idempotency key');
like($mails[0], qr/"in_reply_to": "<ticket-\d+-$ticket\@bedrock.support>"/, "and In-Reply-To the ticket's thread");
like($mails[0], qr/"mail_from": "support\@bedrockplatform.com", "rcpt_tos": \["ivy\@initech.example"\]/,
	'from the support address to the client');

# SMTP requires TLS: the sink speaks no STARTTLS, so once the endpoint is no
# longer marked plain text on loopback nothing reaches it
$node->safe_psql('desk', "UPDATE support.delivery_endpoints SET plain_text_on_loopback = false WHERE endpoint = 'mail'");
$node->safe_psql('desk', qq{
	INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
	SELECT account_id, $ticket, 'email', 'ivy\@initech.example', 'TLS probe', 'Sent only over TLS'
	  FROM support.accounts LIMIT 1});
ok($node->poll_query_until('desk', q{
	SELECT last_error IS NOT NULL FROM support.outbound_messages WHERE subject = 'TLS probe'}),
	'an email to a server without STARTTLS fails');
like($node->safe_psql('desk', q{SELECT last_error FROM support.outbound_messages WHERE subject = 'TLS probe'}),
	qr/SSL|TLS/i, 'because TLS is required');
is(scalar(smtp_lines()), 1, 'and the plain-text server received nothing more');
$node->safe_psql('desk', q{
	UPDATE support.outbound_messages SET state = 'dead' WHERE subject = 'TLS probe';
	UPDATE support.delivery_endpoints SET plain_text_on_loopback = true WHERE endpoint = 'mail'});
is($node->psql('desk', q{UPDATE support.delivery_endpoints SET url = 'smtp://mail.example.com' WHERE endpoint = 'mail'}),
	3, 'plain text is for loopback only');

############################################################################
# Retried after outages, Retry-After, dead letters
############################################################################

sub note_webhook
{
	my ($text) = @_;
	$node->safe_psql('desk', "SELECT support.add_internal_note($ticket, $tia, '$text')");
	return $node->safe_psql('desk', q{SELECT max(message_id) FROM support.outbound_messages WHERE destination = 'webhook'});
}

control('{"mode": "fail", "times": 2}');
my $message = note_webhook('after an outage');
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $message"),
	'a message is delivered after two 500s');
is($node->safe_psql('desk', "SELECT attempts FROM support.outbound_messages WHERE message_id = $message"), '3',
	'at the third attempt');

control('{"mode": "drop", "times": 1}');
$message = note_webhook('after a dropped connection');
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $message"),
	'a dropped connection is retried');
open $log, '<', $http_log or die;
my $key = $node->safe_psql('desk', "SELECT idempotency_key FROM support.outbound_messages WHERE message_id = $message");
my @tries = map { /"mode": "(\w+)"/ ? $1 : () } grep { /"key": "\Q$key\E"/ } <$log>;
close $log;
is(join(' ', @tries), 'drop ok', 'the receiver saw the dropped request, then the one it answered');

control('{"mode": "limit", "times": 1, "retry_after": 2}');
$message = note_webhook('rate limited');
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $message"),
	'a 429 is retried');
open $log, '<', $http_log or die;
$key = $node->safe_psql('desk', "SELECT idempotency_key FROM support.outbound_messages WHERE message_id = $message");
my @times = map { /"at": ([\d.]+)/ ? $1 : () } grep { /"key": "\Q$key\E"/ } <$log>;
close $log;
ok(@times == 2 && $times[1] - $times[0] >= 1.9, 'after the Retry-After the receiver asked for (2 s)');

control('{"mode": "fail"}');
$message = note_webhook('never accepted');
ok($node->poll_query_until('desk', "SELECT state = 'dead' FROM support.outbound_messages WHERE message_id = $message"),
	'a message the receiver keeps refusing becomes a dead letter');
is($node->safe_psql('desk', "SELECT attempts || ' ' || last_error FROM support.outbound_messages WHERE message_id = $message"),
	'4 HTTP 500 (gave up after 4 attempts)', 'after support.delivery_max_attempts, with the reason');
control('{"mode": "refuse", "times": 1}');
my $refused = note_webhook('refused outright');
ok($node->poll_query_until('desk', "SELECT state = 'dead' AND attempts = 1 FROM support.outbound_messages WHERE message_id = $refused"),
	'a 400 is not retried');
control('{"mode": "garble", "times": 1}');
my $garbled = note_webhook('answered with a garbled status line');
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $garbled"),
	'an answer no HTTP client accepts (HTTP/1.2) is the server\'s fault, retried: not a dead letter');
is($node->safe_psql('desk', "SELECT attempts FROM support.outbound_messages WHERE message_id = $garbled"), '2',
	'delivered at the second attempt');
control('{"mode": "ok"}');
$node->safe_psql('desk', "SELECT support.requeue_message(account_id, message_id) FROM support.outbound_messages WHERE message_id = $message");
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $message"),
	'a requeued dead letter is delivered once the receiver is back');

############################################################################
# Nothing for a rolled-back transaction
############################################################################

my $before = stats()->{requests};
$node->safe_psql('desk', "BEGIN; SELECT support.add_internal_note($ticket, $tia, 'rolled back'); ROLLBACK;");
sleep 1;
is(stats()->{requests}, $before, 'nothing is sent for a rolled-back transaction');
is($node->safe_psql('desk', q{SELECT count(*) FROM support.outbound_messages WHERE body = 'rolled back'}), '0',
	'and nothing is queued');

############################################################################
# A hanging receiver stalls neither the other messages nor the escalations
############################################################################

control('{"mode": "hang", "times": 1}');
my $hung = note_webhook('this one hangs');
sleep 0.3;
my $other = note_webhook('this one does not');
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $other"),
	'another message is delivered while one receiver hangs');
is($node->safe_psql('desk', "SELECT state || ' ' || attempts FROM support.outbound_messages WHERE message_id = $hung"),
	'pending 1', 'the hung delivery is still in flight');
# an escalation falls due while the delivery hangs
control('{"mode": "hang", "times": 1}');
$hung = note_webhook('hangs again');
$node->safe_psql('desk', q{
	SET row_security = off;
	INSERT INTO support.tickets (account_id, requester_id, subject, channel, category, priority, tier, created_at, updated_at)
	SELECT account_id, user_id, 'Escalate me', 'email', 'campaign_performance', 'P1', 1,
	       now() - interval '12 minutes' + interval '1 second', now() FROM support.account_users;
	RESET row_security;
	UPDATE support.tickets SET sla_paused = sla_paused WHERE next_action_at IS NULL AND status = 'new';
});
ok($node->poll_query_until('desk', q{
	SELECT count(*) = 1 FROM support.ticket_events e JOIN support.tickets t USING (account_id, ticket_id)
	 WHERE t.subject = 'Escalate me' AND e.action_key LIKE 'escalation_mark@%'}),
	'the escalation worker escalates while a delivery hangs');
is($node->safe_psql('desk', "SELECT state FROM support.outbound_messages WHERE message_id = $hung"), 'pending',
	'(the delivery was still hanging)');
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $hung"),
	'the hung message is delivered on a later attempt');

############################################################################
# Secrets: never in errors or logs, unreadable by other roles
############################################################################

$node->safe_psql('desk', q{
	SELECT support.queue_message(t, 'slack', '#lost-channel', NULL, 'To a lost channel', 'nobody listens')
	  FROM support.tickets t WHERE subject = 'Campaigns stopped'});
ok($node->poll_query_until('desk', q{
	SELECT attempts >= 2 FROM support.outbound_messages WHERE target = '#lost-channel'}),
	'a message to an unreachable endpoint is retried');
my $error = $node->safe_psql('desk', q{SELECT last_error FROM support.outbound_messages WHERE target = '#lost-channel'});
like($error, qr/connect/i, "its error says what happened ($error)");
unlike($error, qr/SECRET|TOKEN/, "and does not quote the endpoint's URL");
is($node->safe_psql('desk', qq{
	SELECT count(*) FROM support.outbound_messages
	 WHERE last_error LIKE '%SECRET%' OR last_error LIKE '%TOKEN%' OR last_error LIKE '%$secret%'}), '0',
	'no error anywhere quotes a secret');
$node->safe_psql('desk', q{CREATE ROLE helpdesk_app LOGIN; GRANT USAGE ON SCHEMA support TO helpdesk_app;
	GRANT SELECT ON support.outbound_messages TO helpdesk_app});
my ($result, $stdout, $stderr) = $node->psql('desk', 'SELECT url, secret FROM support.delivery_endpoints',
	extra_params => [ '-U', 'helpdesk_app' ]);
ok($result != 0 && $stderr =~ /permission denied/, 'another role cannot read the endpoints and their secrets');

############################################################################
# A message that cannot be sent fails alone, at once, with its reason
############################################################################

# a port out of range passes the endpoint's checks, and libcurl refuses it;
# a URL over libcurl's 8 MB and an unsupported protocol are rows from
# before 1.1's bounds (or a DBA's who removed them): the checks go here
$node->safe_psql('desk', q{
	INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, event_kinds) VALUES
	  ('bad-port', 'webhook', 'http://127.0.0.1:99999/hooks', 'webhook-signing-secret-0123', '{}')});
is($node->psql('desk', qq{
	INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, event_kinds)
	VALUES ('huge-url', 'webhook', 'http://127.0.0.1:$http_port/hooks/' || repeat('a', 8192), '$secret', '{}')}),
	3, 'an endpoint URL over 8 kB is refused');
$node->safe_psql('desk', qq{
	ALTER TABLE support.delivery_endpoints DROP CONSTRAINT urls_are_at_most_8_kb, DROP CONSTRAINT the_url_fits_the_destination;
	INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, event_kinds) VALUES
	  ('huge-url', 'webhook', 'http://127.0.0.1:$http_port/hooks/' || repeat('a', 8000000), '$secret', '{}'),
	  ('ftp', 'webhook', 'ftp://127.0.0.1:$http_port/hooks', '$secret', '{}')});
# one transaction, so one claim takes the good with the bad
sub queue_to
{
	my ($label, %count) = @_;
	$node->safe_psql('desk', join('', map { qq{
		INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body)
		SELECT account_id, $ticket, 'webhook', '$_', '$label', '$label to $_' FROM support.accounts, generate_series(1, $count{$_});} }
		sort keys %count));
}
queue_to('mixed claim', 'jira' => 3, 'bad-port' => 3, 'huge-url' => 3, 'ftp' => 3);
ok($node->poll_query_until('desk', q{
	SELECT count(*) = 0 FROM support.outbound_messages WHERE subject = 'mixed claim' AND state = 'pending'}),
	'every message of a claim with unsendable ones ends its attempt');
is($node->safe_psql('desk', q{
	SELECT string_agg(target || ':' || state || ':' || attempts, ' ' ORDER BY target)
	  FROM (SELECT DISTINCT target, state, attempts FROM support.outbound_messages WHERE subject = 'mixed claim') m}),
	'bad-port:dead:1 ftp:dead:1 huge-url:dead:1 jira:delivered:1',
	'the sendable ones are delivered; the others are dead letters at their first attempt, not retried');
is($node->safe_psql('desk', q{
	SELECT string_agg(DISTINCT target || ': ' || last_error, E'\n' ORDER BY target || ': ' || last_error)
	  FROM support.outbound_messages WHERE subject = 'mixed claim' AND state = 'dead'}),
	"bad-port: URL using bad/illegal format or missing URL: Port number was not a decimal number between 0 and 65535\n"
	. "ftp: Unsupported protocol: HTTP messages are not sent over ftp\n"
	. "huge-url: URL using bad/illegal format or missing URL: Malformed input to a URL function",
	'each with what libcurl said, never the URL');

# each refused request frees what it held: the worker's memory stays flat
# (before, each 8 MB URL stayed behind)
my $worker_pid = $node->safe_psql('postgres', q{
	SELECT pid FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = 'desk'});
sub worker_rss_kb
{
	open my $status, '<', "/proc/$worker_pid/status" or return -1;
	my ($rss) = map { /^VmRSS:\s+(\d+)/ ? $1 : () } <$status>;
	close $status;
	return $rss;
}
my $rss_before = worker_rss_kb();
for my $round (1 .. 4)
{
	queue_to("huge round $round", 'huge-url' => 5);
	ok($node->poll_query_until('desk', qq{
		SELECT count(*) = 5 FROM support.outbound_messages WHERE subject = 'huge round $round' AND state = 'dead'}),
		"round $round of 5 messages with an 8 MB URL: dead letters");
}
my $growth_mb = (worker_rss_kb() - $rss_before) / 1024;
ok($growth_mb < 40, sprintf('the worker holds no more memory after 20 of them (%+.1f MB; 160 MB if each leaked its URL)', $growth_mb));
$node->safe_psql('desk', q{
	DELETE FROM support.delivery_endpoints WHERE endpoint IN ('huge-url', 'ftp', 'bad-port');
	ALTER TABLE support.delivery_endpoints
	  ADD CONSTRAINT urls_are_at_most_8_kb CHECK (octet_length(url) <= 8192),
	  ADD CONSTRAINT the_url_fits_the_destination CHECK (CASE destination WHEN 'email' THEN url ~* '^smtps?://[^\s]+$'
	                                                     ELSE url ~* '^https?://[^\s]+$' END)});

############################################################################
# Parked while its endpoint came; due while another transaction locks it
############################################################################

$node->safe_psql('desk', qq{
	INSERT INTO support.delivery_endpoints (endpoint, destination, url, secret, event_kinds, active)
	VALUES ('crm', 'webhook', 'http://127.0.0.1:$http_port/hooks/crm', '$secret', '{}', false)});
queue_to('for the crm', 'crm' => 1);
ok($node->poll_query_until('desk', q{SELECT state = 'parked' FROM support.outbound_messages WHERE subject = 'for the crm'}),
	'a message for an inactive endpoint is parked');
# what a claim that parked it while the endpoint was being switched on
# leaves: the endpoint's own unparking ran before the parking committed
$node->safe_psql('desk', q{
	BEGIN;
	UPDATE support.delivery_endpoints SET active = true WHERE endpoint = 'crm';
	UPDATE support.outbound_messages SET state = 'parked' WHERE subject = 'for the crm';
	COMMIT;});
ok($node->poll_query_until('desk', q{SELECT state = 'delivered' FROM support.outbound_messages WHERE subject = 'for the crm'}),
	'a message parked as its endpoint came is delivered: the worker unparks again once the change commits');

# a due message whose row another transaction holds: the claim skips it,
# and the worker waits for it without spinning
sub worker_cpu_ticks
{
	my $pid = $node->safe_psql('postgres', q{
		SELECT pid FROM pg_stat_activity WHERE backend_type = 'bedrock_support worker' AND datname = 'desk'});
	open my $stat, '<', "/proc/$pid/stat" or die;
	my @fields = split ' ', (<$stat> =~ s/^.*\) //r);
	close $stat;
	return $fields[11] + $fields[12];    # utime + stime
}
my $locked = $node->safe_psql('desk', qq{
	INSERT INTO support.outbound_messages (account_id, ticket_id, destination, target, subject, body, next_attempt_at)
	SELECT account_id, $ticket, 'webhook', 'jira', 'locked', 'held by another transaction', now() + interval '1 second'
	  FROM support.accounts RETURNING message_id});
my $holder = IPC::Run::start([ 'psql', '-X', '-q', '-d', $node->connstr('desk'), '-c',
	"BEGIN; SELECT 1 FROM support.outbound_messages WHERE message_id = $locked FOR UPDATE; SELECT pg_sleep(4); COMMIT;" ]);
sleep 2;    # due since a second, and locked
my $ticks_before = worker_cpu_ticks();
Time::HiRes::sleep(1.5);
my $ticks = worker_cpu_ticks() - $ticks_before;
ok($ticks < 40, "while the due message is locked, the worker waits ($ticks CPU ticks in 1.5 s; spinning took 150)");
$holder->finish;
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $locked"),
	'and delivers it once the lock is gone');

############################################################################
# An immediate shutdown in the middle of a burst: nothing lost
############################################################################

control('{"mode": "slow", "delay": 0.2}');
$node->safe_psql('desk', qq{
	SELECT support.add_internal_note($ticket, $tia, 'burst ' || i) FROM generate_series(1, 400) i});
my $committed = $node->safe_psql('desk', q{
	SELECT count(*) FROM support.outbound_messages WHERE destination = 'webhook' AND body LIKE 'burst %'});
is($committed, '400', '400 webhook messages committed');
ok($node->poll_query_until('desk', q{
	SELECT count(*) >= 40 FROM support.outbound_messages WHERE body LIKE 'burst %' AND state = 'delivered'}),
	'the burst is being delivered');
$node->stop('immediate');
my $delivered_before = stats()->{requests};
note("stopped with -m immediate after $delivered_before deliveries in all");
$node->start;
control('{"mode": "ok"}');
ok($node->poll_query_until('desk', q{
	SELECT count(*) = 0 FROM support.outbound_messages WHERE body LIKE 'burst %' AND state <> 'delivered'}, 't'),
	'after the restart every message of the burst is delivered');
my $keys = http_request('GET', '/stats');
open $log, '<', $http_log or die;
my %seen;
while (my $line = <$log>)
{
	next unless $line =~ /"key": "(bedrock-[0-9a-f-]+)".*"mode": "(ok|slow)"/;
	$seen{$1} = 1;
}
close $log;
my @burst_keys = split /\n/, $node->safe_psql('desk', q{
	SELECT idempotency_key FROM support.outbound_messages WHERE body LIKE 'burst %'});
is(scalar(grep { $seen{$_} } @burst_keys), 400,
	'the receiver saw each of the 400 committed messages (counting distinct idempotency keys)');
note('deliveries sent again after the shutdown, de-duplicated by the receiver: ' . stats()->{duplicates});

############################################################################
# In flight at a crash: sent again within seconds of the restart
############################################################################

control('{"mode": "hang", "times": 1}');
my $in_flight = note_webhook('in flight at the crash');
my $in_flight_key = $node->safe_psql('desk', "SELECT idempotency_key FROM support.outbound_messages WHERE message_id = $in_flight");
my $hanging = 0;
for my $try (1 .. 100)
{
	open my $fh, '<', $http_log or die;
	$hanging = grep { /"key": "\Q$in_flight_key\E".*"mode": "hang"/ } <$fh>;
	close $fh;
	last if $hanging;
	select(undef, undef, undef, 0.1);
}
ok($hanging, 'a message is in flight, its receiver hanging');
my $log_offset = -s $node->logfile;
$node->stop('immediate');
my $restarted_at = Time::HiRes::time();
$node->start;
ok($node->poll_query_until('desk', "SELECT state = 'delivered' FROM support.outbound_messages WHERE message_id = $in_flight"),
	'after an immediate shutdown, the message in flight is delivered');
my $resent_after = Time::HiRes::time() - $restarted_at;
ok($resent_after < 5, sprintf('within %.1f s of the restart (the lease is 9 s here: 2 x timeout + 5 s)', $resent_after));
is($node->safe_psql('desk', "SELECT attempts || ' ' || (idempotency_key = '$in_flight_key') FROM support.outbound_messages WHERE message_id = $in_flight"),
	'2 true', 'at its second attempt, under its own key');
like(slurp_file($node->logfile, $log_offset), qr/1 message was in flight when the previous worker stopped, sending it again/,
	'the new worker says what it sends again');

$node->stop;
done_testing();
