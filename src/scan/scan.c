/* scan.c - the scanners run together over one message (scan.h). */
#include "scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "scan_internal.h"
#include "strutil.h"
#include "workq.h"
#include "xmalloc.h"

struct scanner {
	struct event_base *base;
	struct workq *wq;
	char *clamd, *rspamd;
	struct scan_settings set;
	struct db_ref *db; /* NULL: no DLP rules */
};

struct scan_req {
	struct scanner *sc;
	struct scan_input in;
	struct scan_result res;
	int pending; /* parts still to answer */
	bool cancelled;
	struct clamd_req *av;
	struct rspamd_req *spam;
	struct db_ref *db; /* referenced while the content scan runs */
	struct scan_limits lim;
	char **rules; /* owned: in.dlp_rules */
	scan_done_fn done;
	void *arg;
};

static void db_unref(struct db_ref *d)
{
	if (d && --d->refs == 0) {
		dlp_free(d->db);
		free(d);
	}
}

struct scanner *scanner_new(struct event_base *base, int threads)
{
	struct scanner *sc = xcalloc(1, sizeof(*sc));

	sc->base = base;
	sc->wq = workq_new(base, threads, "scan");
	sc->clamd = xstrdup("");
	sc->rspamd = xstrdup("");
	return sc;
}

void scanner_free(struct scanner *sc)
{
	if (sc == NULL)
		return;
	workq_free(sc->wq); /* runs the jobs' done callbacks: they let go of the database */
	db_unref(sc->db);
	free(sc->clamd);
	free(sc->rspamd);
	free(sc);
}

void scanner_set(struct scanner *sc, const struct scan_settings *set, struct dlp_db *db)
{
	free(sc->clamd);
	free(sc->rspamd);
	sc->set = *set;
	sc->clamd = xstrdup(set->clamd ? set->clamd : "");
	sc->rspamd = xstrdup(set->rspamd ? set->rspamd : "");
	sc->set.clamd = sc->clamd;
	sc->set.rspamd = sc->rspamd;
	/* scans in flight keep the database they started with */
	db_unref(sc->db);
	sc->db = NULL;
	if (db) {
		sc->db = xcalloc(1, sizeof(*sc->db));
		sc->db->db = db;
		sc->db->refs = 1;
	}
}

bool scanner_active(const struct scanner *sc)
{
	return sc && (sc->clamd[0] || sc->rspamd[0] || sc->db);
}

bool scanner_has_dlp(const struct scanner *sc)
{
	return sc && sc->db;
}

static void req_free(struct scan_req *r)
{
	db_unref(r->db);
	for (size_t i = 0; r->rules && i < r->in.ndlp_rules; i++)
		free(r->rules[i]);
	free(r->rules);
	free(r->in.data);
	free(r);
}

/* one part answered; the last one gives the result */
static void part_done(struct scan_req *r)
{
	if (--r->pending > 0)
		return;
	if (!r->cancelled)
		r->done(&r->res, r->arg);
	req_free(r);
}

static void av_done(enum clamd_status st, const char *what, void *arg)
{
	struct scan_req *r = arg;

	r->av = NULL;
	r->res.av = st;
	strlcpy_(r->res.av_what, what, sizeof(r->res.av_what));
	part_done(r);
}

static void spam_done(const struct rspamd_verdict *v, void *arg)
{
	struct scan_req *r = arg;

	r->spam = NULL;
	r->res.spam = *v;
	part_done(r);
}

static void content_work(void *arg)
{
	struct scan_req *r = arg;

	scan_content(&r->in, r->db ? r->db->db : NULL, &r->lim, &r->res);
}

static void content_done(void *arg)
{
	struct scan_req *r = arg;

	part_done(r);
}

