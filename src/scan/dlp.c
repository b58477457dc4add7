/*
 * dlp.c - the DLP engine: rules compiled into one Hyperscan database
 * (streaming mode), texts scanned piece by piece, candidates judged, counts
 * kept per rule. Rules come from the operator's configuration (trusted, but
 * checked); texts come from clients (untrusted, any octets). The built-ins'
 * candidates are judged in C from a window of the text kept across pieces
 * (dlp_check.c); regexes and keywords are counted as Hyperscan reports them.
 * Nothing of a text outlives it but counts.
 */
#include "dlp.h"

#include <hs.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp_check.h"
#include "xmalloc.h"

/*
 * The built-in detectors' candidates: Hyperscan reports where one may end,
 * dlp_check.c finds its start and judges it. Loose on purpose (mixed
 * separators, any case): the validators are strict. Each ends with the
 * octet after the candidate, or the end of the text, so that a run of digits
 * is reported once, at its end, and not at each of its digits.
 */
#define END         "(?:[^0-9A-Za-z]|\\z)"
#define RE_CARD     "[0-9](?:[ \\-]?[0-9]){12,18}" END
#define RE_IBAN     "[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]){11,40}" END
#define RE_SSN      "(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4})" END
#define RE_SSN_BARE "\\b(?:ssn|ss#|social\\s+security)[^0-9]{0,30}[0-9]{9}" END

/* beside a keyword that begins or ends with a word octet: none, or the text's edge */
#define NONWORD "[^0-9A-Za-z_\\x80-\\xff]"

#define LOOK  96    /* octets before a candidate's end a validator may read */
#define AFTER 2     /* octets after it: "not followed by a separator and a digit" */
#define BATCH 256   /* matches gathered before they are sorted and judged */
#define CHUNK 16384 /* octets copied and scanned at a time */
#define SLACK 64    /* octets of room either side of them */

_Static_assert(LOOK + 1 + AFTER <= DLP_WINDOW, "the window must hold what a validator reads");

enum check { CHK_REGEX, CHK_KEYWORD, CHK_CARD, CHK_IBAN, CHK_SSN, CHK_SSN_BARE };

/* one Hyperscan expression; its id is its index in dlp_db.exprs */
struct expr {
	uint32_t rule;
	uint16_t keyword; /* CHK_KEYWORD: its place in the rule's list, from 1 (for errors) */
	uint8_t check;    /* enum check */
};

struct rule {
	char *name;
	unsigned min_count;
};

struct dlp_db {
	hs_database_t *hs;
	struct rule *rules;
	size_t nrules;
	struct expr *exprs;
	size_t nexprs;
	size_t njudged; /* expressions judged with context: the built-ins' */
};

struct event {
	uint64_t from, to;
	uint32_t expr;
};

/*
 * A scan. Offsets count from the start of the current text: off octets were
 * fed before the piece being scanned, and win holds the last win_len of them.
 * A candidate whose AFTER octets have not arrived yet waits in pending.
 */
struct dlp_scan {
	const struct dlp_db *db;
	hs_scratch_t *scratch;
	hs_stream_t *stream;
	unsigned *counts;
	uint64_t *last_end; /* per rule, in this text: end of the last match counted */
	struct event batch[BATCH];
	size_t nbatch;
	struct event *pending;
	size_t npending, cap_pending;
	unsigned char win[DLP_WINDOW];
	size_t win_len;
	unsigned char *bounce; /* SLACK + CHUNK + SLACK: the piece Hyperscan reads */
	size_t bounce_used;    /* the most of it a text has used, to wipe */
	uint64_t off;
	const unsigned char *piece;
	size_t piece_len;
	bool ended;  /* judging a text's last candidates: nothing follows */
	bool failed; /* Hyperscan failed: the results are incomplete */
};

/* ---- compiling ---- */

