# Helpers shared by the Perl cluster tests.
package BedrockTest;

use strict;
use warnings;
use PostgreSQL::Test::Cluster;

# A started node with the library preloaded, as production runs it.
sub new_node
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "shared_preload_libraries = 'bedrock_support'\n");
	$node->start;
	return $node;
}

# A realistic slice of work: edited and added configuration, accounts,
# users, agents and tickets at every lifecycle stage.
sub load_scenario
{
	my ($node, $db) = @_;
	# with the default search_path: the extension's operators are found in pg_catalog
	$node->safe_psql($db, q{
		UPDATE support.sla_policies SET response_target = '10 minutes' WHERE priority = 'P1';
		INSERT INTO support.categories (category, name, default_priority, default_tier, required_skill)
		VALUES ('billing', 'Billing question', 'P3', 1, 'account_administration');
		INSERT INTO support.calendar (name, hours, holidays)
		VALUES ('Berlin office', 'mon-fri 09:00-17:00 @ Europe/Berlin', '{2026-12-24,2026-12-25}');
		INSERT INTO support.accounts (name, time_zone, calendar_id, enterprise, slack_channel)
		SELECT 'Kestrel', 'Europe/Berlin', calendar_id, true, '#kestrel' FROM support.calendar WHERE name = 'Berlin office';
		INSERT INTO support.account_users (account_id, email, full_name, role)
		SELECT account_id, 'jo@kestrel.example', 'Jo', 'campaign_manager' FROM support.accounts;
		INSERT INTO support.agents (email, full_name, tier, skills) VALUES ('sam@bedrock.example', 'Sam', 2, '{billing}');
	});
	$node->safe_psql($db, q{
		DO $$
		DECLARE
			jo bigint := (SELECT user_id FROM support.account_users WHERE email = 'jo@kestrel.example');
			sam bigint := (SELECT agent_id FROM support.agents WHERE email = 'sam@bedrock.example');
			acct bigint := (SELECT account_id FROM support.accounts WHERE name = 'Kestrel');
			t1 bigint; t2 bigint;
		BEGIN
			t1 := (support.open_ticket(acct, jo, 'Invoice twice', category => 'billing')).ticket_id;
			t2 := (support.open_ticket(acct, jo, 'Spend paused', category => 'campaign_performance',
			                           channel => 'slack', revenue_impact => true)).ticket_id;
			PERFORM support.change_status(t1, 'triaged', sam);
			PERFORM support.assign_ticket(t1, sam, sam);
			PERFORM support.change_status(t1, 'in_progress', sam);
			PERFORM support.reply_publicly(t1, sam, 'Refund issued.');
			PERFORM support.change_status(t1, 'pending_client', sam);
			PERFORM support.post_client_message(t1, jo, 'Received, thanks');
			PERFORM support.resolve_ticket(t1, sam, 'Double charge', 'Refunded');
			PERFORM support.close_ticket(t1, jo);
			PERFORM support.rate_ticket(t1, jo, 5, 'great');
			PERFORM support.change_priority(t2, 'P1', sam, 'revenue stopped');
			PERFORM support.add_internal_note(t2, sam, 'escalate if no fix in 1h');
		END $$;
	});
	return;
}

# One line per row of every support table, in a stable order: equal
# snapshots mean equal contents.
sub snapshot
{
	my ($node, $db, $shape) = @_;
	$shape //= table_columns($node, $db);
	my $result = '';
	foreach my $table (sort keys %$shape)
	{
		$result .= "== $table\n" . $node->safe_psql($db,
			"SELECT row($shape->{$table})::text FROM support.$table t ORDER BY 1") . "\n";
	}
	return $result;
}

# The lines of $before that $after lacks, in order ('' when none).
sub missing_lines
{
	my ($before, $after) = @_;
	my %present = map { $_ => 1 } split /\n/, $after;
	return join "\n", grep { !$present{$_} } split /\n/, $before;
}

