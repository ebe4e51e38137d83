#define _GNU_SOURCE /* memmem */
#include "runner/junit.h"

#include "runner/traceback.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sig.h"
#include "util/strmap.h"
#include "util/strvec.h"
#include "util/xalloc.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * What pytest writes, and how it is read back (pytest 7.2, checked against
 * the reports under tests/fixtures/junit/):
 *
 * - classname is the node id's path with "/" turned into "." and ".py"
 *   dropped, then its classes: "tests/test_calc.py::TestDiv::test_div[1-0]"
 *   becomes classname "tests.test_calc.TestDiv", name "test_div[1-0]".
 *   xunit1 adds file="tests/test_calc.py" and a 0-based line= (the line of
 *   the def or its first decorator); xunit2 (the default) has neither, so
 *   the file is found on disk: the longest run of classname parts that names
 *   a .py file under the root, each "." standing for "/" or for a dot kept in
 *   a file or directory name ("tests/v1.5/test_x.py" is "tests.v1.5.test_x").
 * - a module that fails to import is a testcase with classname="" and
 *   name="tests.test_bad", holding <error message="collection failure">.
 * - a fixture error is <error message='failed on setup with "Type: msg"'>
 *   (or "teardown"), with no type attribute; neither do failures carry one:
 *   the type comes from the message or from the traceback text.
 * - a test that fails and then errors in teardown is written as two
 *   <testcase> elements with the same name: they become one failure.
 * - xfail is <skipped type="pytest.xfail">; a non-strict xpass looks like a
 *   pass; a strict xpass is <failure message="[XPASS(strict)] reason">.
 */

#if LIBXML_VERSION >= 21200
#define XML_ERROR_CONST const
#else
#define XML_ERROR_CONST
#endif

struct xml_errors {
	int line;
	struct buf message;      /* the first error; empty when none */
	int entity_line;         /* > 0: the document declares an entity */
	int interrupted;         /* a signal stopped the parse */
};

static void on_xml_error(void *payload, XML_ERROR_CONST xmlError *err)
{
	struct xml_errors *e = payload;
	if (!err || err->level < XML_ERR_ERROR || e->message.len)
		return;
	e->line = err->line;
	buf_adds(&e->message, err->message ? err->message : "unknown error");
	buf_rtrim(&e->message);
	if (!e->message.len)
		buf_adds(&e->message, "unknown error");
}

/*
 * Entities are how XML documents make libxml2 read files (XXE) or blow up
 * (billion laughs); no JUnit writer uses them, so the first declaration
 * stops the parse. That also makes XML_PARSE_HUGE safe, which lifts the
 * 10 MB limit on one text node that a big <system-out> can pass.
 */
static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
			   const xmlChar *system_id, xmlChar *content)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct xml_errors *e = ctxt->_private;
	if (!e->entity_line)
		e->entity_line = ctxt->input && ctxt->input->line > 0 ? ctxt->input->line : 1;
	xmlStopParser(ctxt);
}

static void on_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
				    const xmlChar *system_id, const xmlChar *notation)
{
	on_entity_decl(ctx, name, 0, public_id, system_id, NULL);
}

/*
 * A pending signal stops the parse at the next element or piece of text
 * (libxml2 hands text over in small pieces), so Ctrl-C is never waited out.
 */
static int stop_if_signalled(xmlParserCtxtPtr ctxt)
{
	struct xml_errors *e = ctxt->_private;
	if (!sig_pending())
		return 0;
	e->interrupted = 1;
	xmlStopParser(ctxt);
	return 1;
}

static void on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
			     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
			     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	if (!stop_if_signalled(ctx))
		xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces,
				      nb_attributes, nb_defaulted, attributes);
}

static void on_characters(void *ctx, const xmlChar *ch, int len)
{
	if (!stop_if_signalled(ctx))
		xmlSAX2Characters(ctx, ch, len);
}

/*
 * What libxml2 is given must look like a test report: its work on some
 * documents that are not (200,000 attributes on one element) grows with the
 * square of their size, and cannot be interrupted. One pass over the bytes
 * counts the attributes of each start tag, the depth of elements and the
 * <testcase> elements; well-formedness is left to libxml2. ERR_PARSE past a
 * cap, ERR_INTERRUPTED on a pending signal.
 */
struct plausible {
	const char *name;        /* the report, for messages */
	size_t depth, cases;
};

