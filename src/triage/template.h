/*
 * template.h — filling the handbook's message templates. Pure C, no server
 * calls: the caller supplies the variable lookup and receives the output.
 *
 * Placeholders:
 *   [Client Name]    a bracketed phrase names the variable client_name: the
 *                    phrase lower-cased, each run of other characters an
 *                    underscore ([P1/P2/P3/P4] is the exception: priority)
 *   {{ name }}       the variable name, written directly
 *   #12345           the handbook's sample ticket number: ticket_number
 *   [Ticket #12345]  a bracket holding '#' is literal text (its #12345 is
 *                    still filled), as in subjects
 *   \[ \{ \# \\      a literal [ { # \
 */
#ifndef BEDROCK_TEMPLATE_H
#define BEDROCK_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#define TEMPLATE_NAME_MAX 64

typedef enum TemplateResult
{
	TEMPLATE_OK,
	TEMPLATE_MISSING_VARIABLE,	/* name holds the variable */
	TEMPLATE_BAD_PLACEHOLDER	/* name holds the placeholder text */
} TemplateResult;

/* Returns false when the variable is not defined. */
typedef bool (*TemplateLookup) (void *context, const char *name,
								const char **value, size_t *value_length);
typedef void (*TemplateAppend) (void *context, const char *text, size_t length);

extern TemplateResult template_render(const char *text, size_t length,
									  TemplateLookup lookup, void *lookup_context,
									  TemplateAppend append, void *append_context,
									  char *name, size_t name_size);

#endif