struct build {
	char **pats;
	unsigned *flags;
	unsigned *ids;
	size_t n, cap;
	bool som; /* some expression wants its start of match */
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* add - one expression; takes ownership of pat */
static void add(struct dlp_db *db, struct build *b, char *pat, unsigned flags, struct expr x)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->pats = xrealloc(b->pats, b->cap * sizeof(*b->pats));
		b->flags = xrealloc(b->flags, b->cap * sizeof(*b->flags));
		b->ids = xrealloc(b->ids, b->cap * sizeof(*b->ids));
		db->exprs = xrealloc(db->exprs, b->cap * sizeof(*db->exprs));
	}
	b->pats[b->n] = pat;
	b->flags[b->n] = flags;
	b->ids[b->n] = (unsigned)b->n;
	db->exprs[b->n] = x;
	if (x.check != CHK_REGEX && x.check != CHK_KEYWORD)
		db->njudged++;
	if (flags & HS_FLAG_SOM_LEFTMOST)
		b->som = true;
	b->n++;
	db->nexprs = b->n;
}

static bool word_octet(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '_' || c >= 0x80;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * keyword - the expression for the keyword [a, z): letters and digits as
 * they are, white space runs as \s+, any other octet escaped; on a side where
 * it ends in a word octet, the octet beyond must be none (or the text ends).
 * Hyperscan's \b would do, but for its taking non-ASCII octets for non-word
 * ones ("\xc3\xbcsecret" holds no word "secret"). -1 with err (naming its
 * place, never its text) if it cannot be one.
 */
static int keyword(struct dlp_db *db, struct build *b, size_t rule, size_t nth, const char *a,
                   const char *z, bool case_sensitive, char *err, size_t errlen)
{
	const char *name = db->rules[rule].name;
	size_t n = (size_t)(z - a), o = 0;
	char *pat = xmalloc(n * 4 + 2 * sizeof(NONWORD) + 32); /* \xHH each, the edges */

	if (n == 0 || n > DLP_KEYWORD_MAX) {
		free(pat);
		return fail(err, errlen, "rule \"%s\": keyword %zu is %s", name, nth,
		            n ? "over 64 octets" : "empty");
	}
	if (word_octet((unsigned char)a[0]))
		o += (size_t)sprintf(pat + o, "(?:^|" NONWORD ")");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (blank(a[i])) {
			if (!blank(a[i - 1])) /* a is trimmed: i > 0 */
				o += (size_t)sprintf(pat + o, "\\s+");
		} else if (c < 0x20 || c == 0x7f) {
			free(pat);
			return fail(err, errlen,
			            "rule \"%s\": keyword %zu holds a control character", name,
			            nth);
		} else if (word_octet(c) && c < 0x80 && c != '_') {
			pat[o++] = (char)c;
		} else {
			o += (size_t)sprintf(pat + o, "\\x%02x", c);
		}
	}
	if (word_octet((unsigned char)z[-1]))
		o += (size_t)sprintf(pat + o, "(?:" NONWORD "|\\z)");
	pat[o] = '\0';
	add(db, b, pat, case_sensitive ? 0 : HS_FLAG_CASELESS,
	    (struct expr){.rule = (uint32_t)rule, .keyword = (uint16_t)nth, .check = CHK_KEYWORD});
	return 0;
}

static int keywords(struct dlp_db *db, struct build *b, size_t rule, const struct dlp_rule_spec *r,
                    char *err, size_t errlen)
{
	const char *p = r->pattern;
	size_t nth = 0;

	for (;;) {
		const char *e = strchr(p, ','), *a = p, *z;
		if (e == NULL)
			e = p + strlen(p);
		z = e;
		while (a < z && blank(*a))
			a++;
		while (z > a && blank(z[-1]))
			z--;
		if (++nth > DLP_KEYWORDS_MAX)
			return fail(err, errlen, "rule \"%s\": more than 1000 keywords",
			            db->rules[rule].name);
		if (keyword(db, b, rule, nth, a, z, r->case_sensitive, err, errlen) < 0)
			return -1;
		if (*e == '\0')
			return 0;
		p = e + 1;
	}
}