static int implausible(const struct plausible *p, const char *what)
{
	return error_setc(ERR_PARSE, "'%s' is not a plausible test report: %s", p->name, what);
}

/* the start tag at `s` (after its '<'): counted; the offset just past its '>' into `end` */
static int scan_start_tag(struct plausible *p, size_t *end, const char *s, size_t len)
{
	struct buf what = BUF_INIT;
	size_t i = 0, name_len, attrs = 0;
	int err = 0;

	while (i < len && !strchr(" \t\r\n/>", s[i]))
		i++;
	name_len = i;
	for (; i < len && s[i] != '>'; i++) {
		if (s[i] == '=') {
			attrs++;
		} else if (s[i] == '"' || s[i] == '\'') {
			const char *q = memchr(s + i + 1, s[i], len - i - 1);
			i = q ? (size_t)(q - s) : len;
		}
	}
	*end = i < len ? i + 1 : len;
	if (name_len == 8 && !memcmp(s, "testcase", 8))
		p->cases++;
	if (attrs > JUNIT_MAX_ATTRIBUTES)
		buf_addf(&what, "%zu attributes on <%.*s>", attrs, (int)(name_len < 64 ? name_len : 64), s);
	else if (p->cases > JUNIT_MAX_TESTCASES)
		buf_addf(&what, "more than %u test cases", JUNIT_MAX_TESTCASES);
	else if (i > 0 && i < len && s[i - 1] != '/' && ++p->depth > JUNIT_MAX_ELEMENT_DEPTH)
		buf_addf(&what, "elements nested more than %u deep", JUNIT_MAX_ELEMENT_DEPTH);
	if (what.len)
		err = implausible(p, what.ptr);
	buf_release(&what);
	return err;
}

/* the offset just past `term` from `from` in <s, len>, or len */
static size_t skip_past(const char *s, size_t len, size_t from, const char *term)
{
	const char *t = from <= len ? memmem(s + from, len - from, term, strlen(term)) : NULL;
	return t ? (size_t)(t - s) + strlen(term) : len;
}

static int check_plausible(const char *data, size_t len, const char *name)
{
	struct plausible p = { name, 0, 0 };
	size_t i = 0, next_check = 0, end;
	const char *lt;
	int err;

	while ((lt = memchr(data + i, '<', len - i))) {
		i = (size_t)(lt - data) + 1;
		if (i >= next_check) {
			if (sig_pending())
				return error_setc(ERR_INTERRUPTED, "interrupted while reading '%s'", name);
			next_check = i + JUNIT_SIGNAL_STRIDE;
		}
		if (len - i >= 3 && !memcmp(data + i, "!--", 3)) {
			i = skip_past(data, len, i + 3, "-->");
		} else if (len - i >= 8 && !memcmp(data + i, "![CDATA[", 8)) {
			i = skip_past(data, len, i + 8, "]]>");
		} else if (i < len && data[i] == '?') {
			i = skip_past(data, len, i + 1, "?>");
		} else if (i < len && data[i] == '!') {
			/* a DOCTYPE, maybe with an internal subset in brackets */
			size_t gt = skip_past(data, len, i, ">"), br = skip_past(data, len, i, "[");
			i = br < gt ? skip_past(data, len, skip_past(data, len, br, "]"), ">") : gt;
		} else if (i < len && data[i] == '/') {
			if (p.depth)
				p.depth--;
			i = skip_past(data, len, i, ">");
		} else {
			if ((err = scan_start_tag(&p, &end, data + i, len - i)) < 0)
				return err;
			i += end;
		}
		if (i >= len)
			break;
	}
	return 0;
}

/* libxml2's capitalised messages, in our style: "line 3: premature end of data" */
static void lowercase_first(struct buf *b)
{
	if (b->len >= 2 && b->ptr[0] >= 'A' && b->ptr[0] <= 'Z' &&
	    b->ptr[1] >= 'a' && b->ptr[1] <= 'z')
		b->ptr[0] = (char)(b->ptr[0] - 'A' + 'a');
}

