/*
 * A throwaway PostgreSQL cluster for a unit test program: tests/pg/cluster.py
 * (initdb / pg_ctl, as an unprivileged user when we are root) in a private
 * temporary directory, one database per test. Header-only, for tests.
 */
#ifndef TEST_PG_CLUSTER_H
#define TEST_PG_CLUSTER_H

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PG_CLUSTER_SCRIPT FIXTURES_DIR "/../pg/cluster.py"

struct pg_cluster {
	struct buf dir;
	unsigned databases;
};

/* run `cluster.py VERB DIR [ARG]`; its first line of output, or NULL when it failed */
static inline char *pg_cluster_run(struct pg_cluster *c, const char *verb, const char *arg)
{
	struct buf cmd = BUF_INIT;
	char line[1024] = "";
	FILE *f;
	int status;

	buf_addf(&cmd, "/usr/bin/python3 '%s' %s '%s' %s", PG_CLUSTER_SCRIPT, verb, c->dir.ptr,
		 arg ? arg : "");
	f = popen(cmd.ptr, "r");
	buf_release(&cmd);
	if (!f)
		return NULL;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	while (fgetc(f) != EOF)
		;
	status = pclose(f);
	if (status != 0)
		return NULL;
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

/* make and start the cluster; 0, or -1 with the reason printed */
static inline int pg_cluster_start(struct pg_cluster *c)
{
	char *url;

	memset(c, 0, sizeof(*c));
	buf_init(&c->dir, 0);
	if (fs_mkdtemp(&c->dir, "pf-pg") < 0) {
		fprintf(stderr, "pg_cluster: %s\n", error_last());
		return -1;
	}
	if (!(url = pg_cluster_run(c, "start", NULL))) {
		fprintf(stderr, "pg_cluster: cannot start PostgreSQL in %s (see above)\n",
			c->dir.ptr);
		return -1;
	}
	free(url);
	return 0;
}

/* a new database's URL (the caller frees it), or NULL */
static inline char *pg_cluster_createdb(struct pg_cluster *c)
{
	char name[32];

	snprintf(name, sizeof(name), "t%u", ++c->databases);
	return pg_cluster_run(c, "createdb", name);
}

/* restart the server (fast mode: connections are cut); 0 or -1 */
static inline int pg_cluster_restart(struct pg_cluster *c)
{
	char *out = pg_cluster_run(c, "restart", NULL);

	free(out);
	return out ? 0 : -1;
}

static inline void pg_cluster_destroy(struct pg_cluster *c)
{
	free(pg_cluster_run(c, "destroy", NULL));
	if (c->dir.len)
		fs_remove_tree(c->dir.ptr);
	buf_release(&c->dir);
}

#endif
