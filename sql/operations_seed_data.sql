-- The handbook ships as data: every target, criterion, channel and template.
\i sql/include/fixture.sql

SELECT tier, name, initial_response, resolution_target, escalation_threshold, escalation_condition,
       business_hours_only, cardinality(responsibilities) AS responsibilities,
       cardinality(skills_required) AS skills
  FROM support.tiers ORDER BY tier;

SELECT priority, name, response_target, resolution_target, update_cadence, update_cadence_unit,
       clock, escalation_ratio, cardinality(criteria) AS criteria
  FROM support.sla_policies ORDER BY priority;
SELECT priority, unnest(criteria) AS criterion FROM support.sla_policies ORDER BY priority;

SELECT category, default_priority, default_tier, required_skill,
       cardinality(symptoms) AS symptoms, cardinality(diagnostic_steps) AS steps,
       cardinality(common_solutions) AS solutions
  FROM support.categories ORDER BY default_tier, category;
SELECT diagnostic_steps[1], common_solutions[5] FROM support.categories WHERE category = 'data_discrepancy';

SELECT channel, name, address, hours, response_target FROM support.channels ORDER BY channel;
SELECT * FROM support.internal_channels ORDER BY name;
SELECT step, name, time_box, actions[1] FROM support.troubleshooting_steps ORDER BY step;

SELECT template, name, subject FROM support.templates ORDER BY template;
-- the handbook's placeholders are all in the bodies
SELECT template, array_agg(DISTINCT m[1] ORDER BY m[1]) AS placeholders
  FROM support.templates, regexp_matches(subject || body, '\[([^]]+)\]', 'g') AS m
 GROUP BY template ORDER BY template;
SELECT body FROM support.templates WHERE template = 'resolution_confirmation';

SELECT name, hours, holidays FROM support.calendar ORDER BY calendar_id;
