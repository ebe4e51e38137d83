#include "engine/engine.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* the registry: one row per engine */
static const struct engine_ops *const engines[] = {
	&engine_builtin,
	&engine_llm,
};

const struct engine_ops *engine_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(engines); i++)
		if (!strcmp(engines[i]->name, name))
			return engines[i];
	return NULL;
}

struct candidate *candidate_list_add(struct candidate_list *l)
{
	struct candidate *c;

	ALLOC_GROW(l->items, l->nr + 1, l->alloc);
	c = &l->items[l->nr++];
	memset(c, 0, sizeof(*c));
	change_init(&c->change);
	return c;
}

void candidate_list_release(struct candidate_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		change_release(&l->items[i].change);
		free(l->items[i].template_name);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

void engine_exchange_release(struct engine_exchange *x)
{
	free(x->provider);
	free(x->model);
	free(x->system);
	free(x->prompt);
	free(x->reply);
	free(x->outcome);
	memset(x, 0, sizeof(*x));
}
