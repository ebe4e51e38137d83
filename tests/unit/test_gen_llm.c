#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen/llmgen.h"
#include "gen/spec.h"
#include "util/buf.h"
#include "util/error.h"

static int parse(struct gen_llm_tests *t, const char *text)
{
	return gen_llm_reply_parse(t, text, strlen(text));
}

static void gen_llm__a_good_reply(void **state)
{
	struct gen_llm_tests t;
	(void)state;

	assert_int_equal(parse(&t,
		"Here are the tests.\n\n"
		"```python\n"
		"from paging import page_count\n"
		"\n"
		"# spec: AC-1\n"
		"def test_ten_items_make_two_pages():\n"
		"    assert page_count(10, 5) == 2\n"
		"```\n"
		"And one more:\n"
		"~~~ Python\n"
		"import pytest\n"
		"from paging import page_count\n"
		"def test_size_zero_raises():\n"
		"    with pytest.raises(ValueError):\n"
		"        page_count(1, 0)\n"
		"~~~\n"), 0);
	assert_int_equal(t.nr, 2);
	assert_string_equal(t.v[0].name, "test_ten_items_make_two_pages");
	assert_string_equal(t.v[0].spec_id, "AC-1");
	assert_string_equal(t.v[0].imports, "from paging import page_count\n");
	assert_string_equal(t.v[0].code, "# spec: AC-1\ndef test_ten_items_make_two_pages():\n"
			    "    assert page_count(10, 5) == 2\n");
	assert_null(t.v[0].rejected);
	assert_string_equal(t.v[1].name, "test_size_zero_raises");
	assert_string_equal(t.v[1].spec_id, "");
	assert_string_equal(t.v[1].imports, "import pytest\nfrom paging import page_count\n");
	assert_null(t.v[1].rejected);
	gen_llm_tests_release(&t);
}

static void gen_llm__unusable_replies_say_why(void **state)
{
	struct gen_llm_tests t;
	static const char nul[] = "```python\ndef test_a():\n    assert 1\0\n```\n";
	struct buf big = BUF_INIT;
	(void)state;

	assert_int_equal(parse(&t, ""), ERR_PARSE);
	assert_string_equal(error_last(), "an empty reply");
	assert_int_equal(parse(&t, " \n\t\n"), ERR_PARSE);
	assert_string_equal(error_last(), "an empty reply");
	assert_int_equal(gen_llm_reply_parse(&t, nul, sizeof(nul) - 1), ERR_PARSE);
	assert_string_equal(error_last(), "a reply holding a NUL byte");
	assert_int_equal(parse(&t, "def test_a():\n    assert f() == 1\n"), ERR_PARSE);
	assert_string_equal(error_last(), "no fenced code block (```python ... ```) in the reply");
	assert_int_equal(parse(&t, "```python\n\xff\xfe\n```\n"), ERR_PARSE);
	assert_string_equal(error_last(), "a reply that is not UTF-8 text");
	while (big.len <= GEN_LLM_MAX_REPLY)
		buf_adds(&big, "garbage garbage garbage garbage\n");
	assert_int_equal(gen_llm_reply_parse(&t, big.ptr, big.len), ERR_PARSE);
	assert_non_null(strstr(error_last(), "over the cap"));
	assert_null(t.v);
	assert_int_equal(t.nr, 0);
	buf_release(&big);
}

static void gen_llm__blocks_that_cannot_be_used(void **state)
{
	struct gen_llm_tests t;
	(void)state;

	assert_int_equal(parse(&t,
		"```js\nconsole.log(1)\n```\n"
		"```python\nx = 1\n```\n"
		"```python\ndef test_broken(:\n    assert f() == 1\n```\n"
		"```python\nimport pytest\n@pytest.mark.parametrize('a', [1, 2])\ndef test_p(a):\n    assert a\n```\n"
		"```python\ndef test_dup():\n    assert g() == 1\n```\n"
		"```python\ndef test_dup():\n    assert g() == 2\n```\n"
		"```python\nasync def test_async():\n    assert await g() == 1\n```\n"
		"```python\ndef test_unclosed():\n    assert h() == 3\n"), 0);
	assert_int_equal(t.nr, 8);
	assert_string_equal(t.v[0].name, "block 1");
	assert_string_equal(t.v[0].rejected, "a ```js block, not Python");
	assert_string_equal(t.v[1].name, "block 2");
	assert_string_equal(t.v[1].rejected, "no test function (def test_...) in it");
	assert_string_equal(t.v[2].name, "test_broken");
	assert_non_null(t.v[2].rejected);
	assert_true(!strncmp(t.v[2].rejected, "syntax error: line 1", 20));
	assert_int_equal(t.v[2].collect, 1);
	assert_string_equal(t.v[3].name, "test_p");
	assert_string_equal(t.v[3].rejected, "parametrised: one test per case is asked for");
	assert_null(t.v[4].rejected);
	assert_string_equal(t.v[5].rejected, "named like an earlier test of the reply");
	assert_string_equal(t.v[6].rejected, "an async test (pytest runs none without a plugin)");
	/* a block the reply's end cut short is read to the end */
	assert_string_equal(t.v[7].name, "test_unclosed");
	assert_null(t.v[7].rejected);
	gen_llm_tests_release(&t);
}