static int parse_xml(xmlDocPtr *out, const char *data, size_t len, const char *name)
{
	struct xml_errors errs = { 0, BUF_INIT, 0, 0 };
	xmlStructuredErrorFunc old_fn;
	void *old_ctx;
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;
	int err = 0;

	*out = NULL;
	xmlInitParser();
	ctxt = xmlCreateMemoryParserCtxt(data, (int)len);
	if (!ctxt)
		return error_setc(ERR_PARSE, "cannot parse '%s': cannot create an XML parser", name);
	ctxt->_private = &errs;
	ctxt->sax->entityDecl = on_entity_decl;
	ctxt->sax->unparsedEntityDecl = on_unparsed_entity_decl;
	ctxt->sax->startElementNs = on_start_element;
	ctxt->sax->characters = on_characters;
	/* never the network, never a DTD, never substitute entities */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_HUGE);

	old_fn = xmlStructuredError;
	old_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&errs, on_xml_error);
	xmlParseDocument(ctxt);
	xmlSetStructuredErrorFunc(old_ctx, old_fn);

	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (errs.interrupted) {
		err = error_setc(ERR_INTERRUPTED, "interrupted while reading '%s'", name);
	} else if (errs.entity_line) {
		err = error_setc(ERR_PARSE, "cannot parse '%s': line %d: entity declarations are "
				 "not allowed in a JUnit report", name, errs.entity_line);
	} else if (!ctxt->wellFormed || !doc) {
		if (errs.message.len) {
			lowercase_first(&errs.message);
			err = error_setc(ERR_PARSE, "cannot parse '%s': line %d: %s", name,
					 errs.line, errs.message.ptr);
		} else {
			err = error_setc(ERR_PARSE, "cannot parse '%s': not well-formed XML", name);
		}
	}
	if (err) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	buf_release(&errs.message);
	*out = doc;
	return err;
}

static int is_element(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->name && !strcmp((const char *)n->name, name);
}

/* the text and CDATA directly under a node or attribute */
static void collect_text(struct buf *out, const xmlNode *first)
{
	const xmlNode *n;
	for (n = first; n; n = n->next)
		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content)
			buf_adds(out, (const char *)n->content);
}

/* the attribute's value (owned by the caller), or NULL when absent */
static char *attr(const xmlNode *node, const char *name)
{
	const xmlAttr *a;
	for (a = node->properties; a; a = a->next) {
		if (a->name && !strcmp((const char *)a->name, name)) {
			struct buf b = BUF_INIT;
			collect_text(&b, a->children);
			return buf_detach(&b, NULL);
		}
	}
	return NULL;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* a line attribute (0-based from pytest): a decimal of at most 9 digits, else -1 */
static int parse_line_attr(const char *s)
{
	char *end;
	long v;
	if (!s || !*s || *s == '-' || *s == '+' || strlen(s) > 9)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < 0)
		return -1;
	return (int)v;
}

static double parse_time_attr(const char *s)
{
	char *end;
	double v;
	if (!s || !*s)
		return 0.0;
	v = strtod(s, &end);
	if (*end || !isfinite(v) || v < 0)
		return 0.0;
	return v;
}

/* a report's file attribute as a project path, or NULL */
static char *project_file(const char *path, const char *root)
{
	return path ? traceback_project_path(path, strlen(path), root) : NULL;
}

/* "tests.test_calc.TestDiv" -> parts; 0 when a part is empty or could leave the root */
static int split_dotted(struct strvec *parts, const char *s)
{
	const char *p = s;
	if (!s || !*s)
		return 0;
	for (;;) {
		size_t n = strcspn(p, ".");
		char *part = xstrndup(p, n);
		int bad = !n || strchr(part, '/') || strchr(part, '\\');
		strvec_push(parts, part);
		free(part);
		if (bad)
			return 0;
		if (!p[n])
			return 1;
		p += n + 1;
	}
}

struct resolver {
	const char *root;
	const struct strvec *parts;
	size_t best;           /* parts used by the longest match so far */
	char *best_file;       /* its path, relative to root */
	unsigned probes;       /* left */
};

/*
 * Try every way of reading parts[i..] as "dir/dir/file" where a "." is either
 * a "/" or a dot inside a name, below `dir` (relative to root, "" at the top).
 * Only existing directories are descended into, so this stays small.
 */
