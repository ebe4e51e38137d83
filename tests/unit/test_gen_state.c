#define _GNU_SOURCE

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen/state.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#define NAME "dir/" GEN_STATE_FILE

/* seed 003's "Smart Checklist", as the seed writes it */
static const char seed_example[] =
	"# test_execution_state.yaml - The \"Smart Checklist\"\n"
	"test_cases:\n"
	"  - id: \"test_process_payment_invalid_card\"\n"
	"    status: \"FAILED\"\n"
	"    retry_count: 1\n"
	"    last_error: \"NameError: name 'CardValidationError' is not defined\"\n"
	"    error_category: \"NAME_ERROR\"\n"
	"    # The ErrorAnalyzer's assessment:\n"
	"    analysis:\n"
	"      scope: \"local\"\n"
	"      uniqueness_score: 1.0 # The string 'CardValidationError' is unique\n"
	"      suggested_fix_method: \"update\" # Agent decides the best tool is a simple string replacement\n"
	"    \n"
	"  - id: \"test_user_registration_logic\"\n"
	"    status: \"FAILED\"\n"
	"    retry_count: 1\n"
	"    last_error: \"AssertionError: expected user status to be 'ACTIVE', got 'PENDING'\"\n"
	"    error_category: \"LOGIC_ERROR\"\n"
	"    analysis:\n"
	"      scope: \"multi_line\"\n"
	"      uniqueness_score: 0.2 # The text is not unique\n"
	"      suggested_fix_method: \"patch\" # A surgical patch is needed\n"
	"      \n"
	"  - id: \"test_refactor_legacy_function\"\n"
	"    status: \"FAILED\"\n"
	"    retry_count: 1\n"
	"    last_error: \"Multiple syntax and logic errors detected.\"\n"
	"    error_category: \"COMPLEX_FAILURE\"\n"
	"    analysis:\n"
	"      scope: \"file_wide\"\n"
	"      uniqueness_score: 0.0\n"
	"      suggested_fix_method: \"rewrite\" # The file needs a full rewrite\n";

/* the example of gen/state.h, comments and all */
static const char header_example[] =
	"# test_execution_state.yaml - written by pytest-fixer: edits to values are kept, comments are not\n"
	"version: 1\n"
	"module: paginate/core.py\n"
	"generated_file: tests/test_core_generated.py\n"
	"seed: 1\n"
	"updated: 2026-12-06T10:00:00Z\n"
	"test_cases:\n"
	"  - id: \"tests/test_core_generated.py::test_page_count\"\n"
	"    function: page_count              # the code under test (Class.method for methods)\n"
	"    code_hash: \"5f0c2a9e1b7d3c44\"     # of that function's text when last run\n"
	"    status: PASSED\n"
	"    retry_count: 0\n"
	"    last_error: \"\"\n"
	"    error_category: \"\"                # NAME_ERROR, ASSERTION_ERROR, ... (seed 003)\n"
	"    reason: \"\"                        # REJECTED / FINDING: why, in words\n"
	"    spec_item: \"\"                     # the spec item it checks (LLM path), else \"\"\n"
	"    analysis:\n"
	"      scope: local                    # local | multi_line | file_wide\n"
	"      uniqueness_score: 1.0\n"
	"      suggested_fix_method: update    # update | patch | rewrite\n"
	"    healing_history:\n"
	"      - attempt: 1\n"
	"        method: update\n"
	"        outcome: HEALED               # HEALED | FAILED | REFUSED | HELD (a behaviour change)\n"
	"        reason: \"renamed import fetch -> fetch_page\"\n"
	"        at: 2026-12-06T10:00:00Z\n";

static int teardown(void **state)
{
	(void)state;
	error_clear();
	return 0;
}

static int parse(struct gen_state *st, const char *text)
{
	return gen_state_parse(st, text, strlen(text), NAME);
}

/* format `st`, parse it back into `out`; the text again is the same */
static void round_trip(struct gen_state *out, const struct gen_state *st)
{
	struct buf text = BUF_INIT, again = BUF_INIT;

	gen_state_format(&text, st);
	if (gen_state_parse(out, text.ptr, text.len, NAME) != 0)
		fail_msg("%s\n%s", error_last(), text.ptr);
	gen_state_format(&again, out);
	assert_string_equal(again.ptr, text.ptr);
	buf_release(&again);
	buf_release(&text);
}

