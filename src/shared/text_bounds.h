/*
 * text_bounds.h — the bounds of the text the desk composes (text_bounds.c).
 */
#ifndef BEDROCK_TEXT_BOUNDS_H
#define BEDROCK_TEXT_BOUNDS_H

#include "postgres.h"

#include "lib/stringinfo.h"

/* the longest text the desk composes: a rendered template, an email, an alert, a webhook's text */
#define TEXT_COMPOSED_MAX (256 * 1024)

/* the longest template text the desk renders or checks: a template's own bound is 64 kB */
#define TEXT_TEMPLATE_MAX (1024 * 1024)

/* what ends a text cut to fit */
#define TEXT_CUT_MARKER " [... cut: too long]"

/*
 * The bytes of text (length bytes) to keep so that they and TEXT_CUT_MARKER
 * fit max_bytes, whole characters only; length itself when all of it fits.
 */
extern size_t text_bounds_fit_length(const char *text, size_t length, size_t max_bytes);

/* A text being composed, cut at TEXT_COMPOSED_MAX: what comes after the cut is dropped. */
typedef struct ComposedText
{
	StringInfoData text;
	bool		cut;
} ComposedText;

extern void composed_text_init(ComposedText *composed);
extern void composed_text_append(ComposedText *composed, const char *text, size_t length);

#endif
