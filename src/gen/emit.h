#ifndef GEN_EMIT_H
#define GEN_EMIT_H

#include "gen/facts.h"
#include "gen/search.h"
#include "util/buf.h"
#include "util/strvec.h"

/*
 * Writing the kept calls of gen/search.h as a pytest file (issue 17): the
 * observed results become assertions (values as literals, the public state
 * of an object that has no literal, `pytest.raises` for exceptions), calls
 * of the same shape grouped as one parametrised test.
 *
 * Ownership: gen_emitted owns its strings; gen_emitted_release() frees them.
 */

struct gen_emitted {
	struct strvec ids;       /* each test's id within the file: "test_f" or "test_f[1-2]" */
	int *call;               /* ids.nr entries: the call each id runs */
	struct strvec names;     /* each test function's name, once */
};
#define GEN_EMITTED_INIT { STRVEC_INIT, NULL, STRVEC_INIT }
void gen_emitted_release(struct gen_emitted *e);

struct gen_emit_options {
	const char *module_name;   /* the importable name: "paginate.core" */
	const char *module_path;   /* for the header: "paginate/core.py" */
	unsigned long seed;
	/* tests kept from an earlier file, appended as they are (their names used too); may be NULL */
	const char *carried;
};

/* the file for the calls of `calls` whose `kept` is set, into `out` */
void gen_emit(struct buf *out, struct gen_emitted *emitted, const struct gen_facts *f,
	      const struct gen_calls *calls, const struct gen_emit_options *o);

#endif
