/*
 * bedrock_support.h — the module's settings, for the files that read them.
 */
#ifndef BEDROCK_SUPPORT_H
#define BEDROCK_SUPPORT_H

#include "postgres.h"

/* support.auto_assign: new tickets go to the least-loaded eligible agent */
extern bool bedrock_auto_assign;

#endif
