#include "engine/engine.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* the registry: one row per engine */
static const struct engine_ops *const engines[] = {
	&engine_builtin,
	&engine_llm,
	&engine_command,
};
static const struct engine_ops *extra[ENGINE_MAX_EXTRA];
static size_t nr_extra;

const struct engine_ops *engine_at(size_t i)
{
	if (i < ARRAY_SIZE(engines))
		return engines[i];
	i -= ARRAY_SIZE(engines);
	return i < nr_extra ? extra[i] : NULL;
}

const struct engine_ops *engine_find(const char *name)
{
	const struct engine_ops *e;
	size_t i;

	for (i = 0; (e = engine_at(i)); i++)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

int engine_register(const struct engine_ops *ops)
{
	if (engine_find(ops->name))
		return error_setc(ERR_CONFLICT, "an engine '%s' exists already", ops->name);
	if (nr_extra == ENGINE_MAX_EXTRA)
		return error_setc(ERR_LIMIT, "no room for engine '%s'", ops->name);
	extra[nr_extra++] = ops;
	return 0;
}
