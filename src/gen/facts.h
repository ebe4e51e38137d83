#ifndef GEN_FACTS_H
#define GEN_FACTS_H

#include "util/strvec.h"

#include <stddef.h>
#include <stdint.h>

/*
 * What the code of one module says about how to call it (issue 17, the
 * built-in generator's evidence, read from the syntax tree alone, nothing
 * run): its public functions, classes and methods, each parameter with its
 * kind, default and annotation and what the body does with it (`x.append`
 * -> a list, `x + 1` -> a number), the doctest examples in docstrings, the
 * literals of the bodies, and whether a function reaches a call with side
 * effects (process, file deletion, network) directly or through other
 * functions of the module.
 *
 * Ownership: gen_facts owns everything; gen_facts_release() frees it.
 */

/* what a parameter's uses say it is (bits) */
enum gen_hint {
	GEN_HINT_NUMBER = 1 << 0,   /* arithmetic or a comparison with a number, range(x) */
	GEN_HINT_STR = 1 << 1,      /* str methods: x.lower(), x.split(), ... */
	GEN_HINT_LIST = 1 << 2,     /* list methods: x.append(), x.pop(), ... */
	GEN_HINT_DICT = 1 << 3,     /* dict methods: x.items(), x.get(), ... */
	GEN_HINT_SEQ = 1 << 4,      /* len(x), x[i], for ... in x */
	GEN_HINT_NONE = 1 << 5,     /* x is None, x == None */
	GEN_HINT_BOOL = 1 << 6,     /* `if x:` with nothing else known */
	GEN_HINT_CALLABLE = 1 << 7, /* x(...) */
	GEN_HINT_INT = 1 << 8,      /* range(x), x[...] index, x // y, x % y */
	GEN_HINT_FLOAT = 1 << 9,    /* a float literal next to it */
	GEN_HINT_SET = 1 << 10,     /* x.add(), x | y with a set */
	GEN_HINT_OBJECT = 1 << 11,  /* x.attr of a name no builtin type has */
	GEN_HINT_PAIRS = 1 << 12,   /* for a, b in x: a sequence of pairs */
	GEN_HINT_PAIR = 1 << 13,    /* a, b = x */
	GEN_HINT_MATRIX = 1 << 14,  /* x[i][j]: a list of lists */
	GEN_HINT_DATE = 1 << 15,    /* x.weekday(), x.year, x.replace(day=1): a date */
};

enum gen_param_kind {
	GEN_PARAM_POSITIONAL,   /* positional or keyword */
	GEN_PARAM_POS_ONLY,     /* before "/" */
	GEN_PARAM_KW_ONLY,      /* after "*" or *args */
	GEN_PARAM_VARARGS,      /* *args */
	GEN_PARAM_VARKW,        /* **kwargs */
};

struct gen_param {
	char *name;
	enum gen_param_kind kind;
	char *default_text;   /* its default's source text, NULL when none */
	char *annotation;     /* its annotation's source text, NULL when none */
	unsigned hints;       /* enum gen_hint bits */
	char *attr_class;     /* GEN_HINT_OBJECT: a class of the module whose attributes fit, else NULL */
};

enum gen_function_kind {
	GEN_FUNCTION,         /* a module-level function */
	GEN_METHOD,           /* an instance method */
	GEN_STATICMETHOD,
	GEN_CLASSMETHOD,
	GEN_PROPERTY,         /* a @property getter */
};

struct gen_function {
	char *name;
	char *class_name;     /* NULL for module-level functions */
	char *qualname;       /* "name" or "Class.name" */
	enum gen_function_kind kind;
	int start_line, end_line;
	struct gen_param *params;   /* self / cls left out */
	size_t nparams;
	unsigned is_generator : 1;
	unsigned is_async : 1;
	unsigned recursive : 1;
	unsigned mutates_self : 1;  /* assigns self.x or calls self.x.append(...) */
	unsigned is_private : 1;    /* _name: read for its evidence (side effects, hints), not called */
	unsigned is_inner : 1;      /* defined in and returned by another function (see `inner`) */
	char *side_effect;    /* "os.remove (line 12)" or "through cleanup(): shutil.rmtree (line 30)"; NULL */
	struct strvec doctests;     /* the expressions of ">>> " lines that call it */
	struct strvec int_literals; /* numbers of its body (text), each once */
	struct strvec str_literals; /* short strings of its body (source text, quotes kept), each once */
	struct strvec float_literals;
	struct strvec calls;        /* module functions and classes it calls, each once */
	uint64_t hash;        /* of its text: a test's code_hash */
	/*
	 * a function it defines and returns (a factory, a closure): the index
	 * of that inner function's entry (private, qualname "f.<locals>.g"), else -1
	 */
	int inner;
};

struct gen_class {
	char *name;
	int start_line, end_line;
	int init;             /* index of __init__ in functions, -1 when none (no arguments) */
	int abstract;         /* raises NotImplementedError in a method or derives from ABC */
	int is_exception;     /* derives from an Exception class */
	struct strvec attrs;  /* public attributes its methods assign (self.x = ...) */
};

struct gen_facts {
	char *path;           /* as given (project-relative) */
	/* in file order: public ones, and private ones (is_private) for the evidence they give */
	struct gen_function *functions;
	size_t nfunctions;
	struct gen_class *classes;
	size_t nclasses;
	struct strvec module_names;  /* public module-level names: functions, classes, constants */
	struct strvec imports;       /* modules imported (for messages) */
	/* names the module's imports bind ("date", "datetime"), each with the import statement that binds it */
	struct strvec import_names, import_lines;
	struct strvec import_targets;  /* what each name is: "shutil.rmtree" for `from shutil import rmtree as wipe` */
};
#define GEN_FACTS_INIT { NULL, NULL, 0, NULL, 0, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT }

/*
 * Read the facts of the Python source <src, len> (`path` for messages).
 * ERR_PARSE naming the line when it does not parse.
 */
int gen_facts_read(struct gen_facts *out, const char *path, const char *src, size_t len);
void gen_facts_release(struct gen_facts *f);

/* the class `name`, or NULL */
const struct gen_class *gen_facts_class(const struct gen_facts *f, const char *name);
/* the function `qualname`, or NULL */
const struct gen_function *gen_facts_function(const struct gen_facts *f, const char *qualname);

#endif