static int check_name(const struct dlp_db *db, size_t i, const char *name, char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > DLP_NAME_MAX)
		return fail(err, errlen, "rule %zu: the name must be 1-64 octets", i + 1);
	for (size_t k = 0; k < n; k++) {
		char c = name[k];
		if (!word_octet((unsigned char)c) && c != '.' && c != ':' && c != '-')
			return fail(err, errlen,
			            "rule %zu: the name may hold only A-Z a-z 0-9 _ . : -", i + 1);
		if ((unsigned char)c >= 0x80)
			return fail(err, errlen, "rule %zu: the name must be ASCII", i + 1);
	}
	for (size_t k = 0; k < i; k++)
		if (strcmp(db->rules[k].name, name) == 0)
			return fail(err, errlen, "rule \"%s\": a second rule of that name", name);
	return 0;
}

/* add_rule - the expressions of rule i */
static int add_rule(struct dlp_db *db, struct build *b, size_t i, const struct dlp_rule_spec *r,
                    char *err, size_t errlen)
{
	struct expr x = {.rule = (uint32_t)i};
	size_t plen;

	switch (r->kind) {
	case DLP_CARD:
		x.check = CHK_CARD;
		add(db, b, xstrdup(RE_CARD), 0, x);
		return 0;
	case DLP_IBAN:
		x.check = CHK_IBAN;
		add(db, b, xstrdup(RE_IBAN), 0, x);
		return 0;
	case DLP_SSN:
		x.check = CHK_SSN;
		add(db, b, xstrdup(RE_SSN), 0, x);
		x.check = CHK_SSN_BARE;
		add(db, b, xstrdup(RE_SSN_BARE), HS_FLAG_CASELESS, x);
		return 0;
	case DLP_REGEX:
	case DLP_KEYWORDS:
		plen = r->pattern ? strlen(r->pattern) : 0;
		if (plen == 0 || plen > DLP_PATTERN_MAX)
			return fail(err, errlen, "rule \"%s\": the pattern must be 1-4096 octets",
			            db->rules[i].name);
		if (r->kind == DLP_KEYWORDS)
			return keywords(db, b, i, r, err, errlen);
		x.check = CHK_REGEX;
		add(db, b, xstrdup(r->pattern), HS_FLAG_SOM_LEFTMOST | HS_FLAG_MULTILINE, x);
		return 0;
	}
	return fail(err, errlen, "rule \"%s\": unknown kind %d", db->rules[i].name, (int)r->kind);
}

/* compile_error - say which rule (and keyword) Hyperscan refused, and why */
static void compile_error(const struct dlp_db *db, const hs_compile_error_t *ce, char *err,
                          size_t errlen)
{
	const struct expr *x;
	const char *name;

	if (ce->expression < 0 || (size_t)ce->expression >= db->nexprs) {
		fail(err, errlen, "the DLP rules do not compile together: %s", ce->message);
		return;
	}
	x = &db->exprs[ce->expression];
	name = db->rules[x->rule].name;
	if (x->check == CHK_REGEX)
		fail(err, errlen, "rule \"%s\": bad pattern: %s", name, ce->message);
	else if (x->check == CHK_KEYWORD)
		fail(err, errlen, "rule \"%s\": keyword %u: %s", name, x->keyword, ce->message);
	else
		fail(err, errlen, "rule \"%s\": built-in detector: %s", name, ce->message);
}

struct dlp_db *dlp_compile(const struct dlp_rule_spec *rules, size_t n, char *err, size_t errlen)
{
	struct dlp_db *db;
	struct build b = {0};
	hs_compile_error_t *ce = NULL;
	unsigned mode = HS_MODE_STREAM;
	int rc = 0;