static void gen_state__every_field_survives_a_round_trip(void **state)
{
	struct gen_state st = GEN_STATE_INIT, back;
	struct gen_test_state *t;
	const struct gen_test_state *b;

	(void)state;
	gen_state_set(&st.module, "paginate/core.py");
	gen_state_set(&st.generated_file, "tests/test_core_generated.py");
	st.seed = 18446744073709551615UL;
	gen_state_set(&st.updated, "2026-12-06T10:00:00Z");
	t = gen_state_get(&st, "tests/test_core_generated.py::test_page_count");
	gen_state_set(&t->function, "Paginator.page_count");
	gen_state_set(&t->code_hash, "5f0c2a9e1b7d3c44");
	t->status = GEN_HEALED;
	t->retry_count = 2147483647;
	gen_state_set(&t->last_error, "NameError: name 'fetch' is not defined");
	gen_state_set(&t->error_category, "NAME_ERROR");
	gen_state_set(&t->reason, "renamed");
	gen_state_set(&t->spec_item, "3.2 pages round up");
	gen_state_set(&t->scope, "local");
	t->uniqueness_score = 0.2;
	gen_state_set(&t->suggested_fix_method, "update");
	gen_state_add_heal(t, "update", "FAILED", "old_str not found", "2026-12-06T10:00:00Z");
	gen_state_add_heal(t, "patch", "HEALED", "renamed import fetch -> fetch_page", "2026-12-06T10:01:00Z");
	t = gen_state_get(&st, "tests/test_core_generated.py::test_empty");
	t->status = GEN_REJECTED;
	t->uniqueness_score = 1e-300;

	round_trip(&back, &st);
	assert_int_equal(back.version, GEN_STATE_VERSION);
	assert_string_equal(back.module, "paginate/core.py");
	assert_string_equal(back.generated_file, "tests/test_core_generated.py");
	assert_true(back.seed == 18446744073709551615UL);
	assert_string_equal(back.updated, "2026-12-06T10:00:00Z");
	assert_int_equal(back.nr, 2);
	b = &back.tests[0];
	assert_string_equal(b->id, "tests/test_core_generated.py::test_page_count");
	assert_string_equal(b->function, "Paginator.page_count");
	assert_string_equal(b->code_hash, "5f0c2a9e1b7d3c44");
	assert_int_equal(b->status, GEN_HEALED);
	assert_int_equal(b->retry_count, 2147483647);
	assert_string_equal(b->last_error, "NameError: name 'fetch' is not defined");
	assert_string_equal(b->error_category, "NAME_ERROR");
	assert_string_equal(b->reason, "renamed");
	assert_string_equal(b->spec_item, "3.2 pages round up");
	assert_string_equal(b->scope, "local");
	assert_true(b->uniqueness_score == 0.2);
	assert_string_equal(b->suggested_fix_method, "update");
	assert_int_equal(b->history_nr, 2);
	assert_int_equal(b->history[0].attempt, 1);
	assert_string_equal(b->history[0].method, "update");
	assert_string_equal(b->history[0].outcome, "FAILED");
	assert_string_equal(b->history[0].reason, "old_str not found");
	assert_string_equal(b->history[0].at, "2026-12-06T10:00:00Z");
	assert_int_equal(b->history[1].attempt, 2);
	assert_string_equal(b->history[1].method, "patch");
	assert_string_equal(b->history[1].outcome, "HEALED");
	assert_string_equal(b->history[1].reason, "renamed import fetch -> fetch_page");
	assert_string_equal(b->history[1].at, "2026-12-06T10:01:00Z");
	b = &back.tests[1];
	assert_string_equal(b->id, "tests/test_core_generated.py::test_empty");
	assert_int_equal(b->status, GEN_REJECTED);
	assert_true(b->uniqueness_score == 1e-300);
	assert_string_equal(b->function, "");
	assert_string_equal(b->scope, "");
	assert_int_equal(b->history_nr, 0);
	gen_state_release(&back);
	gen_state_release(&st);
}

static void gen_state__the_layout_is_ours(void **state)
{
	struct gen_state st = GEN_STATE_INIT;
	struct gen_test_state *t;
	struct buf text = BUF_INIT;

	(void)state;
	gen_state_format(&text, &st);
	/* GEN_STATE_INIT's NULL strings are written as "" */
	assert_string_equal(text.ptr,
		"# test_execution_state.yaml - written by pytest-fixer: edits to values are kept, comments are not\n"
		"version: 1\n"
		"module: \"\"\n"
		"generated_file: \"\"\n"
		"seed: 0\n"
		"updated: \"\"\n"
		"test_cases: []\n");
	t = gen_state_get(&st, "t::a");
	t->uniqueness_score = 1.0;
	gen_state_add_heal(t, "update", "HEALED", "", "2026-12-06T10:00:00Z");
	buf_reset(&text);
	gen_state_format(&text, &st);
	assert_non_null(strstr(text.ptr,
		"test_cases:\n"
		"  - id: \"t::a\"\n"
		"    function: \"\"\n"
		"    code_hash: \"\"\n"
		"    status: PENDING\n"
		"    retry_count: 0\n"
		"    last_error: \"\"\n"
		"    error_category: \"\"\n"
		"    reason: \"\"\n"
		"    spec_item: \"\"\n"
		"    analysis:\n"
		"      scope: \"\"\n"
		"      uniqueness_score: 1.0\n"
		"      suggested_fix_method: \"\"\n"
		"    healing_history:\n"
		"      - attempt: 1\n"
		"        method: \"update\"\n"
		"        outcome: \"HEALED\"\n"
		"        reason: \"\"\n"
		"        at: \"2026-12-06T10:00:00Z\"\n"));
	buf_release(&text);
	gen_state_release(&st);
}

