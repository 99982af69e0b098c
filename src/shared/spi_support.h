/*
 * spi_support.h — the SPI plumbing the C triggers share: plans kept for the
 * backend's life, and column indexes of the rows they handle.
 */
#ifndef BEDROCK_SPI_SUPPORT_H
#define BEDROCK_SPI_SUPPORT_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/spi.h"

/* *cached, prepared and kept on first use (inside an SPI connection) */
extern SPIPlanPtr spi_kept_plan(SPIPlanPtr *cached, const char *query,
								int argument_count, Oid *argument_types);

/*
 * The 0-based index of a column of a table's rows; an error if missing.
 * name must be a string constant: the answer is cached by its address.
 */
extern int	spi_column(TupleDesc tupdesc, const char *name);

#endif