	if (n == 0 || n > DLP_RULES_MAX) {
		fail(err, errlen, "%zu DLP rules: 1-1024 allowed", n);
		return NULL;
	}
	if (hs_valid_platform() != HS_SUCCESS) {
		fail(err, errlen, "Hyperscan does not run on this CPU (it needs SSSE3)");
		return NULL;
	}
	db = xcalloc(1, sizeof(*db));
	db->rules = xcalloc(n, sizeof(*db->rules));
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = check_name(db, i, rules[i].name, err, errlen);
		if (rc == 0) {
			db->rules[i].name = xstrdup(rules[i].name);
			db->rules[i].min_count = rules[i].min_count ? rules[i].min_count : 1;
			db->nrules = i + 1;
			rc = add_rule(db, &b, i, &rules[i], err, errlen);
		}
	}
	if (rc == 0) {
		if (b.som)
			mode |= HS_MODE_SOM_HORIZON_LARGE;
		if (hs_compile_multi((const char *const *)b.pats, b.flags, b.ids, (unsigned)b.n,
		                     mode, NULL, &db->hs, &ce) != HS_SUCCESS) {
			if (ce)
				compile_error(db, ce, err, errlen);
			else
				fail(err, errlen, "the DLP rules do not compile");
			hs_free_compile_error(ce);
			rc = -1;
		}
	}
	for (size_t i = 0; i < b.n; i++)
		free(b.pats[i]);
	free(b.pats);
	free(b.flags);
	free(b.ids);
	if (rc < 0) {
		dlp_free(db);
		return NULL;
	}
	return db;
}

void dlp_free(struct dlp_db *db)
{
	if (db == NULL)
		return;
	hs_free_database(db->hs);
	for (size_t i = 0; i < db->nrules; i++)
		free(db->rules[i].name);
	free(db->rules);
	free(db->exprs);
	free(db);
}

size_t dlp_db_rules(const struct dlp_db *db)
{
	return db->nrules;
}

bool dlp_db_has_rule(const struct dlp_db *db, const char *name)
{
	for (size_t i = 0; db && i < db->nrules; i++)
		if (strcmp(db->rules[i].name, name) == 0)
			return true;
	return false;
}

/* ---- scanning ---- */

static void count(struct dlp_scan *s, uint32_t rule, uint64_t from, uint64_t to)
{
	if (from < s->last_end[rule])
		return; /* overlaps the match counted last */
	s->last_end[rule] = to;
	if (s->counts[rule] < UINT_MAX)
		s->counts[rule]++;
}

/*
 * view - the octets of the text around a match ending at `to` that are still
 * at hand, LOOK + 1 before it and AFTER after it: in the piece, or copied into
 * buf (LOOK + 1 + AFTER octets) from the window and the piece. Returns
 * whether buf holds a copy, to wipe.
 */
static bool view(const struct dlp_scan *s, uint64_t to, unsigned char *buf, struct dlp_view *v)
{
	uint64_t end = s->off + s->piece_len, kept = s->off - s->win_len;
	uint64_t lo = to > LOOK + 1 ? to - LOOK - 1 : 0, hi = to + AFTER < end ? to + AFTER : end;
	size_t n = 0;

	if (lo < kept)
		lo = kept; /* before the text (the window holds the rest) */
	v->lo = lo;
	if (lo >= s->off) {
		v->b = s->piece + (lo - s->off);
		v->n = (size_t)(hi - lo);
		return false;
	}
	for (uint64_t p = lo; p < hi && p < s->off; p++)
		buf[n++] = s->win[s->win_len - (size_t)(s->off - p)];
	if (hi > s->off) {
		uint64_t p = lo > s->off ? lo : s->off;
		memcpy(buf + n, s->piece + (p - s->off), (size_t)(hi - p));
		n += (size_t)(hi - p);
	}
	v->b = buf;
	v->n = n;
	return true;
}

static bool alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* judge - a candidate with its context at hand: count it if it holds */
static void judge(struct dlp_scan *s, const struct event *e)
{
	const struct expr *x = &s->db->exprs[e->expr];
	unsigned char buf[LOOK + 1 + AFTER];
	struct dlp_view v;
	uint64_t from = e->from, to = e->to;
	bool ok = false, copy = view(s, e->to, buf, &v);

	/* the match holds the octet after the candidate, unless the text ended */
	if (!alnum(dlp_at(&v, to - 1)))
		to--;
	switch ((enum check)x->check) {
	case CHK_CARD:
		ok = dlp_check_card(&v, to, &from);
		break;
	case CHK_IBAN:
		ok = dlp_check_iban(&v, to, &from);
		break;
	case CHK_SSN:
		ok = dlp_check_ssn(&v, to, &from);
		break;
	case CHK_SSN_BARE:
		ok = dlp_check_ssn_bare(&v, to, &from);
		break;
	case CHK_REGEX:
	case CHK_KEYWORD:
		break; /* counted without judging */
	}
	if (copy)
		explicit_bzero(buf, sizeof(buf));
	if (ok)
		count(s, x->rule, from, to);
}

