/*
 * owner_spi.h — reading the extension's configuration through SPI as the
 * tables' owner, from triggers that fire for any role.
 */
#ifndef BEDROCK_OWNER_SPI_H
#define BEDROCK_OWNER_SPI_H

#include "postgres.h"

/* the only search_path code running with the owner's rights ever uses */
#define OWNER_SEARCH_PATH "pg_catalog, pg_temp"

/* work(argument) in its own SPI connection, with owner as the current user */
extern void owner_spi_run(Oid owner, void (*work) (void *), void *argument);

extern Oid	owner_spi_relation_owner(Oid relid);

/* OID of support.<name>; an error if it does not exist */
extern Oid	owner_spi_support_table(const char *name);

#endif
