#include "store/db.h"

#include "util/clock.h"
#include "util/error.h"

/* the worktrees table: the directories a session made, so they are never forgotten on disk */

int store_worktree_add(struct store *s, const char *session, const char *path)
{
	struct query q;
	int ret;

	q_prepare(&q, s, "INSERT INTO worktrees (session, path, created) VALUES (?1, ?2, ?3)"
		  " ON CONFLICT (session, path) DO NOTHING");
	q_pack(&q, "ssf", session, path, clock_wall());
	q_step(&q);
	ret = q_end(&q, "cannot record worktree '%s' of session '%s'", path, session);
	if (ret == ERR_NOTFOUND)
		ret = error_setc(ERR_NOTFOUND, "no session '%s'", session);
	return ret;
}

int store_worktree_remove(struct store *s, const char *session, const char *path)
{
	struct query q;
	q_prepare(&q, s, "DELETE FROM worktrees WHERE session = ?1 AND path = ?2");
	q_pack(&q, "ss", session, path);
	q_step(&q);
	return q_end(&q, "cannot forget worktree '%s' of session '%s'", path, session);
}

int store_worktree_list(struct strvec *out, struct store *s, const char *session)
{
	struct query q;
	q_prepare(&q, s, "SELECT path FROM worktrees WHERE ?1 IS NULL OR session = ?1"
		  " ORDER BY created, rowid");
	q_text(&q, 1, session);
	while (q_step(&q) == SQLITE_ROW)
		strvec_push(out, col_text(&q, 0));
	return q_end(&q, "cannot list worktrees");
}