struct scan_req *scan_start(struct scanner *sc, const struct scan_input *in, scan_done_fn done,
                            void *arg)
{
	struct scan_req *r = xcalloc(1, sizeof(*r));
	char err[256];

	r->sc = sc;
	r->in = *in;
	if (in->dlp_rules) {
		r->rules = xcalloc(in->ndlp_rules ? in->ndlp_rules : 1, sizeof(char *));
		for (size_t i = 0; i < in->ndlp_rules; i++)
			r->rules[i] = xstrdup(in->dlp_rules[i]);
		r->in.dlp_rules = (const char *const *)r->rules;
	}
	/* read at the start only */
	r->in.source = r->in.sender = r->in.client = r->in.helo = r->in.queue_id = NULL;
	r->in.rcpts = NULL;
	r->in.nrcpts = 0;
	r->done = done;
	r->arg = arg;
	r->lim = (struct scan_limits){sc->set.mime_max_depth, sc->set.mime_max_parts,
	                              sc->set.mime_max_decoded};
	/* a guard: the parts below each count themselves, the guard is let go last */
	r->pending = 1;
	if (sc->clamd[0]) {
		r->res.av_on = true;
		r->pending++;
		r->av = clamd_scan(sc->base, sc->clamd, in->data, in->n, sc->set.clamd_timeout_ms,
		                   sc->set.clamd_max_size, av_done, r, err, sizeof(err));
		if (r->av == NULL) {
			r->res.av = CLAMD_ERROR;
			strlcpy_(r->res.av_what, err, sizeof(r->res.av_what));
			r->pending--;
		}
	}
	if (sc->rspamd[0]) {
		struct rspamd_env env = {in->source, in->sender, in->rcpts,   in->nrcpts,
		                         in->client, in->helo,   in->queue_id};
		r->res.spam_on = true;
		r->pending++;
		r->spam = rspamd_check(sc->base, sc->rspamd, &env, in->data, in->n,
		                       sc->set.rspamd_timeout_ms, spam_done, r, err, sizeof(err));
		if (r->spam == NULL) {
			r->res.spam.action = RSPAMD_ERROR;
			strlcpy_(r->res.spam.error, err, sizeof(r->res.spam.error));
			r->pending--;
		}
	}
	/* the MIME reading always runs: what cannot be read is held, not guessed at */
	r->db = sc->db;
	if (r->db)
		r->db->refs++;
	r->pending++;
	workq_submit(sc->wq, content_work, content_done, r);
	part_done(r); /* the guard: never the last while a part is out (done runs later) */
	return r;
}

void scan_cancel(struct scan_req *r)
{
	if (r == NULL)
		return;
	r->cancelled = true;
	if (r->av) {
		clamd_cancel(r->av);
		r->av = NULL;
		r->pending--;
	}
	if (r->spam) {
		rspamd_cancel(r->spam);
		r->spam = NULL;
		r->pending--;
	}
	/* the content job cannot be stopped: it frees the request when it ends */
	if (r->pending == 0)
		req_free(r);
}

static void json_str(struct buf *b, const char *v)
{
	buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_putc(b, (char)*p);
	}
	buf_putc(b, '"');
}

char *scan_result_json(const struct scan_result *r)
{
	static const char *const av[] = {"clean", "found", "error"};
	static const char *const mime[] = {"ok", "limit", "malformed", "ambiguous"};
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "{");
	if (r->av_on) {
		buf_printf(&b, "\"antivirus\":{\"result\":\"%s\"", av[r->av]);
		if (r->av != CLAMD_CLEAN) {
			buf_puts(&b, r->av == CLAMD_FOUND ? ",\"signature\":" : ",\"error\":");
			json_str(&b, r->av_what);
		}
		buf_puts(&b, "},");
	}
	if (r->spam_on) {
		buf_printf(&b, "\"spam\":{\"action\":\"%s\"", rspamd_action_name(r->spam.action));
		if (r->spam.action == RSPAMD_ERROR) {
			buf_puts(&b, ",\"error\":");
			json_str(&b, r->spam.error);
		} else {
			buf_printf(&b,
			           ",\"score\":%.2f,\"required\":%.2f,\"symbols\":", r->spam.score,
			           r->spam.required);
			json_str(&b, r->spam.symbols);
		}
		buf_puts(&b, "},");
	}
	buf_printf(&b, "\"mime\":\"%s\"", mime[r->mime]);
	if (r->mime != SCAN_MIME_OK) {
		buf_puts(&b, ",\"mime_why\":");
		json_str(&b, r->mime_why);
	}
	if (r->dlp_error) {
		buf_puts(&b, ",\"dlp_error\":");
		json_str(&b, r->dlp_why);
	}
	buf_puts(&b, ",\"dlp\":[");
	for (size_t i = 0; i < r->nhits; i++) {
		buf_printf(&b, "%s{\"rule\":", i ? "," : "");
		json_str(&b, r->hits[i].rule);
		buf_printf(&b, ",\"count\":%u}", r->hits[i].count);
	}
	buf_puts(&b, "]}");
	return buf_steal(&b, NULL);
}
