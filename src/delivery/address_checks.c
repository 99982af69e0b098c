/*
 * address_checks.c — what may reach an SMTP envelope or a header: an RFC
 * 5321 mailbox, and values of one line.
 *
 * In C because the outbox's constraints call them for every message a
 * ticket queues: a SQL function there costs its inlining (or its call) on
 * every statement, several hundred thousand instructions per ticket.
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#define MAILBOX_MAX_LENGTH 254
#define DOMAIN_LABEL_MAX_LENGTH 63

/* RFC 5322 atext: the characters of a dot-atom's atoms */
static bool
address_is_atext(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static bool
address_is_label_character(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* a dot-atom: atoms of atext joined by single dots */
static bool
address_is_dot_atom(const char *start, const char *end)
{
	bool		after_dot = true;	/* nothing yet: an atom must come first */

	if (start == end)
		return false;
	for (const char *c = start; c < end; c++)
	{
		if (*c == '.')
		{
			if (after_dot)
				return false;
			after_dot = true;
		}
		else if (address_is_atext(*c))
			after_dot = false;
		else
			return false;
	}
	return !after_dot;
}

/* a domain of at least two labels: letters, digits and inner hyphens, 1 to 63 each */
static bool
address_is_domain(const char *start, const char *end)
{
	int			labels = 0;
	const char *label = start;

	for (const char *c = start; c <= end; c++)
	{
		if (c == end || *c == '.')
		{
			ptrdiff_t	length = c - label;

			if (length < 1 || length > DOMAIN_LABEL_MAX_LENGTH || label[0] == '-' || c[-1] == '-')
				return false;
			labels++;
			label = c + 1;
		}
		else if (!address_is_label_character(*c))
			return false;
	}
	return labels >= 2;
}

/* support.is_email_address(address text) RETURNS boolean */
PG_FUNCTION_INFO_V1(is_email_address);
Datum
is_email_address(PG_FUNCTION_ARGS)
{
	text	   *address = PG_GETARG_TEXT_PP(0);
	const char *start = VARDATA_ANY(address);
	int			length = VARSIZE_ANY_EXHDR(address);
	const char *end = start + length;
	const char *at = memchr(start, '@', length);

	PG_RETURN_BOOL(length <= MAILBOX_MAX_LENGTH && at != NULL &&
				   memchr(at + 1, '@', end - at - 1) == NULL &&
				   address_is_dot_atom(start, at) && address_is_domain(at + 1, end));
}

/* support.is_one_line(value text) RETURNS boolean: no CR, no LF (text holds no NUL) */
PG_FUNCTION_INFO_V1(is_one_line);
Datum
is_one_line(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	const char *start = VARDATA_ANY(value);
	int			length = VARSIZE_ANY_EXHDR(value);

	PG_RETURN_BOOL(memchr(start, '\r', length) == NULL && memchr(start, '\n', length) == NULL);
}