# support's tables and their columns ("t.a, t.b"), so a snapshot taken
# after an upgrade that added columns or tables compares like with like.
sub table_columns
{
	my ($node, $db) = @_;
	my %shape = map { split /\|/, $_, 2 } split /\n/, $node->safe_psql($db, q{
		SELECT c.relname || '|' || string_agg('t.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
		  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		 WHERE n.nspname = 'support' AND c.relkind = 'r'
		 GROUP BY c.relname});
	return \%shape;
}

# The extension's objects as the catalogs describe them, for comparing an
# upgraded installation with a fresh one.
sub catalog_description
{
	my ($node, $db) = @_;
	# deparsed names depend on search_path: describe with a fixed one
	return $node->safe_psql($db, q{
		SET search_path = pg_catalog;
		WITH members AS (
			SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
			 WHERE e.extname = 'bedrock_support' AND d.deptype = 'e')
		SELECT line FROM (
			SELECT pg_describe_object(classid, objid, 0) AS line FROM members
			UNION ALL
			SELECT format('%s.%s %s notnull=%s default=%s', c.relname, a.attname,
			              format_type(a.atttypid, a.atttypmod), a.attnotnull,
			              pg_get_expr(ad.adbin, ad.adrelid))
			  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
			 WHERE n.nspname = 'support'
			UNION ALL
			SELECT format('constraint %s.%s %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
			  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
			  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'support'
			UNION ALL
			SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
			  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'support'
			UNION ALL
			SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
			  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'support' AND NOT t.tgisinternal
			UNION ALL
			SELECT format('function %s %s %s %s %s %s', p.oid::regprocedure, p.provolatile, p.proparallel,
			              p.prosecdef, p.proconfig, md5(p.prosrc))
			  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'support'
			UNION ALL
			SELECT format('view %s %s %s', c.relname, c.reloptions, pg_get_viewdef(c.oid))
			  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			 WHERE n.nspname = 'support' AND c.relkind = 'v'
			UNION ALL
			SELECT format('rls %s %s', c.relname, c.relrowsecurity)
			  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			 WHERE n.nspname = 'support' AND c.relkind = 'r'
			UNION ALL
			SELECT format('comment %s %s', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
			  FROM pg_description d JOIN members m ON m.classid = d.classoid AND m.objid = d.objoid
			UNION ALL
			-- what each role may do: an upgraded desk grants exactly what a fresh one does
			SELECT format('acl %s %s', c.relname, ARRAY(SELECT unnest(c.relacl)::text ORDER BY 1))
			  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'support'
			UNION ALL
			SELECT format('acl %s.%s %s', c.relname, a.attname, ARRAY(SELECT unnest(a.attacl)::text ORDER BY 1))
			  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			 WHERE n.nspname = 'support' AND a.attacl IS NOT NULL
			UNION ALL
			SELECT format('acl %s %s', p.oid::regprocedure, ARRAY(SELECT unnest(p.proacl)::text ORDER BY 1))
			  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'support'
			UNION ALL
			SELECT format('policy %s.%s %s %s %s using=%s check=%s', p.tablename, p.policyname, p.permissive,
			              p.roles, p.cmd, p.qual, p.with_check)
			  FROM pg_policies p WHERE p.schemaname = 'support'
			UNION ALL
			-- operator families' support functions (btequalimage: deduplication)
			SELECT format('amproc %s %s %s %s %s', f.opfname, a.amprocnum, a.amproclefttype::regtype,
			              a.amprocrighttype::regtype, a.amproc::regprocedure)
			  FROM pg_amproc a JOIN pg_opfamily f ON f.oid = a.amprocfamily
			 WHERE f.opfnamespace = 'support'::regnamespace			UNION ALL
			SELECT format('config-dump %s %s', x.tbl::regclass, x.cond)
			  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(tbl, cond)
			 WHERE e.extname = 'bedrock_support'
		) all_lines ORDER BY line});
}

1;
