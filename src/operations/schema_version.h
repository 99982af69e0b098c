/*
 * schema_version.h — which schema the library finds in this database
 * (schema_version.c).
 */
#ifndef BEDROCK_SCHEMA_VERSION_H
#define BEDROCK_SCHEMA_VERSION_H

#include "postgres.h"

/*
 * Whether this database still has 1.0's schema: between installing the
 * 1.1 package and ALTER EXTENSION UPDATE, its tickets keep working without
 * what 1.1 added (the triggers write what 1.0's tables hold).
 */
extern bool schema_is_1_0(void);

#endif