static void gen_state__awkward_strings_stay_as_they_are(void **state)
{
	static const char *const awkward[] = {
		"line one\nline two\n", "say \"hi\" \\ 'bye'", "tab\there\r\n", "\x01\x07\x1b[31mred\x7f",
		"yes", "no", "null", "~", "1.0", "0x1F", "true", "- dash", "# hash", "key: value",
		"&anchor", "*alias", "!tag", "%YAML", "@", "`", "{a: 1}", "[1]", "...", "---",
		"  leading and trailing  ", " ", "\xc2\x85 next line \xc2\x9f C1",
		"\xe2\x80\xa8 line and paragraph \xe2\x80\xa9", "\xef\xbb\xbf bom \xef\xbf\xbe \xef\xbf\xbf",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\x8d \xc2\xa0nbsp",
	};
	struct gen_state st = GEN_STATE_INIT, back;
	struct gen_test_state *t;
	struct buf text = BUF_INIT;
	char *longest;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(awkward); i++) {
		t = gen_state_get(&st, awkward[i]);
		gen_state_set(&t->last_error, awkward[i]);
		gen_state_set(&t->reason, awkward[i]);
	}
	/* a long string: 1 MiB on one line, every byte value but NUL */
	longest = xmalloc(1u << 20);
	for (i = 0; i < (1u << 20) - 1; i++)
		longest[i] = (char)(i % 127 + 1);
	longest[i] = '\0';
	t = gen_state_get(&st, "long");
	gen_state_set(&t->last_error, longest);
	/* strings are not YAML's words: "yes" is not true, "1.0" is not a number */
	gen_state_set(&st.module, "yes");
	gen_state_set(&st.generated_file, "null");

	round_trip(&back, &st);
	assert_string_equal(back.module, "yes");
	assert_string_equal(back.generated_file, "null");
	assert_int_equal(back.nr, ARRAY_SIZE(awkward) + 1);
	for (i = 0; i < ARRAY_SIZE(awkward); i++) {
		assert_string_equal(back.tests[i].id, awkward[i]);
		assert_string_equal(back.tests[i].last_error, awkward[i]);
		assert_string_equal(back.tests[i].reason, awkward[i]);
	}
	assert_string_equal(gen_state_find(&back, "long")->last_error, longest);
	/* every string is on its line: no raw line break, tab or control in the text */
	gen_state_format(&text, &st);
	for (i = 0; i < text.len; i++)
		assert_true((unsigned char)text.ptr[i] >= 0x20 || text.ptr[i] == '\n');
	assert_null(strstr(text.ptr, "\xc2\x85"));
	assert_null(strstr(text.ptr, "\xe2\x80\xa8"));
	assert_non_null(strstr(text.ptr, "  - id: \"line one\\nline two\\n\"\n"));
	assert_non_null(strstr(text.ptr, "  - id: \"say \\\"hi\\\" \\\\ 'bye'\"\n"));
	assert_non_null(strstr(text.ptr, "  - id: \"\\x01\\a\\e[31mred\\x7F\"\n"));
	free(longest);
	buf_release(&text);
	gen_state_release(&back);
	gen_state_release(&st);
}

static void gen_state__invalid_utf8_and_nul_become_valid_text(void **state)
{
	struct gen_state st = GEN_STATE_INIT, back;
	struct gen_test_state *t;

	(void)state;
	/* invalid bytes are U+FFFD as they come in, so the state is what the file will hold */
	t = gen_state_get(&st, "bad\xff id");
	assert_string_equal(t->id, "bad\xef\xbf\xbd id");
	assert_ptr_equal(gen_state_find(&st, "bad\xff id"), t);
	assert_ptr_equal(gen_state_get(&st, "bad\xfe id"), t);
	gen_state_set(&t->last_error, "latin-1 caf\xe9 \xc3");
	assert_string_equal(t->last_error, "latin-1 caf\xef\xbf\xbd \xef\xbf\xbd");
	/* a string put in a field directly is made valid when written */
	free(t->reason);
	t->reason = xstrdup("raw \x80\x81");
	round_trip(&back, &st);
	assert_string_equal(back.tests[0].id, "bad\xef\xbf\xbd id");
	assert_string_equal(back.tests[0].last_error, "latin-1 caf\xef\xbf\xbd \xef\xbf\xbd");
	assert_string_equal(back.tests[0].reason, "raw \xef\xbf\xbd\xef\xbf\xbd");
	gen_state_release(&back);
	gen_state_release(&st);

	/* a NUL cannot be in a C string: one written in the file (\0, \x00) is dropped */
	assert_int_equal(parse(&st, "test_cases:\n  - id: \"a\\0b\"\n    last_error: \"x\\x00y\\0\"\n"), 0);
	assert_string_equal(st.tests[0].id, "ab");
	assert_string_equal(st.tests[0].last_error, "xy");
	gen_state_release(&st);
}

