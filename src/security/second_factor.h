/*
 * second_factor.h — wrong one-time codes counted per member of staff, with
 * a lockout, in shared memory (second_factor.c).
 */
#ifndef BEDROCK_SECOND_FACTOR_H
#define BEDROCK_SECOND_FACTOR_H

/* In _PG_init while shared_preload_libraries are loaded. */
extern void second_factor_request(void);

#endif