static void resolve_walk(struct resolver *r, const char *dir, size_t i)
{
	struct buf comp = BUF_INIT, path = BUF_INIT;
	size_t j;

	if (*dir) {
		buf_adds(&comp, dir);
		buf_addch(&comp, '/');
	}
	for (j = i; j < r->parts->nr && r->probes; j++) {
		if (j > i)
			buf_addch(&comp, '.');
		buf_adds(&comp, r->parts->v[j]);
		buf_reset(&path);
		buf_addf(&path, "%s/%s.py", r->root, comp.ptr);
		r->probes--;
		if (j + 1 > r->best && fs_is_file(path.ptr)) {
			free(r->best_file);
			r->best_file = xstrdup(path.ptr + strlen(r->root) + 1);
			r->best = j + 1;
		}
		if (j + 1 < r->parts->nr && r->probes) {
			buf_setlen(&path, path.len - 3);
			r->probes--;
			if (fs_is_dir(path.ptr))
				resolve_walk(r, comp.ptr, j + 1);
		}
	}
	buf_release(&path);
	buf_release(&comp);
}

/* the .py file named by the longest leading run of `parts`; *used says how many */
static char *resolve_parts(size_t *used, const struct strvec *parts, const char *root)
{
	struct resolver r = { root, parts, 0, NULL, JUNIT_RESOLVE_PROBES };
	*used = 0;
	if (!root || !*root || !parts->nr)
		return NULL;
	resolve_walk(&r, "", 0);
	*used = r.best;
	return r.best_file;
}

struct case_id {
	char *id;
	char *file;   /* NULL for other runners */
	char *test;   /* the id after "file::", or the bare name */
};

static void case_id_release(struct case_id *c)
{
	free(c->id);
	free(c->file);
	free(c->test);
}

/* "file" + "::Class::Nested" (from dotted `rest`, may be "") + "::name" */
static void build_pytest_id(struct case_id *out, char *file, const char *rest, const char *name)
{
	struct buf b = BUF_INIT;
	const char *p;

	buf_adds(&b, file);
	for (p = rest; *p;) {
		size_t n = strcspn(p, ".");
		buf_adds(&b, "::");
		buf_add(&b, p, n);
		p += n;
		if (*p)
			p++;
	}
	buf_adds(&b, "::");
	buf_adds(&b, name);
	out->file = file;
	out->test = xstrdup(b.ptr + strlen(file) + 2);
	out->id = buf_detach(&b, NULL);
}

/* the module path pytest derives from a test file: "tests/test_x.py" -> "tests.test_x" */
static char *dotted_module(const char *file)
{
	char *m = xstrndup(file, strlen(file) - 3);
	char *p;
	for (p = m; *p; p++)
		if (*p == '/')
			*p = '.';
	return m;
}

/*
 * The node id of a test case (see the top of this file). A collection error
 * is the module's path; a pytest test is "file::Class::name", the file from
 * xunit1's attribute or found on disk from the classname; anything else is
 * "classname::name" with no file.
 */
static void make_id(struct case_id *out, const char *classname, const char *name,
		    const char *file_attr, const char *root, int collection)
{
	struct strvec parts = STRVEC_INIT;
	char *file = project_file(file_attr, root);
	size_t used = 0;

	memset(out, 0, sizeof(*out));
	if (!name)
		name = "";
	if (collection) {
		if (!file && split_dotted(&parts, name)) {
			file = resolve_parts(&used, &parts, root);
			if (file && used != parts.nr) {
				free(file);
				file = NULL;
			}
		}
		out->id = xstrdup(file ? file : name);
		out->file = file;
		goto done;
	}
	if (!classname || !*classname) {
		free(file);
		out->id = xstrdup(name);
		out->test = xstrdup(name);
		goto done;
	}
	if (file && ends_with(file, ".py")) {
		char *module = dotted_module(file);
		size_t n = strlen(module);
		int match = !strncmp(classname, module, n) && (!classname[n] || classname[n] == '.');
		free(module);
		if (match) {
			build_pytest_id(out, file, classname[n] ? classname + n + 1 : "", name);
			goto done;
		}
	}
	free(file);
	file = NULL;
	if (split_dotted(&parts, classname) && (file = resolve_parts(&used, &parts, root))) {
		struct buf rest = BUF_INIT;
		size_t i;
		for (i = used; i < parts.nr; i++) {
			if (rest.len)
				buf_addch(&rest, '.');
			buf_adds(&rest, parts.v[i]);
		}
		build_pytest_id(out, file, rest.ptr, name);
		buf_release(&rest);
		goto done;
	}
	{
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s::%s", classname, name);
		out->id = buf_detach(&b, NULL);
		out->test = xstrdup(name);
	}
done:
	strvec_clear(&parts);
}

