/*
 * The service's YAML configuration (serve/config.c), parsed from memory as
 * serve_config_load() parses the file it read.
 */
#include "fuzz.h"

#include "serve/config.h"

#define FUZZ_MAX_LEN 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serve_config cfg;

	if (size > FUZZ_MAX_LEN)
		return -1;
	fuzz_reset();
	if (serve_config_parse(&cfg, (const char *)data, size, "dir/serve.yml") == 0)
		serve_config_release(&cfg);
	return 0;
}