static void gen_state__the_seeds_example_loads(void **state)
{
	struct gen_state st;
	const struct gen_test_state *t;

	(void)state;
	if (parse(&st, seed_example) != 0)
		fail_msg("%s", error_last());
	assert_int_equal(st.version, GEN_STATE_VERSION);
	assert_string_equal(st.module, "");
	assert_int_equal(st.nr, 3);
	t = gen_state_find(&st, "test_process_payment_invalid_card");
	assert_ptr_equal(t, &st.tests[0]);
	assert_int_equal(t->status, GEN_FAILED);
	assert_int_equal(t->retry_count, 1);
	assert_string_equal(t->last_error, "NameError: name 'CardValidationError' is not defined");
	assert_string_equal(t->error_category, "NAME_ERROR");
	assert_string_equal(t->scope, "local");
	assert_true(t->uniqueness_score == 1.0);
	assert_string_equal(t->suggested_fix_method, "update");
	assert_string_equal(t->code_hash, "");
	assert_int_equal(t->history_nr, 0);
	t = &st.tests[1];
	assert_string_equal(t->id, "test_user_registration_logic");
	assert_string_equal(t->last_error, "AssertionError: expected user status to be 'ACTIVE', got 'PENDING'");
	assert_string_equal(t->scope, "multi_line");
	assert_true(t->uniqueness_score == 0.2);
	assert_string_equal(t->suggested_fix_method, "patch");
	t = &st.tests[2];
	assert_string_equal(t->error_category, "COMPLEX_FAILURE");
	assert_true(t->uniqueness_score == 0.0);
	assert_string_equal(t->suggested_fix_method, "rewrite");
	gen_state_release(&st);

	if (parse(&st, header_example) != 0)
		fail_msg("%s", error_last());
	assert_string_equal(st.module, "paginate/core.py");
	assert_true(st.seed == 1);
	assert_string_equal(st.updated, "2026-12-06T10:00:00Z");
	assert_int_equal(st.nr, 1);
	t = &st.tests[0];
	assert_string_equal(t->function, "page_count");
	assert_int_equal(t->status, GEN_PASSED);
	assert_int_equal(t->history_nr, 1);
	assert_string_equal(t->history[0].outcome, "HEALED");
	assert_string_equal(t->history[0].reason, "renamed import fetch -> fetch_page");
	assert_string_equal(t->history[0].at, "2026-12-06T10:00:00Z");
	gen_state_release(&st);
}

static void gen_state__unknown_keys_and_nulls_are_passed_over(void **state)
{
	/* a newer version's file: new keys at every level, of every shape */
	static const char text[] =
		"version: 7\n"
		"future: {deep: [1, [2, {x: y}]], alias: *nowhere}\n"
		"? [a, complex, key]\n"
		": value\n"
		"module:\n"
		"test_cases:\n"
		"  - id: a\n"
		"    owner: {team: core}\n"
		"    status: PASSED\n"
		"    analysis:\n"
		"      confidence: [0.5]\n"
		"      scope: ~\n"
		"    healing_history:\n"
		"      - attempt: 3\n"
		"        tokens: 1200\n"
		"        reason: null\n"
		"    retry_count:\n"
		"  - id: b\n"
		"    analysis: ~\n"
		"    healing_history:\n"
		"generated_file: \"~\"\n";
	struct gen_state st;

	(void)state;
	if (parse(&st, text) != 0)
		fail_msg("%s", error_last());
	assert_int_equal(st.version, 7);
	assert_string_equal(st.module, "");
	assert_string_equal(st.generated_file, "~");
	assert_int_equal(st.nr, 2);
	assert_int_equal(st.tests[0].status, GEN_PASSED);
	assert_string_equal(st.tests[0].scope, "");
	assert_int_equal(st.tests[0].retry_count, 0);
	assert_int_equal(st.tests[0].history_nr, 1);
	assert_int_equal(st.tests[0].history[0].attempt, 3);
	assert_string_equal(st.tests[0].history[0].reason, "");
	assert_string_equal(st.tests[1].id, "b");
	assert_int_equal(st.tests[1].history_nr, 0);
	gen_state_release(&st);

	/* test_cases: null is none */
	assert_int_equal(parse(&st, "test_cases:\n"), 0);
	assert_int_equal(st.nr, 0);
	gen_state_release(&st);
}