/* ready - are the octets after the candidate at hand (or known never to come)? */
static bool ready(const struct dlp_scan *s, const struct event *e)
{
	return s->ended || e->to + AFTER <= s->off + s->piece_len;
}

static void defer(struct dlp_scan *s, const struct event *e)
{
	/* at most AFTER ends per expression wait: the bound only grows on odd reports */
	if (s->npending == s->cap_pending) {
		s->cap_pending *= 2;
		s->pending = xrealloc(s->pending, s->cap_pending * sizeof(*s->pending));
	}
	s->pending[s->npending++] = *e;
}

/* drain - judge the waiting candidates whose context has come, in order */
static void drain(struct dlp_scan *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->npending; i++) {
		if (ready(s, &s->pending[i]))
			judge(s, &s->pending[i]);
		else
			s->pending[k++] = s->pending[i];
	}
	s->npending = k;
}

static bool before(const struct event *x, const struct event *y)
{
	if (x->to != y->to)
		return x->to < y->to;
	if (x->from != y->from)
		return x->from < y->from;
	return x->expr < y->expr;
}

/*
 * flush - judge the gathered matches in order of end (Hyperscan does not
 * promise one), so that "non-overlapping" means the same however the text
 * was cut into pieces.
 */
static void flush(struct dlp_scan *s)
{
	/* insertion: the batch comes nearly in order */
	for (size_t i = 1; i < s->nbatch; i++) {
		struct event e = s->batch[i];
		size_t k = i;
		for (; k > 0 && before(&e, &s->batch[k - 1]); k--)
			s->batch[k] = s->batch[k - 1];
		s->batch[k] = e;
	}
	for (size_t i = 0; i < s->nbatch; i++) {
		const struct event *e = &s->batch[i];
		enum check c = s->db->exprs[e->expr].check;
		if (c == CHK_REGEX || c == CHK_KEYWORD)
			count(s, s->db->exprs[e->expr].rule, e->from, e->to);
		else if (ready(s, e))
			judge(s, e);
		else
			defer(s, e);
	}
	s->nbatch = 0;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ctx)
{
	struct dlp_scan *s = ctx;

	(void)flags;
	if (s->nbatch == BATCH)
		flush(s);
	if (s->db->exprs[id].check == CHK_KEYWORD)
		from = to - 1; /* no start asked: two keywords ending together count one */
	s->batch[s->nbatch++] = (struct event){.from = from, .to = to, .expr = id};
	return 0;
}

/* keep - the last DLP_WINDOW octets of the text, for candidates that end in later pieces */
static void keep(struct dlp_scan *s, const unsigned char *p, size_t n)
{
	size_t old;

	if (n >= DLP_WINDOW) {
		memcpy(s->win, p + n - DLP_WINDOW, DLP_WINDOW);
		s->win_len = DLP_WINDOW;
		return;
	}
	old = s->win_len < DLP_WINDOW - n ? s->win_len : DLP_WINDOW - n;
	memmove(s->win, s->win + s->win_len - old, old);
	memcpy(s->win + old, p, n);
	s->win_len = old + n;
}

/* new_text - forget the text: its octets, offsets and overlaps */
static void new_text(struct dlp_scan *s)
{
	explicit_bzero(s->win, sizeof(s->win));
	explicit_bzero(s->bounce + SLACK, s->bounce_used);
	s->bounce_used = 0;
	s->win_len = 0;
	s->off = 0;
	s->npending = 0;
	s->nbatch = 0;
	memset(s->last_end, 0, s->db->nrules * sizeof(*s->last_end));
}

struct dlp_scan *dlp_scan_new(const struct dlp_db *db)
{
	struct dlp_scan *s = xcalloc(1, sizeof(*s));

