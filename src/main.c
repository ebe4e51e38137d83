#include "cli/cli.h"

int main(int argc, const char **argv)
{
	return cli_main(argc, argv);
}
