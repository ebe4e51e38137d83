#include "serve/queue.h"

#include "util/error.h"

#include <stddef.h>

/*
 * The choice of a backend by the database's name, apart from queue.c: the
 * backends use queue.c (states, the free functions), and this file uses the
 * backends, so neither calls the other round a circle.
 */
int queue_open(struct queue **out, const char *database)
{
	*out = NULL;
	if (!database || !*database)
		return error_setc(ERR_USAGE, "no database given for the queue");
	if (queue_is_pg(database))
		return queue_open_pg(out, database);
	return queue_open_sqlite(out, database);
}