	s->db = db;
	if (hs_alloc_scratch(db->hs, &s->scratch) != HS_SUCCESS ||
	    hs_open_stream(db->hs, 0, &s->stream) != HS_SUCCESS) {
		dlp_scan_free(s);
		return NULL;
	}
	s->counts = xcalloc(db->nrules, sizeof(*s->counts));
	s->last_end = xcalloc(db->nrules, sizeof(*s->last_end));
	s->bounce = xcalloc(1, SLACK + CHUNK + SLACK);
	s->cap_pending = AFTER * db->njudged + 8;
	s->pending = xmalloc(s->cap_pending * sizeof(*s->pending));
	return s;
}

/*
 * scan_piece - n octets (at most CHUNK) of the text. Hyperscan reads a copy
 * with room around it: its AVX-512 VBMI literal matcher (5.4.0) loads whole
 * vectors past the end of the buffer it is given, which faults when that
 * buffer ends a page (VectorCamp/vectorscan#322); the copy costs little
 * beside the scan.
 */
static int scan_piece(struct dlp_scan *s, const char *p, size_t n)
{
	hs_error_t rc;

	memcpy(s->bounce + SLACK, p, n);
	if (n > s->bounce_used)
		s->bounce_used = n;
	s->piece = s->bounce + SLACK;
	s->piece_len = n;
	drain(s);
	rc = hs_scan_stream(s->stream, (const char *)s->piece, (unsigned)n, 0, s->scratch, on_match,
	                    s);
	flush(s);
	keep(s, s->piece, n);
	s->off += n;
	s->piece = NULL;
	s->piece_len = 0;
	if (rc != HS_SUCCESS) {
		s->failed = true;
		return -1;
	}
	return 0;
}

int dlp_scan_feed(struct dlp_scan *s, const char *utf8, size_t n)
{
	if (s->failed)
		return -1;
	while (n > 0) {
		size_t k = n < CHUNK ? n : CHUNK;
		if (scan_piece(s, utf8, k) < 0)
			return -1;
		utf8 += k;
		n -= k;
	}
	return 0;
}

int dlp_scan_end_text(struct dlp_scan *s)
{
	hs_error_t rc;

	if (s->failed)
		return -1;
	s->ended = true;
	drain(s);
	/* reports the matches that end with the text ('$'), and starts the next */
	rc = hs_reset_stream(s->stream, 0, s->scratch, on_match, s);
	flush(s);
	s->ended = false;
	new_text(s);
	if (rc != HS_SUCCESS) {
		s->failed = true;
		return -1;
	}
	return 0;
}

size_t dlp_scan_results(const struct dlp_scan *s, struct dlp_hit *out, size_t cap)
{
	size_t k = 0;

	for (size_t i = 0; i < s->db->nrules; i++) {
		if (s->counts[i] == 0)
			continue;
		if (k < cap)
			out[k] = (struct dlp_hit){.rule = s->db->rules[i].name,
			                          .count = s->counts[i],
			                          .triggered = s->counts[i] >=
			                                       s->db->rules[i].min_count};
		k++;
	}
	return k;
}

bool dlp_scan_triggered(const struct dlp_scan *s)
{
	for (size_t i = 0; i < s->db->nrules; i++)
		if (s->counts[i] >= s->db->rules[i].min_count)
			return true;
	return false;
}

int dlp_scan_reset(struct dlp_scan *s)
{
	new_text(s);
	memset(s->counts, 0, s->db->nrules * sizeof(*s->counts));
	s->failed = hs_reset_stream(s->stream, 0, NULL, NULL, NULL) != HS_SUCCESS;
	return s->failed ? -1 : 0;
}

void dlp_scan_free(struct dlp_scan *s)
{
	if (s == NULL)
		return;
	hs_close_stream(s->stream, NULL, NULL, NULL);
	hs_free_scratch(s->scratch);
	explicit_bzero(s->win, sizeof(s->win));
	if (s->bounce)
		explicit_bzero(s->bounce + SLACK, s->bounce_used);
	free(s->bounce);
	free(s->counts);
	free(s->last_end);
	free(s->pending);
	free(s);
}
