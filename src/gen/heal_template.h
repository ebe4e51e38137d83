#ifndef GEN_HEAL_TEMPLATE_H
#define GEN_HEAL_TEMPLATE_H

#include "gen/facts.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * The heal templates (issue 17, SPEC C12): what a failing test's error
 * says went wrong, and deterministic edits of the test's own file that
 * follow the code where it moved on purpose. A name renamed or gone from
 * its module, a module moved, a keyword renamed, a new required
 * parameter, a fixture renamed: the edit is made to the test. A changed
 * expected value is a change of behaviour: its edit (the value the code
 * returns now, as a literal) is marked `behaviour`, for the caller to hold
 * until the user accepts it.
 *
 * Texts in, texts out: nothing here runs a test or writes a file; the
 * project's modules come in a gen_heal_modules the caller fills (their
 * text read from the project on first use when not given). Every candidate
 * still parses; whether it heals is for the caller to find out.
 *
 * Ownership: a diagnosis, a candidate list and a module list own every
 * string they hold; their _release() frees them.
 */

/* candidates of one failure, at most (each costs a test run) */
#define GEN_HEAL_MAX_CANDIDATES 8
/* names tried in place of a missing one, at most */
#define GEN_HEAL_MAX_RENAMES 3
/* values tried for a new parameter, at most */
#define GEN_HEAL_MAX_VALUES 6
/* a name less similar than this to the missing one is not tried */
#define GEN_HEAL_MIN_SIMILARITY 0.2
/* the project's modules read, at most, and the size of one */
#define GEN_HEAL_MAX_MODULES 2000
#define GEN_HEAL_MAX_MODULE_BYTES (2u << 20)

/* the failure's kind, as the checklist's error_category names it (gen/state.h) */
enum gen_heal_category {
	GEN_HEAL_IMPORT,      /* IMPORT_ERROR: a name or module the test imports is gone */
	GEN_HEAL_NAME,        /* NAME_ERROR */
	GEN_HEAL_ATTRIBUTE,   /* ATTRIBUTE_ERROR */
	GEN_HEAL_SIGNATURE,   /* SIGNATURE_ERROR: a keyword or a parameter changed */
	GEN_HEAL_FIXTURE,     /* FIXTURE_ERROR */
	GEN_HEAL_BEHAVIOUR,   /* BEHAVIOUR_CHANGE: an observed value differs from the expected literal */
	GEN_HEAL_OTHER,       /* OTHER_ERROR: no template applies */
};
/* "IMPORT_ERROR", ...: a static string */
const char *gen_heal_category_name(enum gen_heal_category c);

/* which message shape, within a category */
enum gen_heal_kind {
	GEN_HEAL_UNKNOWN,
	GEN_HEAL_CANNOT_IMPORT,      /* ImportError: cannot import name 'X' from 'm' (path) */
	GEN_HEAL_NO_MODULE,          /* ModuleNotFoundError: No module named 'm' */
	GEN_HEAL_UNDEFINED_NAME,     /* NameError: name 'X' is not defined */
	GEN_HEAL_MODULE_ATTRIBUTE,   /* AttributeError: module 'm' has no attribute 'X' */
	GEN_HEAL_OBJECT_ATTRIBUTE,   /* AttributeError: 'C' object has no attribute 'X' */
	GEN_HEAL_UNEXPECTED_KEYWORD, /* TypeError: f() got an unexpected keyword argument 'k' */
	GEN_HEAL_MISSING_ARGUMENT,   /* TypeError: f() missing 2 required positional arguments: 'a' and 'b' */
	GEN_HEAL_MISSING_FIXTURE,    /* fixture 'x' not found ... available fixtures: a, b */
	GEN_HEAL_CHANGED_VALUE,      /* AssertionError: assert L == R */
};

struct gen_heal_diagnosis {
	enum gen_heal_category category;
	enum gen_heal_kind kind;
	char *name;          /* the missing name, module, keyword or fixture; NULL */
	char *owner;         /* the module, class or function the message names ("C.f"); NULL */
	char *module_file;   /* CANNOT_IMPORT: the module's file as the message gives it; NULL */
	struct strvec names; /* MISSING_ARGUMENT: the parameters; MISSING_FIXTURE: the fixtures there are */
	char *left, *right;  /* CHANGED_VALUE: the two sides of the message's `assert L == R` */
};
#define GEN_HEAL_DIAGNOSIS_INIT { GEN_HEAL_OTHER, GEN_HEAL_UNKNOWN, NULL, NULL, NULL, STRVEC_INIT, NULL, NULL }