/* pytest's 'failed on setup with "X"' and 'failed on teardown with "X"' -> X */
static void unwrap_fixture_reason(const char **reason, size_t *len)
{
	static const char *const prefixes[] = {
		"failed on setup with \"", "failed on teardown with \"",
	};
	size_t i;
	for (i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (*len > n && !strncmp(*reason, prefixes[i], n) && (*reason)[*len - 1] == '"') {
			*reason += n;
			*len -= n + 1;
			return;
		}
	}
}

/*
 * A missing fixture has no exception line: pytest's reason is its whole
 * report, "file /abs/tests/test_x.py, line 13\n  def test_x(nope):\nE ...".
 */
static int is_fixture_lookup(const char *reason, size_t len)
{
	const char *nl = memchr(reason, '\n', len);
	size_t first, i;
	if (!nl || len < 5 || strncmp(reason, "file ", 5))
		return 0;
	first = (size_t)(nl - reason);
	for (i = 5; i + 7 <= first; i++)
		if (!memcmp(reason + i, ", line ", 7))
			return 1;
	return 0;
}

/* error_type and message of a failing case */
static void describe(struct failure *f, const xmlNode *elem, enum failure_kind kind,
		     const char *msg_attr, const struct buf *body)
{
	char *type_attr = attr(elem, "type");
	char *etype = NULL, *emsg = NULL, *type = NULL, *msg = NULL;
	const char *reason = msg_attr ? msg_attr : "";
	size_t reason_len = strlen(reason);

	traceback_parse_exception(&etype, &emsg, body->ptr, body->len);
	if (kind == FAILURE_KIND_ERROR)
		unwrap_fixture_reason(&reason, &reason_len);

	if (kind == FAILURE_KIND_COLLECTION) {
		/* the message is just "collection failure": the traceback says more */
		type = etype;
		msg = emsg ? emsg : xstrdup(reason);
		etype = emsg = NULL;
	} else if (type_attr && *type_attr) {
		size_t n = strlen(type_attr);
		type = xstrdup(type_attr);
		if (reason_len > n + 1 && !strncmp(reason, type_attr, n) && reason[n] == ':') {
			reason += n + 1;
			reason_len -= n + 1;
			while (reason_len && *reason == ' ') {
				reason++;
				reason_len--;
			}
		}
		if (reason_len)
			msg = xstrndup(reason, reason_len);
	} else if (reason_len && traceback_split_exception(&type, &msg, reason, reason_len)) {
		/* "ZeroDivisionError: division by zero" */
	} else if (reason_len && is_fixture_lookup(reason, reason_len)) {
		type = xstrdup("FixtureLookupError");
		msg = emsg;
		emsg = NULL;
	} else if (reason_len) {
		/* "assert 1 == 2": pytest drops "AssertionError: " from rewritten asserts */
		msg = xstrndup(reason, reason_len);
		if (etype) {
			type = etype;
			etype = NULL;
		} else if (!strncmp(msg, "assert ", 7)) {
			type = xstrdup("AssertionError");
		}
	} else if (etype || emsg) {
		type = etype;
		msg = emsg;
		etype = emsg = NULL;
	} else if (body->len) {
		/* another runner's bare stack trace: its first line names the exception */
		size_t n = strcspn(body->ptr, "\n");
		while (n && (body->ptr[n - 1] == ' ' || body->ptr[n - 1] == '\r'))
			n--;
		if (!traceback_split_exception(&type, &msg, body->ptr, n) && n)
			msg = xstrndup(body->ptr, n);
	}
	failure_set_text(&f->error_type, type, type ? strlen(type) : 0, FAILURE_TEXT_CAP);
	failure_set_text(&f->message, msg, msg ? strlen(msg) : 0, FAILURE_TEXT_CAP);
	if (f->message && !*f->message) {
		free(f->message);
		f->message = NULL;
	}
	free(type);
	free(msg);
	free(etype);
	free(emsg);
	free(type_attr);
}

struct reader {
	struct test_result *res;
	struct strmap ids;          /* the failures found so far: id -> index */
	const char *root;
	const char *name;
};

