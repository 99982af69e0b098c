/*
 * text_bounds.c — how much text the desk takes in and sends out, in one
 * place.
 *
 * Where a tenant writes text, it is bounded by the table's constraints:
 * names (of account users, agents and accounts) are one short line
 * (support.is_name), long texts (descriptions, resolutions, comments,
 * history) at most 1 MB. Where the desk composes a text (a template
 * rendered, an alert, an email, a webhook), it is cut to
 * TEXT_COMPOSED_MAX with a marker (support.fit_text), never refused: a
 * message a tenant's words made long still goes, and no worker's action
 * fails because of it.
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "shared/text_bounds.h"

/* the longest name, in characters */
#define TEXT_NAME_MAX_CHARACTERS 200

size_t
text_bounds_fit_length(const char *text, size_t length, size_t max_bytes)
{
	size_t		room;

	if (length <= max_bytes)
		return length;
	room = max_bytes > strlen(TEXT_CUT_MARKER) ? max_bytes - strlen(TEXT_CUT_MARKER) : 0;
	/* whole characters only */
	return (size_t) pg_mbcliplen(text, (int) Min(length, (size_t) PG_INT32_MAX), (int) room);
}

void
composed_text_init(ComposedText *composed)
{
	initStringInfo(&composed->text);
	composed->cut = false;
}

void
composed_text_append(ComposedText *composed, const char *text, size_t length)
{
	size_t		room;
	size_t		kept;

	if (composed->cut)
		return;
	room = TEXT_COMPOSED_MAX - (size_t) composed->text.len;
	if (length <= room)
	{
		appendBinaryStringInfo(&composed->text, text, (int) length);
		return;
	}
	/* room for the marker too; a cut between two appends keeps whole characters */
	kept = text_bounds_fit_length(text, length, room);
	appendBinaryStringInfo(&composed->text, text, (int) kept);
	if ((size_t) composed->text.len + strlen(TEXT_CUT_MARKER) > TEXT_COMPOSED_MAX)
		composed->text.len = (int) text_bounds_fit_length(composed->text.data, composed->text.len,
														  TEXT_COMPOSED_MAX);
	appendStringInfoString(&composed->text, TEXT_CUT_MARKER);
	composed->cut = true;
}

/*
 * support.fit_text(value text, max_bytes integer DEFAULT 262144) RETURNS
 * text: value itself when it fits, else its first whole characters and
 * TEXT_CUT_MARKER, max_bytes in all.
 */
PG_FUNCTION_INFO_V1(fit_text);
Datum
fit_text(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	int32		max_bytes = PG_GETARG_INT32(1);
	const char *data = VARDATA_ANY(value);
	size_t		length = VARSIZE_ANY_EXHDR(value);
	size_t		kept;
	text	   *result;

	if (max_bytes >= 0 && length <= (size_t) max_bytes)
		PG_RETURN_TEXT_P(value);
	if (max_bytes < (int32) strlen(TEXT_CUT_MARKER) + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("support.fit_text needs room for at least one character and the marker, not %d bytes",
						max_bytes),
				 errhint("Give at least %d bytes.", (int) strlen(TEXT_CUT_MARKER) + 1)));
	kept = text_bounds_fit_length(data, length, (size_t) max_bytes);
	result = palloc(VARHDRSZ + kept + strlen(TEXT_CUT_MARKER));
	SET_VARSIZE(result, VARHDRSZ + kept + strlen(TEXT_CUT_MARKER));
	memcpy(VARDATA(result), data, kept);
	memcpy(VARDATA(result) + kept, TEXT_CUT_MARKER, strlen(TEXT_CUT_MARKER));
	PG_RETURN_TEXT_P(result);
}

/*
 * support.is_name(value text) RETURNS boolean: a name someone is called
 * by, as a greeting or an alert quotes it: one line of at most 200
 * characters, no control character, no markup (< >) or web address
 * (://), not blank.
 */
PG_FUNCTION_INFO_V1(is_name);
Datum
is_name(PG_FUNCTION_ARGS)
{
	text	   *value = PG_GETARG_TEXT_PP(0);
	const unsigned char *data = (const unsigned char *) VARDATA_ANY(value);
	int			length = VARSIZE_ANY_EXHDR(value);
	bool		blank = true;

	/* a byte count first: a long value is refused without counting characters */
	if (length > TEXT_NAME_MAX_CHARACTERS * MAX_MULTIBYTE_CHAR_LEN ||
		pg_mbstrlen_with_len((const char *) data, length) > TEXT_NAME_MAX_CHARACTERS)
		PG_RETURN_BOOL(false);
	for (int i = 0; i < length; i++)
	{
		/* C0 controls and DEL */
		if (data[i] < 0x20 || data[i] == 0x7f)
			PG_RETURN_BOOL(false);
		/* in UTF-8, C1 controls (U+0080..U+009F) and the line and paragraph separators */
		if (GetDatabaseEncoding() == PG_UTF8 && i + 1 < length &&
			((data[i] == 0xc2 && data[i + 1] >= 0x80 && data[i + 1] <= 0x9f) ||
			 (data[i] == 0xe2 && i + 2 < length && data[i + 1] == 0x80 &&
			  (data[i + 2] == 0xa8 || data[i + 2] == 0xa9))))
			PG_RETURN_BOOL(false);
		/* markup or a web address is no part of a name (a greeting would carry it) */
		if (data[i] == '<' || data[i] == '>' ||
			(data[i] == ':' && i + 2 < length && data[i + 1] == '/' && data[i + 2] == '/'))
			PG_RETURN_BOOL(false);
		if (data[i] != ' ')
			blank = false;
	}
	PG_RETURN_BOOL(!blank);
}
