/*
 * local_time.h — instants and spans as a client reads them (local_time.c).
 */
#ifndef BEDROCK_LOCAL_TIME_H
#define BEDROCK_LOCAL_TIME_H

#include "postgres.h"

#include "datatype/timestamp.h"

/* "Mon 09 Mar 2026 14:00 America/New_York": an instant as the client reads it */
extern char *local_time_text(TimestampTz at, const char *time_zone);

/* "2 hours", "1 hour and 30 minutes", "1 day, 4 hours and 5 minutes" */
extern char *duration_in_words_text(const Interval *span);

#endif