static void count_passed_or_skipped(struct test_summary *s, const xmlNode *skipped)
{
	char *type, *msg;
	s->total++;
	if (!skipped) {
		s->passed++;
		return;
	}
	type = attr(skipped, "type");
	msg = attr(skipped, "message");
	if (type && !strcmp(type, "pytest.xfail"))
		s->xfailed++;
	else if (msg && !strcmp(msg, "xfail-marked test passes unexpectedly"))
		s->xpassed++;
	else
		s->skipped++;
	free(type);
	free(msg);
}

/* `pytest`: the suite is pytest's, whose line attributes are 0-based */
static void read_testcase(struct reader *r, const xmlNode *tc, int pytest)
{
	const xmlNode *c, *failure = NULL, *error = NULL, *skipped = NULL, *elem;
	struct test_summary *s = &r->res->summary;
	struct buf output = BUF_INIT, body = BUF_INIT;
	char *classname = NULL, *name = NULL, *file_attr = NULL, *line_attr = NULL;
	char *msg_attr = NULL;
	struct case_id cid = { NULL, NULL, NULL };
	enum failure_kind kind;
	struct failure *f;
	size_t i;
	int first;

	for (c = tc->children; c; c = c->next) {
		if (is_element(c, "failure")) {
			if (!failure)
				failure = c;
		} else if (is_element(c, "error")) {
			if (!error)
				error = c;
		} else if (is_element(c, "skipped")) {
			if (!skipped)
				skipped = c;
		} else if (is_element(c, "system-out") || is_element(c, "system-err")) {
			if (output.len && output.ptr[output.len - 1] != '\n')
				buf_addch(&output, '\n');
			collect_text(&output, c->children);
		}
	}
	if (!failure && !error) {
		count_passed_or_skipped(s, skipped);
		goto done;
	}

	elem = failure ? failure : error;
	classname = attr(tc, "classname");
	name = attr(tc, "name");
	file_attr = attr(tc, "file");
	line_attr = attr(tc, "line");
	msg_attr = attr(elem, "message");
	kind = failure ? FAILURE_KIND_FAILURE : FAILURE_KIND_ERROR;
	if (!failure && (!classname || !*classname) && msg_attr &&
	    !strcmp(msg_attr, "collection failure"))
		kind = FAILURE_KIND_COLLECTION;
	make_id(&cid, classname, name, file_attr, r->root, kind == FAILURE_KIND_COLLECTION);

	f = strmap_get(&i, &r->ids, cid.id, strlen(cid.id)) ? &r->res->failures[i] : NULL;
	/*
	 * pytest writes a failure and then a teardown error as two testcases:
	 * two entries of one test. The same kind again is the same entry.
	 */
	if (f && (f->kind == kind || kind == FAILURE_KIND_COLLECTION))
		goto done;
	first = !f;
	f = test_result_add_failure(r->res, cid.id);
	if (first) {
		s->total++;
		strmap_put(&r->ids, cid.id, strlen(cid.id), r->res->nr_failures - 1);
	}
	if (kind == FAILURE_KIND_FAILURE)
		s->failed++;
	else
		s->errors++;
	f->file = cid.file;
	f->test = cid.test;
	cid.file = cid.test = NULL;
	f->kind = kind;

	collect_text(&body, elem->children);
	describe(f, elem, kind, msg_attr, &body);
	if (body.len)
		failure_set_text(&f->traceback, body.ptr, body.len, FAILURE_TEXT_CAP);
	if (output.len)
		failure_set_text(&f->output, output.ptr, output.len, FAILURE_TEXT_CAP);

	traceback_parse_frames(f, body.ptr, body.len, r->root);
	failure_locate_from_frames(f);
	if (!f->loc_file) {
		/* no traceback (pytest --tb=line, a strict xpass): xunit1's own location */
		char *file = project_file(file_attr, r->root);
		int line = parse_line_attr(line_attr);
		if (file && line >= 0 && (pytest || line > 0)) {
			f->loc_file = file;
			f->loc_line = pytest ? line + 1 : line;
			file = NULL;
		}
		free(file);
	}
done:
	case_id_release(&cid);
	free(msg_attr);
	free(line_attr);
	free(file_attr);
	free(name);
	free(classname);
	buf_release(&body);
	buf_release(&output);
}