struct bad_case {
	const char *text;
	const char *message;   /* the whole message */
};

static void gen_state__malformed_files_say_where_and_what(void **state)
{
	static const struct bad_case cases[] = {
		{ "", "cannot parse '" NAME "': the file is empty, not a mapping" },
		{ "# only a comment\n", "cannot parse '" NAME "': the file is empty, not a mapping" },
		{ "---\n", "cannot parse '" NAME "': line 2: the document is empty, not a mapping" },
		{ "- a\n- b\n", "cannot parse '" NAME "': line 1: the document is a list, not a mapping" },
		{ "hello\n", "cannot parse '" NAME "': line 1: the document is a single value, not a mapping" },
		{ "version: 1\n---\nversion: 1\n", "cannot parse '" NAME "': line 2: more than one YAML document" },
		{ "test_cases: {a: 1}\n",
		  "cannot parse '" NAME "': line 1: test_cases: expected a list, not a mapping" },
		{ "test_cases: 5\n",
		  "cannot parse '" NAME "': line 1: test_cases: expected a list, not a single value" },
		{ "test_cases:\n  - a\n",
		  "cannot parse '" NAME "': line 2: test_cases[0]: expected a mapping, not a single value" },
		{ "test_cases:\n  - status: PASSED\n",
		  "cannot parse '" NAME "': line 2: test_cases[0]: an entry without id" },
		{ "test_cases:\n  - id: \"\"\n",
		  "cannot parse '" NAME "': line 2: test_cases[0]: an entry without id" },
		{ "test_cases:\n  - id: a\n  - id: b\n  - id: a\n    status: PASSED\n",
		  "cannot parse '" NAME "': line 4: test_cases[2]: duplicate id 'a' (first on line 2)" },
		{ "test_cases:\n  - id: a\n    status: DONE\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].status: unknown status 'DONE' "
		  "(expected PENDING, PASSED, FAILED, HEALED, FINDING or REJECTED)" },
		{ "test_cases:\n  - id: a\n    status: passed\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].status: unknown status 'passed' "
		  "(expected PENDING, PASSED, FAILED, HEALED, FINDING or REJECTED)" },
		{ "test_cases:\n  - id: a\n    status: PASSED\n    status: FAILED\n",
		  "cannot parse '" NAME "': line 4: test_cases[0].status: duplicate key (first on line 3)" },
		{ "test_cases:\n  - id: a\n    retry_count: two\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].retry_count: expected a whole number, not 'two'" },
		{ "test_cases:\n  - id: a\n    retry_count: -1\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].retry_count: expected a whole number, not '-1'" },
		{ "test_cases:\n  - id: a\n    retry_count: 2147483648\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].retry_count: '2147483648' is out of range "
		  "0..2147483647" },
		{ "test_cases:\n  - id: a\n    retry_count: [1]\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].retry_count: expected a whole number, not a list" },
		{ "seed: 1.5\n", "cannot parse '" NAME "': line 1: seed: expected a whole number, not '1.5'" },
		{ "seed: 18446744073709551616\n",
		  "cannot parse '" NAME "': line 1: seed: '18446744073709551616' is out of range "
		  "0..18446744073709551615" },
		{ "version: 0\n", "cannot parse '" NAME "': line 1: version: '0' is out of range 1..2147483647" },
		{ "test_cases:\n  - id: a\n    analysis:\n      uniqueness_score: high\n",
		  "cannot parse '" NAME "': line 4: test_cases[0].analysis.uniqueness_score: "
		  "expected a number, not 'high'" },
		{ "test_cases:\n  - id: a\n    analysis: {uniqueness_score: .nan}\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].analysis.uniqueness_score: "
		  "expected a number, not '.nan'" },
		{ "test_cases:\n  - id: a\n    analysis: {uniqueness_score: 1e999}\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].analysis.uniqueness_score: "
		  "expected a number, not '1e999'" },
		{ "test_cases:\n  - id: a\n    analysis: [local]\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].analysis: expected a mapping, not a list" },
		{ "test_cases:\n  - id: a\n    healing_history: {attempt: 1}\n",
		  "cannot parse '" NAME "': line 3: test_cases[0].healing_history: expected a list, not a mapping" },
		{ "test_cases:\n  - id: a\n    healing_history:\n      - attempt: first\n",
		  "cannot parse '" NAME "': line 4: test_cases[0].healing_history[0].attempt: "
		  "expected a whole number, not 'first'" },
		{ "test_cases:\n  - id: {a: 1}\n",
		  "cannot parse '" NAME "': line 2: test_cases[0].id: expected a string, not a mapping" },
		{ "module: &m core.py\ngenerated_file: *m\n",
		  "cannot parse '" NAME "': line 2: generated_file: expected a string, not an alias "
		  "(YAML aliases are not supported)" },
		{ "module: \"core.py\n",
		  "cannot parse '" NAME "': line 2, column 1: found unexpected end of stream "
		  "while scanning a quoted scalar" },
		{ "test_cases: [\n",
		  "cannot parse '" NAME "': line 2, column 1: did not find expected node content "
		  "while parsing a flow node" },
		{ "version: 1\nmodule: caf\xe9\n",
		  "cannot parse '" NAME "': line 2: incomplete UTF-8 octet sequence" },
		{ "version: 1\n\nmodule: \xff core.py\n",
		  "cannot parse '" NAME "': line 3: invalid leading UTF-8 octet" },
		{ "version: 1\nmodule: \x01\n",
		  "cannot parse '" NAME "': line 2: control characters are not allowed" },
	};
	struct gen_state st;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		st.nr = 99;
		if (parse(&st, cases[i].text) != ERR_PARSE)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (strcmp(error_last(), cases[i].message))
			fail_msg("case %zu: got\n  %s\nnot\n  %s", i, error_last(), cases[i].message);
		/* released: nothing to free, nothing left */
		assert_int_equal(st.nr, 0);
		assert_null(st.tests);
		assert_null(st.module);
	}
}