/*
 * Read a failure's error type, message and report text (any may be NULL)
 * into `out` (GEN_HEAL_DIAGNOSIS_INIT); returns out->category. Messages of
 * another shape are GEN_HEAL_OTHER with kind GEN_HEAL_UNKNOWN.
 */
enum gen_heal_category gen_heal_classify(struct gen_heal_diagnosis *out, const char *error_type,
					 const char *message, const char *traceback);
void gen_heal_diagnosis_release(struct gen_heal_diagnosis *d);

/* The project's own modules, the places a name may have gone. */
struct gen_heal_module {
	char *path;          /* project-relative */
	char *name;          /* importable: "pkg/util.py" -> "pkg.util" (a src/ or lib/ prefix dropped) */
	char *text;          /* NULL until read */
	size_t len;
	int state;           /* 0: not read; 1: facts read; -1: unreadable or does not parse */
	struct gen_facts facts;
};
struct gen_heal_modules {
	const char *root;    /* where texts not given are read from (borrowed); may be NULL */
	struct gen_heal_module *v;
	size_t nr, alloc;
};
#define GEN_HEAL_MODULES_INIT { NULL, NULL, 0, 0 }
/* add the module at `path`; `text` NULL: read from root/path when needed (copied otherwise) */
void gen_heal_modules_add(struct gen_heal_modules *m, const char *path, const char *text, size_t len);
void gen_heal_modules_release(struct gen_heal_modules *m);
/* the importable name of a project file into `out`: "pkg/__init__.py" -> "pkg" */
void gen_heal_module_name(struct buf *out, const char *path);

/* the template names, as the knowledge base counts them */
#define GEN_HEAL_T_RENAME_NAME "heal-rename-name"
#define GEN_HEAL_T_ADD_IMPORT "heal-add-import"
#define GEN_HEAL_T_MOVE_MODULE "heal-move-module"
#define GEN_HEAL_T_RENAME_ATTRIBUTE "heal-rename-attribute"
#define GEN_HEAL_T_RENAME_KEYWORD "heal-rename-keyword"
#define GEN_HEAL_T_NEW_ARGUMENT "heal-new-argument"
#define GEN_HEAL_T_RENAME_FIXTURE "heal-rename-fixture"
#define GEN_HEAL_T_EXPECTED_VALUE "heal-expected-value"

struct gen_heal_candidate {
	char *text;              /* the test file's new text */
	size_t len;
	const char *template_name;  /* a GEN_HEAL_T_* (static) */
	char *reason;            /* what it does: "renamed add -> add_numbers" */
	int behaviour;           /* a changed expected value: held unless the user accepts it */
	char *old_value, *new_value;  /* behaviour: the expected value, before and after */
};
struct gen_heal_candidates {
	struct gen_heal_candidate *v;
	size_t nr, alloc;
};
#define GEN_HEAL_CANDIDATES_INIT { NULL, 0, 0 }
void gen_heal_candidates_release(struct gen_heal_candidates *c);

struct gen_heal_request {
	const struct gen_heal_diagnosis *d;
	const char *path;        /* the failing test's file, project-relative */
	const char *text;        /* its text */
	size_t len;
	const char *test;        /* the test within it ("test_f[1-2]", "TestC::test_f"); NULL: the file */
	int line;                /* the failing line in the file; 0: unknown */
	struct gen_heal_modules *modules;  /* the project's modules; facts are read into it */
	const struct strvec *template_order;  /* the knowledge base's order of templates; may be NULL */
};

/*
 * Append the candidates for the request's failure to `out`, best first (a
 * template the knowledge base ranks higher first, then by how well the new
 * name fits), at most GEN_HEAL_MAX_CANDIDATES, each different from the text
 * and from the others and each parsing. Finding none is not an error.
 */
void gen_heal_propose(struct gen_heal_candidates *out, const struct gen_heal_request *r);

/* how alike two names are, in [0, 1]: edit distance, shared words, one inside the other */
double gen_heal_similarity(const char *a, const char *b);

#endif
