-- support.render_template: every placeholder form, escapes, and errors
-- that name the missing variable instead of sending a half-filled message.
\i sql/include/fixture.sql

SELECT support.render_template('Dear [Client Name], about [Brief Description] (#12345, [P1/P2/P3/P4]).',
       '{"client_name": "Ada", "brief_description": "spend stalled", "ticket_number": 10042, "priority": "P2"}');
-- the {{name}} form, with spaces; numbers and booleans as text; a value is never re-scanned
SELECT support.render_template('{{client_name}} / {{ ticket_number }} / {{vip}} / {{note}}',
       '{"client_name": "Ada", "ticket_number": 7, "vip": true, "note": "[Client Name] {{x}}"}');
-- a bracket holding '#' is literal (its #12345 is filled); phrases fold to one key
SELECT support.render_template('[Ticket #12345] - [ Brief  Description ] - [brief-description]',
       '{"ticket_number": 10042, "brief_description": "same key"}');
-- escapes, lone brackets, brackets naming nothing, other numbers
SELECT support.render_template('\[not a placeholder] \{{nor this}} \#12345 \\ [ ] [-] a [b c #123456 x]y',
       '{}');
SELECT support.render_template('[unclosed and a
newline] stays literal', '{}');

-- errors: the missing variable is named (22023); malformed placeholders are 22P02
SELECT support.render_template('Dear [Client Name],', '{"client": "Ada"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template('Dear {{client_name}},', '{"client_name": null}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template('Ticket #12345', '{}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template('Hello {{Client Name}}', '{}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template('Hello {{client_name', '{"client_name": "Ada"}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template('Hello {{}}', '{}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template('[' || repeat('very long phrase ', 5) || ']', '{}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template('x', '["not", "an", "object"]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT support.render_template(NULL, '{}') IS NULL AS strict_template,
       support.render_template('x', NULL) IS NULL AS strict_vars;

-- the handbook's three templates: every placeholder they use, by name
SELECT t.template, array_agg(DISTINCT k.key ORDER BY k.key) AS variables
  FROM support.templates t
 CROSS JOIN LATERAL (SELECT CASE WHEN m[1] = 'P1/P2/P3/P4' THEN 'priority'
                                 ELSE trim(both '_' FROM regexp_replace(lower(m[1]), '[^a-z0-9]+', '_', 'g')) END
                       FROM regexp_matches(t.subject || t.body, '\[([^\]#\n]+)\]', 'g') AS m
                     UNION SELECT 'ticket_number') AS k(key)
 GROUP BY t.template ORDER BY t.template;

-- each renders completely when every variable is given ...
CREATE TEMP TABLE template_vars AS
SELECT t.template, jsonb_object_agg(k.key, '<' || k.key || '>') AS vars
  FROM support.templates t
 CROSS JOIN LATERAL (SELECT CASE WHEN m[1] = 'P1/P2/P3/P4' THEN 'priority'
                                 ELSE trim(both '_' FROM regexp_replace(lower(m[1]), '[^a-z0-9]+', '_', 'g')) END
                       FROM regexp_matches(t.subject || t.body, '\[([^\]#\n]+)\]', 'g') AS m
                     UNION SELECT 'ticket_number') AS k(key)
 GROUP BY t.template;
SELECT t.template, support.render_template(t.subject, v.vars) AS subject,
       support.render_template(t.body, v.vars) !~ '\[[^\]#]+\]|#12345' AS every_placeholder_filled
  FROM support.templates t JOIN template_vars v USING (template) ORDER BY t.template;
SELECT support.render_template(t.body, v.vars) AS initial_response
  FROM support.templates t JOIN template_vars v USING (template) WHERE t.template = 'initial_response';

-- ... and refuses, naming it, when any one is missing
CREATE FUNCTION pg_temp.missing_error(template text, vars jsonb) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM support.render_template(template, vars);
    RETURN 'rendered';
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN SQLERRM;
END $$;
SELECT v.template, count(*) AS variables,
       count(*) FILTER (WHERE pg_temp.missing_error(t.subject || t.body, v.vars - k.key)
                              = format('template variable "%s" has no value', k.key)) AS each_missing_one_named
  FROM template_vars v JOIN support.templates t USING (template)
 CROSS JOIN LATERAL jsonb_object_keys(v.vars) AS k(key)
 GROUP BY v.template ORDER BY v.template;

-- A text given to render or check is at most 1 MB, and 90,000
-- placeholders in it stay linear (the first 64 unknown names are listed)
SELECT support.render_template(repeat('x', 1048577), '{}');
SELECT support.template_unknown_variables(repeat('x', 1048577), 'initial_response');
SELECT cardinality(support.template_unknown_variables(
         (SELECT string_agg('{{v' || n || '}}', ' ') FROM generate_series(1, 90000) n), 'initial_response')) AS unknown_listed;
