/* TEMP (dropped when queue_pg.c lands): lets branches link before the PostgreSQL backend */
#include "serve/queue.h"
#include "util/error.h"
#include "util/xalloc.h"

int queue_open_pg(struct queue **out, const char *url)
{
	(void)url;
	*out = NULL;
	return error_setc(ERR_USAGE, "PostgreSQL is not built into this branch yet");
}

char *queue_display_name(const char *database)
{
	return xstrdup(database);
}