static int walk_suite(struct reader *r, const xmlNode *suite, int depth, int pytest)
{
	const xmlNode *c;

	if (depth > JUNIT_MAX_DEPTH)
		return error_setc(ERR_PARSE, "cannot parse '%s': test suites nested more than %d deep",
				  r->name, JUNIT_MAX_DEPTH);
	if (is_element(suite, "testsuite")) {
		char *suite_name = attr(suite, "name");
		if (suite_name && !strcmp(suite_name, "pytest"))
			pytest = 1;
		free(suite_name);
	}
	for (c = suite->children; c; c = c->next) {
		if (sig_pending())
			return error_setc(ERR_INTERRUPTED, "interrupted while reading '%s'", r->name);
		if (is_element(c, "testsuite") || is_element(c, "testsuites")) {
			int err = walk_suite(r, c, depth + 1, pytest);
			if (err < 0)
				return err;
		} else if (is_element(c, "testcase")) {
			read_testcase(r, c, pytest);
		}
	}
	return 0;
}

/* the run's duration: the top element's time, or the sum of its suites' */
static double report_duration(const xmlNode *top)
{
	char *t = attr(top, "time");
	double total = 0.0;
	const xmlNode *c;

	if (t) {
		total = parse_time_attr(t);
		free(t);
		return total;
	}
	for (c = top->children; c; c = c->next) {
		if (is_element(c, "testsuite")) {
			t = attr(c, "time");
			total += parse_time_attr(t);
			free(t);
		}
	}
	return total;
}

/* move everything in `from` to the end of `out` */
static void merge_result(struct test_result *out, struct test_result *from)
{
	struct test_summary *a = &out->summary;
	const struct test_summary *b = &from->summary;

	a->total += b->total;
	a->passed += b->passed;
	a->failed += b->failed;
	a->errors += b->errors;
	a->skipped += b->skipped;
	a->xfailed += b->xfailed;
	a->xpassed += b->xpassed;
	if (from->nr_failures) {
		ALLOC_GROW(out->failures, out->nr_failures + from->nr_failures, out->alloc_failures);
		memcpy(out->failures + out->nr_failures, from->failures,
		       from->nr_failures * sizeof(*from->failures));
		out->nr_failures += from->nr_failures;
		free(from->failures);
		from->failures = NULL;
		from->nr_failures = from->alloc_failures = 0;
	}
	out->duration += from->duration;
}

static int is_blank(const char *data, size_t len)
{
	size_t i;
	for (i = 0; i < len; i++)
		if (data[i] != ' ' && data[i] != '\t' && data[i] != '\n' && data[i] != '\r')
			return 0;
	return 1;
}

int junit_parse_memory(struct test_result *out, const char *data, size_t len,
		       const char *name, const char *root)
{
	struct test_result res;
	struct reader r;
	xmlDocPtr doc = NULL;
	const xmlNode *top;
	int err;

	test_result_init(&res);
	memset(&r, 0, sizeof(r));
	if (!name)
		name = "JUnit report";
	if (len > JUNIT_MAX_SIZE)
		return error_setc(ERR_LIMIT, "cannot read '%s': larger than the limit of %u bytes",
				  name, JUNIT_MAX_SIZE);
	if (!data || is_blank(data, len))
		return error_setc(ERR_PARSE, "cannot parse '%s': the file is empty", name);
	if ((err = check_plausible(data, len, name)) < 0 || (err = parse_xml(&doc, data, len, name)) < 0)
		return err;

	top = xmlDocGetRootElement(doc);
	if (!top || !(is_element(top, "testsuites") || is_element(top, "testsuite"))) {
		err = error_setc(ERR_PARSE, "cannot parse '%s': not a JUnit report (the root element "
				 "is '%.64s', not 'testsuites' or 'testsuite')", name,
				 top && top->name ? (const char *)top->name : "");
		goto done;
	}
	r.res = &res;
	r.root = root;
	r.name = name;
	if ((err = walk_suite(&r, top, 0, 0)) < 0)
		goto done;
	res.duration = report_duration(top);
	merge_result(out, &res);
	if (!out->rootdir && root)
		out->rootdir = xstrdup(root);
done:
	strmap_release(&r.ids);
	test_result_release(&res);
	xmlFreeDoc(doc);
	return err;
}

int junit_parse_file(struct test_result *out, const char *path, const char *root)
{
	struct buf data = BUF_INIT;
	int err = fs_read_file(&data, path, JUNIT_MAX_SIZE);
	if (!err)
		err = junit_parse_memory(out, data.ptr, data.len, path, root);
	buf_release(&data);
	return err;
}
