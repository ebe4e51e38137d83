/*
 * What engines hand back (declared in engine/engine.h): candidate lists and
 * the record of a conversation with a model. Apart from engine.c, whose
 * registry names the engines, so that no engine calls back into it.
 */
#include "engine/engine.h"

#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

struct candidate *candidate_list_add(struct candidate_list *l)
{
	struct candidate *c;

	ALLOC_APPEND(c, l->items, l->nr, l->alloc);
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
	FREE_ALL(x->provider, x->model, x->system, x->prompt, x->reply, x->outcome);
	memset(x, 0, sizeof(*x));
}