static void gen_state__files_missing_or_too_large(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	struct gen_state st;
	char *big;

	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-gen-state"), 0);
	buf_addf(&path, "%s/%s", dir.ptr, GEN_STATE_FILE);
	st.nr = 99;
	assert_int_equal(gen_state_load(&st, path.ptr), ERR_NOTFOUND);
	assert_non_null(strstr(error_last(), path.ptr));
	assert_int_equal(st.nr, 0);
	assert_null(st.tests);
	assert_int_equal(st.version, GEN_STATE_VERSION);

	/* one byte over the limit, from memory or from a file */
	big = xmalloc(GEN_STATE_MAX_BYTES + 1);
	memset(big, '#', GEN_STATE_MAX_BYTES + 1);
	assert_int_equal(gen_state_parse(&st, big, GEN_STATE_MAX_BYTES + 1, NAME), ERR_LIMIT);
	assert_string_equal(error_last(), "cannot parse '" NAME "': larger than the limit of 16777216 bytes");
	assert_int_equal(fs_write_atomic(path.ptr, big, GEN_STATE_MAX_BYTES + 1, 0644), 0);
	assert_int_equal(gen_state_load(&st, path.ptr), ERR_LIMIT);
	assert_non_null(strstr(error_last(), path.ptr));
	assert_int_equal(st.nr, 0);
	/* a malformed file names its path */
	assert_int_equal(fs_write_atomic(path.ptr, "test_cases: 1\n", 14, 0644), 0);
	assert_int_equal(gen_state_load(&st, path.ptr), ERR_PARSE);
	assert_true(!strncmp(error_last(), "cannot parse '", 14));
	assert_non_null(strstr(error_last(), path.ptr));
	free(big);
	fs_remove_tree(dir.ptr);
	buf_release(&path);
	buf_release(&dir);
}

