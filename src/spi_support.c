/*
 * spi_support.c — kept plans and column lookups for the C triggers.
 */
#include "postgres.h"

#include "nodes/parsenodes.h"

#include "spi_support.h"

/*
 * Generic plans: these are short statements run per row or per statement,
 * where planning again for each parameter set would cost more than a custom
 * plan could save.
 */
SPIPlanPtr
spi_kept_plan(SPIPlanPtr *cached, const char *query, int argument_count, Oid *argument_types)
{
	if (*cached == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(query, argument_count, argument_types,
											  CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", query,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*cached = plan;
	}
	return *cached;
}

int
spi_ticket_column(TupleDesc tupdesc, const char *name)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	if (attnum <= 0)
		elog(ERROR, "support.tickets has no column \"%s\"", name);
	return attnum - 1;			/* index into values[] */
}
