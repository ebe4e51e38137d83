#ifndef PYAST_PYAST_H
#define PYAST_PYAST_H

#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * Python syntax trees: the only module that talks to tree-sitter. A parse
 * copies the source and flattens tree-sitter's tree into an array of
 * `struct pyast_node` in document order (pre-order), so callers walk plain
 * structs and never see a TSNode.
 *
 * Ownership: a `struct pyast` owns its copy of the source and every node;
 * node pointers and pyast_text() pointers are borrowed and stay valid until
 * pyast_free(). Results that own memory (`struct pyast_function`,
 * `struct pyast_names`) come through out-parameters and are released with
 * their own _release().
 *
 * Lines are 1-based, byte offsets 0-based, ranges [start, end).
 */

struct pyast;

struct pyast_node {
	const char *type;   /* the grammar's name: "comparison_operator", "identifier", "<=", "ERROR" */
	const char *field;  /* the field it fills in its parent ("left", "operators", "body"), or NULL */
	size_t start, end;  /* byte range in the source */
	int start_line;
	int end_line;       /* the line of the last byte (== start_line when empty) */
	unsigned named : 1;   /* a named node, not punctuation or a keyword */
	unsigned error : 1;   /* an ERROR node */
	unsigned missing : 1; /* a node the parser inserted to recover (zero width) */
	const struct pyast_node *parent, *child, *next; /* first child, next sibling; NULL when none */
};

/*
 * Parse <src, len>. A source with syntax errors still parses (see
 * pyast_syntax_ok); -1 only if tree-sitter itself fails.
 */
int pyast_parse(struct pyast **out, const char *src, size_t len);
void pyast_free(struct pyast *ast);

/* the parsed source (borrowed, NUL-terminated) */
const char *pyast_source(const struct pyast *ast, size_t *len);
const struct pyast_node *pyast_root(const struct pyast *ast);
/* all nodes in document order; nodes[0] is the root */
const struct pyast_node *pyast_nodes(const struct pyast *ast, size_t *nr);

/*
 * 1 if the tree has no ERROR or MISSING node and no empty block (which
 * tree-sitter accepts and Python does not); otherwise 0 and, when `why` is
 * given, "line N: unexpected 'text'", "line N: missing ')'" or "line N:
 * expected an indented block" for the first one is appended to it.
 */
int pyast_syntax_ok(const struct pyast *ast, struct buf *why);

/*
 * 1 if the source with bytes [start, end) replaced by <text, len> would
 * pass pyast_syntax_ok() (an incremental re-parse: cheap for a small edit
 * in a large file; only blocks near the edit are checked for emptiness,
 * so the source should be clean to begin with). The tree is not changed.
 */
int pyast_edit_parses(const struct pyast *ast, size_t start, size_t end, const char *text, size_t len);

/* -- nodes ---------------------------------------------------------------- */

/* the node's text: a pointer into the source, `len` bytes (not NUL-terminated) */
const char *pyast_text(const struct pyast *ast, const struct pyast_node *n, size_t *len);
/* 1 if the node's text is exactly `s` */
int pyast_text_is(const struct pyast *ast, const struct pyast_node *n, const char *s);
/* 1 if the node's type is `type` */
int pyast_is(const struct pyast_node *n, const char *type);
/* the first child filling `field`, or NULL */
const struct pyast_node *pyast_field(const struct pyast_node *n, const char *field);
/* the i-th named child (0-based), or NULL */
const struct pyast_node *pyast_named_child(const struct pyast_node *n, size_t i);
size_t pyast_named_count(const struct pyast_node *n);
/* 1 if `n` lies inside `ancestor` (or is it) */
int pyast_within(const struct pyast_node *n, const struct pyast_node *ancestor);
/* the nearest ancestor of `n` (not `n` itself) of type `type`, or NULL */
const struct pyast_node *pyast_ancestor(const struct pyast_node *n, const char *type);
/* the innermost def or lambda around `n` (not `n` itself), or NULL */
const struct pyast_node *pyast_enclosing_def(const struct pyast_node *n);

/*
 * Iteration: the node after `prev` (NULL: the first) in document order whose
 * type is `type` (NULL: any) and that lies wholly within lines
 * [first_line, last_line] (0 for either: unbounded). NULL at the end.
 *
 *   for (n = NULL; (n = pyast_next(ast, n, "call", 10, 12)); ) ...
 */
const struct pyast_node *pyast_next(const struct pyast *ast, const struct pyast_node *prev,
				    const char *type, int first_line, int last_line);

/* 1 if the node is a statement (simple or compound) */
int pyast_is_statement(const struct pyast_node *n);
/*
 * The innermost statement containing `line`, or NULL. `first` and `last`
 * get the lines it spans; for a compound statement (if, for, def, ...) only
 * its header, up to the line before its body.
 */
const struct pyast_node *pyast_statement_at(const struct pyast *ast, int line, int *first, int *last);

/* -- lines ---------------------------------------------------------------- */

int pyast_line_count(const struct pyast *ast);
/* the byte range of line `line` without its "\n"; -1 if there is no such line */
int pyast_line_range(const struct pyast *ast, int line, size_t *start, size_t *end);
/* the line holding byte `offset` */
int pyast_line_of(const struct pyast *ast, size_t offset);

/* -- functions ------------------------------------------------------------ */

/* A function definition (def or async def), with owned copies of its texts. */
struct pyast_function {
	char *name;
	char *class_name;   /* the class a method is defined in, else NULL */
	int start_line;     /* its first decorator, else its def line */
	int end_line;
	size_t start, end;  /* byte range of the definition, decorators included */
	char *text;         /* whole lines start_line..end_line, indentation kept */
	const struct pyast_node *node; /* the function_definition (borrowed from the tree) */
	const struct pyast_node *body; /* its block */
};
#define PYAST_FUNCTION_INIT { NULL, NULL, 0, 0, 0, 0, NULL, NULL, NULL }

/* the innermost function containing `line`; ERR_NOTFOUND outside every function */
int pyast_enclosing_function(struct pyast_function *out, const struct pyast *ast, int line);
/* the function `name` (a method of `class_name` when not NULL; the first one found when NULL); ERR_NOTFOUND */
int pyast_find_function(struct pyast_function *out, const struct pyast *ast,
			const char *name, const char *class_name);
/* fill `out` from a function_definition node */
void pyast_function_from_node(struct pyast_function *out, const struct pyast *ast,
			      const struct pyast_node *def);
void pyast_function_release(struct pyast_function *fn);

/* -- names ---------------------------------------------------------------- */

enum pyast_name_kind {
	PYAST_NAME_NONE = 0,
	PYAST_NAME_PARAM,   /* a parameter of the enclosing function */
	PYAST_NAME_LOCAL,   /* assigned in the enclosing function (not a parameter, not `global`) */
	PYAST_NAME_GLOBAL,  /* assigned at module level */
	PYAST_NAME_DEF,     /* a module-level def, class or import */
};

/* The names visible at a line, each list in order of first appearance. */
struct pyast_names {
	struct strvec params;
	struct strvec locals;
	struct strvec globals;
	struct strvec defs;
};
#define PYAST_NAMES_INIT { STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT }

/*
 * The names in scope at `line`: parameters and locals of the innermost
 * enclosing function (none at module level), and module-level names.
 * Nested functions, classes, lambdas and comprehensions keep their own
 * names to themselves.
 */
void pyast_names_in_scope(struct pyast_names *out, const struct pyast *ast, int line);
enum pyast_name_kind pyast_names_kind(const struct pyast_names *names, const char *name, size_t len);
void pyast_names_release(struct pyast_names *names);

#endif