/* the names in `dir`, but . and .., sorted, one a line */
static void list_dir(struct buf *out, const char *dir)
{
	struct dirent **names;
	int i, n = scandir(dir, &names, NULL, alphasort);

	assert_true(n >= 0);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			buf_addf(out, "%s\n", names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

static void gen_state__save_replaces_the_file_atomically(void **state)
{
	struct buf dir = BUF_INIT, path = BUF_INIT, names = BUF_INIT, text = BUF_INIT;
	struct gen_state st = GEN_STATE_INIT, back;
	struct gen_test_state *t;

	(void)state;
	assert_int_equal(fs_mkdtemp(&dir, "pf-gen-state"), 0);
	buf_addf(&path, "%s/%s", dir.ptr, GEN_STATE_FILE);
	/* an old file, and a hand-edited one at that */
	assert_int_equal(fs_write_atomic(path.ptr, "# mine\nversion: 1\n", 18, 0644), 0);
	st.version = 0;
	gen_state_set(&st.module, "core.py");
	t = gen_state_get(&st, "t::a");
	t->status = GEN_PASSED;
	assert_int_equal(gen_state_save(&st, path.ptr), 0);
	assert_int_equal(st.version, GEN_STATE_VERSION);
	assert_int_equal(strlen(st.updated), strlen("2026-12-06T10:00:00Z"));
	assert_int_equal(st.updated[10], 'T');
	assert_int_equal(st.updated[19], 'Z');
	/* the file, nothing beside it */
	list_dir(&names, dir.ptr);
	assert_string_equal(names.ptr, GEN_STATE_FILE "\n");
	assert_int_equal(fs_read_file(&text, path.ptr, 0), 0);
	assert_null(strstr(text.ptr, "# mine"));
	assert_int_equal(gen_state_load(&back, path.ptr), 0);
	assert_string_equal(back.module, "core.py");
	assert_string_equal(back.updated, st.updated);
	assert_int_equal(back.nr, 1);
	assert_int_equal(back.tests[0].status, GEN_PASSED);
	/* saved again with a change: replaced, still alone */
	gen_state_get(&back, "t::b");
	assert_int_equal(gen_state_save(&back, path.ptr), 0);
	gen_state_release(&back);
	buf_reset(&names);
	list_dir(&names, dir.ptr);
	assert_string_equal(names.ptr, GEN_STATE_FILE "\n");
	assert_int_equal(gen_state_load(&back, path.ptr), 0);
	assert_int_equal(back.nr, 2);
	gen_state_release(&back);
	/* a directory that is not there: an error, and nothing made */
	buf_reset(&path);
	buf_addf(&path, "%s/no/such/%s", dir.ptr, GEN_STATE_FILE);
	assert_true(gen_state_save(&st, path.ptr) < 0);
	buf_reset(&names);
	list_dir(&names, dir.ptr);
	assert_string_equal(names.ptr, GEN_STATE_FILE "\n");
	fs_remove_tree(dir.ptr);
	buf_release(&text);
	buf_release(&names);
	buf_release(&path);
	buf_release(&dir);
	gen_state_release(&st);
}

static void gen_state__needs_run(void **state)
{
	struct gen_state st = GEN_STATE_INIT;
	struct gen_test_state *t;
	enum gen_status s;

	(void)state;
	t = gen_state_get(&st, "t::a");
	gen_state_set(&t->code_hash, "5f0c2a9e1b7d3c44");
	/* not run yet */
	assert_int_equal(gen_state_needs_run(t, "5f0c2a9e1b7d3c44"), 1);
	assert_int_equal(gen_state_needs_run(t, NULL), 1);
	/* passed, or healed: only when the code changed */
	for (s = GEN_PASSED; s <= GEN_HEALED; s += GEN_HEALED - GEN_PASSED) {
		t->status = s;
		assert_int_equal(gen_state_needs_run(t, "5f0c2a9e1b7d3c44"), 0);
		assert_int_equal(gen_state_needs_run(t, NULL), 0);
		assert_int_equal(gen_state_needs_run(t, "0000000000000000"), 1);
		assert_int_equal(gen_state_needs_run(t, ""), 1);
	}
	/* anything else runs again, whatever the hash */
	for (s = GEN_PENDING; s < GEN_STATUS_COUNT; s++) {
		if (s == GEN_PASSED || s == GEN_HEALED)
			continue;
		t->status = s;
		assert_int_equal(gen_state_needs_run(t, "5f0c2a9e1b7d3c44"), 1);
		assert_int_equal(gen_state_needs_run(t, NULL), 1);
	}
	/* a test passed with no hash recorded: a hash given now differs */
	t = gen_state_get(&st, "t::b");
	t->status = GEN_PASSED;
	assert_int_equal(gen_state_needs_run(t, "5f0c2a9e1b7d3c44"), 1);
	assert_int_equal(gen_state_needs_run(t, ""), 0);
	gen_state_release(&st);
}

static void gen_state__get_find_remove(void **state)
{
	struct gen_state st = GEN_STATE_INIT;
	struct gen_test_state *t;
	size_t i;

	(void)state;
	assert_null(gen_state_find(&st, "t::a"));
	assert_int_equal(gen_state_remove(&st, "t::a"), 0);
	t = gen_state_get(&st, "t::a");
	assert_int_equal(st.nr, 1);
	assert_string_equal(t->id, "t::a");
	assert_int_equal(t->status, GEN_PENDING);
	assert_int_equal(t->retry_count, 0);
	assert_int_equal(t->history_nr, 0);
	{
		const char *const empty[] = { t->function, t->code_hash, t->last_error, t->error_category,
					      t->reason, t->spec_item, t->scope, t->suggested_fix_method };
		for (i = 0; i < ARRAY_SIZE(empty); i++)
			assert_string_equal(empty[i], "");
	}
	t->retry_count = 3;
	assert_ptr_equal(gen_state_get(&st, "t::a"), t);
	assert_int_equal(st.nr, 1);
	gen_state_get(&st, "t::b");
	gen_state_get(&st, "t::c");
	assert_int_equal(st.nr, 3);
	assert_string_equal(gen_state_find(&st, "t::b")->id, "t::b");
	/* the middle one: the others keep their order and their fields */
	assert_int_equal(gen_state_remove(&st, "t::b"), 1);
	assert_int_equal(st.nr, 2);
	assert_null(gen_state_find(&st, "t::b"));
	assert_string_equal(st.tests[0].id, "t::a");
	assert_int_equal(st.tests[0].retry_count, 3);
	assert_string_equal(st.tests[1].id, "t::c");
	assert_int_equal(gen_state_remove(&st, "t::b"), 0);
	assert_int_equal(gen_state_remove(&st, "t::c"), 1);
	assert_int_equal(gen_state_remove(&st, "t::a"), 1);
	assert_int_equal(st.nr, 0);
	/* set copies, NULL is "", a field may be set from itself */
	t = gen_state_get(&st, "t::d");
	gen_state_set(&t->reason, NULL);
	assert_string_equal(t->reason, "");
	gen_state_set(&t->reason, "why");
	gen_state_set(&t->reason, t->reason);
	assert_string_equal(t->reason, "why");
	gen_state_release(&st);
	assert_null(st.tests);
	assert_int_equal(st.nr, 0);
}

static void gen_state__healing_attempts_count_on(void **state)
{
	struct gen_state st;
	struct gen_test_state *t;

	(void)state;
	assert_int_equal(parse(&st, "test_cases:\n  - id: a\n    healing_history:\n"
				    "      - {attempt: 5, method: patch, outcome: FAILED}\n"), 0);
	t = &st.tests[0];
	gen_state_add_heal(t, "rewrite", "HELD", NULL, NULL);
	assert_int_equal(t->history_nr, 2);
	assert_int_equal(t->history[1].attempt, 6);
	assert_string_equal(t->history[1].method, "rewrite");
	assert_string_equal(t->history[1].outcome, "HELD");
	assert_string_equal(t->history[1].reason, "");
	/* `at` NULL: now, in UTC */
	assert_int_equal(strlen(t->history[1].at), strlen("2026-12-06T10:00:00Z"));
	assert_int_equal(t->history[1].at[4], '-');
	assert_int_equal(t->history[1].at[10], 'T');
	assert_int_equal(t->history[1].at[19], 'Z');
	t = gen_state_get(&st, "b");
	gen_state_add_heal(t, "update", "HEALED", "x", "2026-12-06T10:00:00Z");
	assert_int_equal(t->history[0].attempt, 1);
	gen_state_release(&st);
}

static void gen_state__status_names(void **state)
{
	enum gen_status s, back;

	(void)state;
	assert_string_equal(gen_status_name(GEN_PENDING), "PENDING");
	assert_string_equal(gen_status_name(GEN_FINDING), "FINDING");
	for (s = GEN_PENDING; s < GEN_STATUS_COUNT; s++) {
		assert_int_equal(gen_status_parse(&back, gen_status_name(s)), 0);
		assert_int_equal(back, s);
	}
	assert_int_equal(gen_status_parse(&back, "Passed"), ERR_PARSE);
	assert_string_equal(error_last(), "unknown status 'Passed' (expected PENDING, PASSED, FAILED, "
			    "HEALED, FINDING or REJECTED)");
	assert_int_equal(gen_status_parse(&back, ""), ERR_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(gen_state__every_field_survives_a_round_trip, teardown),
		cmocka_unit_test_teardown(gen_state__the_layout_is_ours, teardown),
		cmocka_unit_test_teardown(gen_state__awkward_strings_stay_as_they_are, teardown),
		cmocka_unit_test_teardown(gen_state__invalid_utf8_and_nul_become_valid_text, teardown),
		cmocka_unit_test_teardown(gen_state__the_seeds_example_loads, teardown),
		cmocka_unit_test_teardown(gen_state__unknown_keys_and_nulls_are_passed_over, teardown),
		cmocka_unit_test_teardown(gen_state__malformed_files_say_where_and_what, teardown),
		cmocka_unit_test_teardown(gen_state__files_missing_or_too_large, teardown),
		cmocka_unit_test_teardown(gen_state__save_replaces_the_file_atomically, teardown),
		cmocka_unit_test_teardown(gen_state__needs_run, teardown),
		cmocka_unit_test_teardown(gen_state__get_find_remove, teardown),
		cmocka_unit_test_teardown(gen_state__healing_attempts_count_on, teardown),
		cmocka_unit_test_teardown(gen_state__status_names, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
