/*
 * template_sql.c — support.render_template(template text, vars jsonb):
 * the SQL face of template.c, with variables taken from a JSON object.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "template.h"
#include "text_bounds.h"

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
