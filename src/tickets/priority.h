/*
 * priority.h — the handbook's P1..P4 priority levels, shared by the
 * priority type and anything in C that reasons about urgency.
 */
#ifndef BEDROCK_PRIORITY_H
#define BEDROCK_PRIORITY_H

#include "postgres.h"

/* Stored as int2: 1 is the most urgent (P1, critical), 4 the least (P4, low). */
#define PRIORITY_MOST_URGENT	1
#define PRIORITY_LEAST_URGENT	4

/* Pure parser, no executor calls: true and *result set when input is valid. */
extern bool priority_parse(const char *input, int16 *result);

/* "Critical", "High", "Medium" or "Low" */
extern const char *priority_display_label(int16 level);

#endif
