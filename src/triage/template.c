/*
 * template.c — placeholder substitution for the handbook's client
 * messages (see template.h for the syntax). A placeholder whose variable is
 * missing stops rendering with its name: a message must never go out with
 * "[Client Name]" or an empty gap in it.
 */
#include "triage/template.h"

#include <ctype.h>
#include <string.h>

typedef struct TemplateRun
{
	const char *text;
	size_t		length;
	TemplateLookup lookup;
	void	   *lookup_context;
	TemplateAppend append;
	void	   *append_context;
	char	   *name;
	size_t		name_size;
} TemplateRun;

static const char template_sample_number[] = "#12345";
#define TEMPLATE_SAMPLE_NUMBER_LENGTH (sizeof(template_sample_number) - 1)

static void
template_set_name(TemplateRun *run, const char *name, size_t length)
{
	if (run->name_size == 0)
		return;
	if (length >= run->name_size)
		length = run->name_size - 1;
	memcpy(run->name, name, length);
	run->name[length] = '\0';
}

static TemplateResult
template_emit_variable(TemplateRun *run, const char *name)
{
	const char *value;
	size_t		value_length;

	if (!run->lookup(run->lookup_context, name, &value, &value_length))
	{
		template_set_name(run, name, strlen(name));
		return TEMPLATE_MISSING_VARIABLE;
	}
	run->append(run->append_context, value, value_length);
	return TEMPLATE_OK;
}

static bool
template_at_sample_number(const TemplateRun *run, size_t position)
{
	return run->length - position >= TEMPLATE_SAMPLE_NUMBER_LENGTH &&
		memcmp(run->text + position, template_sample_number, TEMPLATE_SAMPLE_NUMBER_LENGTH) == 0 &&
		(run->length - position == TEMPLATE_SAMPLE_NUMBER_LENGTH ||
		 !isdigit((unsigned char) run->text[position + TEMPLATE_SAMPLE_NUMBER_LENGTH]));
}

/* "Client Name" -> "client_name"; false when it names nothing or is too long */
static bool
template_phrase_key(const char *phrase, size_t length, char *key, size_t key_size)
{
	size_t		out = 0;
	bool		pending_separator = false;

	for (size_t i = 0; i < length; i++)
	{
		unsigned char c = (unsigned char) phrase[i];

		if (isalnum(c))
		{
			if (pending_separator && out > 0)
			{
				if (out + 1 >= key_size)
					return false;
				key[out++] = '_';
			}
			pending_separator = false;
			if (out + 1 >= key_size)
				return false;
			key[out++] = (char) tolower(c);
		}
		else
			pending_separator = true;
	}
	key[out] = '\0';
	if (strcmp(key, "p1_p2_p3_p4") == 0)
		strcpy(key, "priority");
	return out > 0;
}

/* Literal text from start to end, filling each #12345 in it. */
static TemplateResult
template_literal(TemplateRun *run, size_t start, size_t end)
{
	size_t		run_start = start;

	for (size_t i = start; i < end; i++)
	{
		if (run->text[i] == '#' && template_at_sample_number(run, i) &&
			i + TEMPLATE_SAMPLE_NUMBER_LENGTH <= end)
		{
			TemplateResult result;

			run->append(run->append_context, run->text + run_start, i + 1 - run_start);
			if ((result = template_emit_variable(run, "ticket_number")) != TEMPLATE_OK)
				return result;
			i += TEMPLATE_SAMPLE_NUMBER_LENGTH - 1;
			run_start = i + 1;
		}
	}
	if (end > run_start)
		run->append(run->append_context, run->text + run_start, end - run_start);
	return TEMPLATE_OK;
}

TemplateResult
template_render(const char *text, size_t length,
				TemplateLookup lookup, void *lookup_context,
				TemplateAppend append, void *append_context,
				char *name, size_t name_size)
{
	TemplateRun run = {text, length, lookup, lookup_context, append, append_context, name, name_size};
	size_t		literal_start = 0;
	size_t		i = 0;
	TemplateResult result;

	if (name_size > 0)
		name[0] = '\0';
	while (i < length)
	{
		char		c = text[i];

		if (c == '\\' && i + 1 < length && strchr("[{#\\", text[i + 1]) != NULL)
		{
			if ((result = template_literal(&run, literal_start, i)) != TEMPLATE_OK)
				return result;
			append(append_context, text + i + 1, 1);
			i += 2;
			literal_start = i;
		}
		else if (c == '{' && i + 1 < length && text[i + 1] == '{')
		{
			size_t		close = i + 2;
			size_t		first;
			size_t		last;
			char		key[TEMPLATE_NAME_MAX];

			while (close + 1 < length && !(text[close] == '}' && text[close + 1] == '}'))
				close++;
			if (close + 1 >= length)
			{
				template_set_name(&run, text + i, length - i < 24 ? length - i : 24);
				return TEMPLATE_BAD_PLACEHOLDER;
			}
			first = i + 2;
			last = close;
			while (first < last && isspace((unsigned char) text[first]))
				first++;
			while (last > first && isspace((unsigned char) text[last - 1]))
				last--;
			if (last == first || last - first >= sizeof(key))
			{
				template_set_name(&run, text + i, close + 2 - i);
				return TEMPLATE_BAD_PLACEHOLDER;
			}
			for (size_t k = first; k < last; k++)
			{
				unsigned char ch = (unsigned char) text[k];

				if (!(islower(ch) || isdigit(ch) || ch == '_'))
				{
					template_set_name(&run, text + i, close + 2 - i);
					return TEMPLATE_BAD_PLACEHOLDER;
				}
				key[k - first] = (char) ch;
			}
			key[last - first] = '\0';
			if ((result = template_literal(&run, literal_start, i)) != TEMPLATE_OK ||
				(result = template_emit_variable(&run, key)) != TEMPLATE_OK)
				return result;
			i = close + 2;
			literal_start = i;
		}
		else if (c == '[')
		{
			size_t		close = i + 1;
			bool		has_hash = false;
			char		key[TEMPLATE_NAME_MAX];

			while (close < length && text[close] != ']' && text[close] != '\n' && text[close] != '[')
			{
				has_hash |= text[close] == '#';
				close++;
			}
			if (close >= length || text[close] != ']' || has_hash)
			{
				i++;			/* literal '[' (or a bracket holding a ticket number) */
				continue;
			}
			if (!template_phrase_key(text + i + 1, close - i - 1, key, sizeof(key)))
			{
				if (close - i - 1 >= sizeof(key))
				{
					template_set_name(&run, text + i, close + 1 - i);
					return TEMPLATE_BAD_PLACEHOLDER;
				}
				i++;			/* "[ ]" or "[-]" names nothing: literal */
				continue;
			}
			if ((result = template_literal(&run, literal_start, i)) != TEMPLATE_OK ||
				(result = template_emit_variable(&run, key)) != TEMPLATE_OK)
				return result;
			i = close + 1;
			literal_start = i;
		}
		else
			i++;
	}
	return template_literal(&run, literal_start, length);
}