static void gen_llm__spec_comments(void **state)
{
	struct gen_llm_tests t;
	(void)state;

	/* the comment right above counts; one above another statement does not */
	assert_int_equal(parse(&t,
		"```python\n"
		"#spec:   GET /pets  \n"
		"def test_a():\n    assert f() == 1\n"
		"# spec: AC-2\n"
		"X = 3\n"
		"def test_b():\n    assert f() == X\n"
		"# spec:\n"
		"def test_c():\n    assert f() == 2\n"
		"```\n"), 0);
	assert_int_equal(t.nr, 3);
	assert_string_equal(t.v[0].spec_id, "GET /pets");
	assert_string_equal(t.v[0].code, "# spec: GET /pets\ndef test_a():\n    assert f() == 1\n");
	assert_string_equal(t.v[1].spec_id, "");
	assert_string_equal(t.v[2].spec_id, "");
	gen_llm_tests_release(&t);
}

static void gen_llm__at_most_max_tests(void **state)
{
	struct gen_llm_tests t;
	struct buf r = BUF_INIT;
	int i;
	(void)state;

	for (i = 0; i < GEN_LLM_MAX_TESTS + 5; i++)
		buf_addf(&r, "```python\ndef test_%d():\n    assert f(%d) == 1\n```\n", i, i);
	assert_int_equal(gen_llm_reply_parse(&t, r.ptr, r.len), 0);
	assert_int_equal(t.nr, GEN_LLM_MAX_TESTS);
	gen_llm_tests_release(&t);
	buf_release(&r);
}

static void gen_llm__the_prompt(void **state)
{
	struct gen_llm_options o;
	struct gen_spec spec = GEN_SPEC_INIT;
	struct strvec builtin = STRVEC_INIT, uncovered = STRVEC_INIT;
	struct buf system = BUF_INIT, user = BUF_INIT;
	static const char src[] = "def page_count(total,\n               size=10):\n    return total // size\n";
	(void)state;

	assert_int_equal(gen_spec_parse(&spec, "s.md", "- AC-1: two pages\n", 18), 0);
	strvec_push(&builtin, "test_page_count[1-2]");
	strvec_push(&uncovered, "3");
	strvec_push(&uncovered, "4");
	strvec_push(&uncovered, "5");
	strvec_push(&uncovered, "9");   /* past the end: named, not shown */
	memset(&o, 0, sizeof(o));
	o.spec = &spec;
	o.module_path = "paging.py";
	o.module_name = "paging";
	o.source = src;
	o.source_len = sizeof(src) - 1;
	o.file = "tests/test_paging_generated.py";
	o.builtin = &builtin;
	o.uncovered = &uncovered;
	gen_llm_prompt(&system, &user, &o, "- test_x: NameError: name 'y' is not defined\n");
	assert_non_null(strstr(system.ptr, "# spec: <ID>"));
	assert_non_null(strstr(user.ptr, "Module `paging.py` (import it as `paging`)"));
	assert_non_null(strstr(user.ptr, "return total // size"));
	assert_non_null(strstr(user.ptr, "- AC-1: two pages\n"));
	assert_non_null(strstr(user.ptr, "(do not repeat them): test_page_count[1-2]\n"));
	assert_non_null(strstr(user.ptr, "no test reaches yet: 3-5, 9\n    3 |     return total // size\n"));
	assert_null(strstr(user.ptr, "    9 |"));
	assert_non_null(strstr(user.ptr, "NameError: name 'y' is not defined"));
	buf_release(&system);
	buf_release(&user);
	strvec_clear(&builtin);
	strvec_clear(&uncovered);
	gen_spec_release(&spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gen_llm__a_good_reply),
		cmocka_unit_test(gen_llm__unusable_replies_say_why),
		cmocka_unit_test(gen_llm__blocks_that_cannot_be_used),
		cmocka_unit_test(gen_llm__spec_comments),
		cmocka_unit_test(gen_llm__at_most_max_tests),
		cmocka_unit_test(gen_llm__the_prompt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
