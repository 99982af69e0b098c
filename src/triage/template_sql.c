/*
 * template_sql.c — support.render_template(template text, vars jsonb):
 * the SQL face of template.c, with variables taken from a JSON object.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "triage/client_texts.h"
#include "triage/template.h"
#include "shared/text_bounds.h"

typedef struct TemplateVariables
{
	Jsonb	   *vars;
	char	   *value;			/* the last value looked up, palloc'd */
} TemplateVariables;

static bool
template_sql_lookup(void *context, const char *name, const char **value, size_t *value_length)
{
	TemplateVariables *variables = context;
	JsonbValue *found;

	found = getKeyJsonValueFromContainer(&variables->vars->root, name, strlen(name), NULL);
	if (found == NULL)
		return false;
	switch (found->type)
	{
		case jbvString:
			*value = found->val.string.val;
			*value_length = found->val.string.len;
			return true;
		case jbvNumeric:
			variables->value = DatumGetCString(DirectFunctionCall1(numeric_out,
																   NumericGetDatum(found->val.numeric)));
			break;
		case jbvBool:
			variables->value = pstrdup(found->val.boolean ? "true" : "false");
			break;
		case jbvNull:
			return false;		/* a null is no value: never render it as text */
		default:
			variables->value = JsonbToCString(NULL, found->val.binary.data, found->val.binary.len);
			break;
	}
	*value = variables->value;
	*value_length = strlen(variables->value);
	return true;
}

/* A template is read whole, placeholder by placeholder: bounded where it is given. */
static void
template_sql_require_bounded(text *template)
{
	if (VARSIZE_ANY_EXHDR(template) > TEXT_TEMPLATE_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a template is at most %d bytes, not %zu", TEXT_TEMPLATE_MAX,
						(size_t) VARSIZE_ANY_EXHDR(template)),
				 errhint("support.templates holds at most 64 kB a template.")));
}

/* a message, not a memory bomb: {{x}} a million times over a long x is cut, never refused */
static void
template_sql_append(void *context, const char *text, size_t length)
{
	composed_text_append((ComposedText *) context, text, length);
}

PG_FUNCTION_INFO_V1(render_template);
Datum
render_template(PG_FUNCTION_ARGS)
{
	text	   *template = PG_GETARG_TEXT_PP(0);
	TemplateVariables variables = {PG_GETARG_JSONB_P(1), NULL};
	ComposedText output;
	char		name[TEMPLATE_NAME_MAX + 32];
	TemplateResult result;

	if (!JB_ROOT_IS_OBJECT(variables.vars))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("template variables must be a JSON object"),
				 errhint("Pass them as jsonb_build_object('client_name', 'Ada', ...).")));

	template_sql_require_bounded(template);
	composed_text_init(&output);
	result = template_render(VARDATA_ANY(template), VARSIZE_ANY_EXHDR(template),
							 template_sql_lookup, &variables, template_sql_append, &output,
							 name, sizeof(name));
	if (result == TEMPLATE_MISSING_VARIABLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("template variable \"%s\" has no value", name),
				 errdetail("The template uses it, and vars has no key \"%s\" or its value is null.", name),
				 errhint("A bracketed placeholder such as [Client Name] reads client_name, [P1/P2/P3/P4] reads priority, #12345 reads ticket_number.")));
	if (result == TEMPLATE_BAD_PLACEHOLDER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid template placeholder \"%s\"", name),
				 errhint("Write {{name}} with a lower-case name of letters, digits and underscores, or a bracketed phrase of at most %d characters; \\{ and \\[ are literal.",
						 TEMPLATE_NAME_MAX - 1)));
	PG_RETURN_TEXT_P(cstring_to_text_with_len(output.text.data, output.text.len));
}

/*
 * Finds the placeholders the desk does not fill: every lookup answers, the
 * unknown are noted, the first TEMPLATE_UNKNOWN_MAX of them (enough to say
 * a template is wrong, and a text of a million of them stays linear).
 */
#define TEMPLATE_UNKNOWN_MAX 64

typedef struct UnknownVariables
{
	const char *template_name;
	char		names[TEMPLATE_UNKNOWN_MAX][TEMPLATE_NAME_MAX];
	int			count;
} UnknownVariables;

static bool
template_sql_note_unknown(void *context, const char *name, const char **value, size_t *value_length)
{
	UnknownVariables *unknown = context;

	*value = "";
	*value_length = 0;
	if (unknown->count == TEMPLATE_UNKNOWN_MAX || client_texts_fills(unknown->template_name, name))
		return true;
	for (int i = 0; i < unknown->count; i++)
		if (strcmp(unknown->names[i], name) == 0)
			return true;
	strlcpy(unknown->names[unknown->count++], name, TEMPLATE_NAME_MAX);
	return true;
}

static void
template_sql_discard(void *context, const char *text, size_t length)
{
}

/*
 * support.template_unknown_variables(text text, template_name text)
 * RETURNS text[]: the placeholders of text the desk does not fill for that
 * template (22P02 for a malformed one), for the check of support.templates.
 */
PG_FUNCTION_INFO_V1(template_unknown_variables);
Datum
template_unknown_variables(PG_FUNCTION_ARGS)
{
	text	   *template;
	UnknownVariables *unknown;
	char		name[TEMPLATE_NAME_MAX + 32];
	Datum	   *names;

	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(TEXTOID));
	template = PG_GETARG_TEXT_PP(0);
	template_sql_require_bounded(template);
	unknown = palloc0(sizeof(UnknownVariables));
	unknown->template_name = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (template_render(VARDATA_ANY(template), VARSIZE_ANY_EXHDR(template),
						template_sql_note_unknown, unknown, template_sql_discard, NULL,
						name, sizeof(name)) == TEMPLATE_BAD_PLACEHOLDER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid template placeholder \"%s\"", name),
				 errhint("Write {{name}} with a lower-case name of letters, digits and underscores, or a bracketed phrase of at most %d characters; \\{ and \\[ are literal.",
						 TEMPLATE_NAME_MAX - 1)));
	names = palloc(Max(unknown->count, 1) * sizeof(Datum));
	for (int i = 0; i < unknown->count; i++)
		names[i] = CStringGetTextDatum(unknown->names[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(names, unknown->count, TEXTOID, -1, false, TYPALIGN_INT));
}
