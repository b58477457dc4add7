/* qrecord.c - queue file records: encoding and strict validation. */
#include "qrecord.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "id.h"
#include "strutil.h"
#include "xmalloc.h"

/* the largest record we ever write is the header section (bounded by config) */
#define QREC_MAX_PAYLOAD (64u * 1024 * 1024)

void qrec_put(struct buf *b, enum qrec_type type, const void *p, size_t n)
{
	unsigned char h[QREC_HDR_LEN];

	h[0] = (unsigned char)type;
	h[1] = (unsigned char)(n >> 24);
	h[2] = (unsigned char)(n >> 16);
	h[3] = (unsigned char)(n >> 8);
	h[4] = (unsigned char)n;
	buf_append(b, h, sizeof(h));
	buf_append(b, p, n);
}

static void put_str(struct buf *b, enum qrec_type type, const char *s)
{
	qrec_put(b, type, s, strlen(s));
}

static void put_attr(struct buf *b, const char *key, const char *value)
{
	struct buf a;

	buf_init(&a);
	buf_printf(&a, "%s=%s", key, value);
	qrec_put(b, QREC_ATTR, a.data, a.len);
	buf_release(&a);
}

void qrec_put_envelope(struct buf *b, const struct envelope *env)
{
	char num[32];

	put_str(b, QREC_VERSION, QREC_MAGIC);
	put_str(b, QREC_ID, id_format(env->id, num));
	snprintf(num, sizeof(num), "%" PRIu64, env->arrival_ms);
	put_str(b, QREC_TIME, num);
	put_str(b, QREC_SOURCE, env->source ? env->source : "");
	put_str(b, QREC_CLIENT, env->client ? env->client : "");
	if (env->helo)
		put_str(b, QREC_HELO, env->helo);
	put_str(b, QREC_SENDER, env->sender ? env->sender : "");
	put_attr(b, "body", env->body == BODY_8BITMIME ? "8bitmime" : "7bit");
	if (env->smtputf8)
		put_attr(b, "smtputf8", "1");
	if (env->ret != DSN_RET_DEFAULT)
		put_attr(b, "ret", env->ret == DSN_RET_FULL ? "full" : "hdrs");
	if (env->envid)
		put_attr(b, "envid", env->envid);
	if (env->pool)
		put_attr(b, "pool", env->pool);
	if (env->bulk)
		put_attr(b, "lane", "bulk");
	for (size_t i = 0; i < env->nrcpts; i++) {
		const struct envelope_rcpt *r = &env->rcpts[i];
		struct buf rb;
		buf_init(&rb);
		buf_puts(&rb, r->addr);
		buf_putc(&rb, '\0');
		buf_printf(&rb, "%u", r->notify);
		buf_putc(&rb, '\0');
		if (r->orcpt)
			buf_puts(&rb, r->orcpt);
		qrec_put(b, QREC_RCPT, rb.data, rb.len);
		buf_release(&rb);
	}
}

void qrec_put_end(struct buf *b, uint64_t total, uint32_t crc)
{
	unsigned char e[12];

	for (int i = 0; i < 8; i++)
		e[i] = (unsigned char)(total >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		e[8 + i] = (unsigned char)(crc >> (24 - 8 * i));
	qrec_put(b, QREC_END, e, sizeof(e));
}

/* a payload as a NUL-terminated copy; NUL inside is corruption */
static char *dup_text(const char *p, size_t n)
{
	if (memchr(p, '\0', n))
		return NULL;
	return xstrndup(p, n);
}

static int parse_attr(struct envelope *env, const char *p, size_t n)
{
	char *s = dup_text(p, n);
	int r = 0;

	if (s == NULL)
		return -1;
	char *eq = strchr(s, '=');
	if (eq == NULL) {
		free(s);
		return -1;
	}
	*eq++ = '\0';
	if (strcmp(s, "body") == 0)
		env->body = strcmp(eq, "8bitmime") == 0 ? BODY_8BITMIME : BODY_7BIT;
	else if (strcmp(s, "smtputf8") == 0)
		env->smtputf8 = strcmp(eq, "1") == 0;
	else if (strcmp(s, "ret") == 0)
		env->ret = strcmp(eq, "full") == 0 ? DSN_RET_FULL : DSN_RET_HDRS;
	else if (strcmp(s, "envid") == 0)
		envelope_set(&env->envid, eq);
	else if (strcmp(s, "pool") == 0)
		envelope_set(&env->pool, eq);
	else if (strcmp(s, "lane") == 0)
		env->bulk = strcmp(eq, "bulk") == 0;
	else if (strcmp(s, "quarantine") == 0)
		envelope_set(&env->quarantine, eq);
	else if (strcmp(s, "tls") == 0)
		env->require_tls = strcmp(eq, "verify") == 0;
	else if (strcmp(s, "stream") == 0)
		envelope_set(&env->stream, eq);
	/* other keys: attributes of later versions, ignored by this one */
	free(s);
	return r;
}

static int parse_rcpt(struct envelope *env, const char *p, size_t n)
{
	const char *z1 = memchr(p, '\0', n);
	const char *z2 = z1 ? memchr(z1 + 1, '\0', n - (size_t)(z1 + 1 - p)) : NULL;
	uint64_t notify;

	if (z2 == NULL || z1 == p)
		return -1;
	char *addr = xstrndup(p, (size_t)(z1 - p));
	char *nstr = xstrndup(z1 + 1, (size_t)(z2 - z1 - 1));
	size_t olen = n - (size_t)(z2 + 1 - p);
	char *orcpt = olen ? dup_text(z2 + 1, olen) : NULL;
	int r = -1;
	if (parse_u64(nstr, 15, &notify) == 0 && (olen == 0 || orcpt != NULL)) {
		envelope_add_rcpt(env, addr, (unsigned)notify, orcpt);
		r = 0;
	}
	free(addr);
	free(nstr);
	free(orcpt);
	return r;
}

static int set_text(char **field, const char *p, size_t n)
{
	char *s = dup_text(p, n);

	if (s == NULL)
		return -1;
	free(*field);
	*field = s;
	return 0;
}

int qrec_parse(const char *p, size_t n, struct qmsg *m, char *err, size_t errlen)
{
	size_t pos = 0;
	bool have_end = false, have_header = false, have_id = false;
	unsigned seen = 0;
	uint64_t v;

	memset(m, 0, sizeof(*m));
	envelope_init(&m->env);
	while (pos < n) {
		if (n - pos < QREC_HDR_LEN) {
			snprintf(err, errlen, "truncated record at offset %zu", pos);
			goto bad;
		}
		const unsigned char *h = (const unsigned char *)p + pos;
		size_t len = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
		enum qrec_type type = (enum qrec_type)h[0];
		const char *pl = p + pos + QREC_HDR_LEN;
		if (len > QREC_MAX_PAYLOAD || len > n - pos - QREC_HDR_LEN) {
			snprintf(err, errlen, "record at offset %zu runs past the end", pos);
			goto bad;
		}
		if (pos == 0 && (type != QREC_VERSION || len != strlen(QREC_MAGIC) ||
		                 memcmp(pl, QREC_MAGIC, len) != 0)) {
			snprintf(err, errlen, "not a queue file of this version");
			goto bad;
		}
		/*
		 * The content is H and B records in either order (H follows the body
		 * when the header is signed at its end); attributes learnt from the
		 * content (lane, verdicts) may follow it. Nothing of the envelope may.
		 */
		bool in_content = have_header || m->nbody > 0;
		if (in_content && type != QREC_BODY && type != QREC_HEADER && type != QREC_END &&
		    type != QREC_ATTR) {
			snprintf(err, errlen, "record '%c' after the content started", type);
			goto bad;
		}
		int r = 0;
		switch (type) {
		case QREC_VERSION:
			r = pos == 0 ? 0 : -1;
			break;
		case QREC_ID: {
			char tmp[ID_HEXLEN + 1];
			r = len == ID_HEXLEN ? 0 : -1;
			if (r == 0) {
				memcpy(tmp, pl, len);
				tmp[len] = '\0';
				r = id_parse(tmp, &m->env.id) ? 0 : -1;
				have_id = r == 0;
			}
			break;
		}
		case QREC_TIME: {
			char tmp[24];
			r = len > 0 && len < sizeof(tmp) ? 0 : -1;
			if (r == 0) {
				memcpy(tmp, pl, len);
				tmp[len] = '\0';
				r = parse_u64(tmp, UINT64_MAX, &v);
				m->env.arrival_ms = v;
			}
			break;
		}
		case QREC_SOURCE:
			r = set_text(&m->env.source, pl, len);
			break;
		case QREC_CLIENT:
			r = set_text(&m->env.client, pl, len);
			break;
		case QREC_HELO:
			r = set_text(&m->env.helo, pl, len);
			break;
		case QREC_SENDER:
			r = set_text(&m->env.sender, pl, len);
			break;
		case QREC_ATTR:
			r = parse_attr(&m->env, pl, len);
			break;
		case QREC_RCPT:
			r = parse_rcpt(&m->env, pl, len);
			break;
		case QREC_HEADER:
			m->header = (struct qrec_span){pl, len};
			have_header = true;
			break;
		case QREC_BODY:
			m->body = xrealloc(m->body, (m->nbody + 1) * sizeof(*m->body));
			m->body[m->nbody++] = (struct qrec_span){pl, len};
			m->size += len;
			break;
		case QREC_END: {
			uint64_t total = 0;
			uint32_t crc = 0;
			if (len != 12 || pos + QREC_HDR_LEN + len != n) {
				snprintf(err, errlen, "end record misplaced");
				goto bad;
			}
			for (int i = 0; i < 8; i++)
				total = total << 8 | (unsigned char)pl[i];
			for (int i = 8; i < 12; i++)
				crc = crc << 8 | (unsigned char)pl[i];
			if (total != pos || crc != crc32_update(0, p, pos)) {
				snprintf(err, errlen, "checksum mismatch");
				goto bad;
			}
			have_end = true;
			break;
		}
		default:
			snprintf(err, errlen, "unknown record type 0x%02x at offset %zu", h[0],
			         pos);
			goto bad;
		}
		if (r < 0) {
			snprintf(err, errlen, "bad '%c' record at offset %zu", type, pos);
			goto bad;
		}
		/* the envelope's single-valued records appear once: a second is corruption */
		const char *single = memchr("ITOCGSH", h[0], 7);
		if (single && h[0] != 0) {
			unsigned bit = 1u << (single - "ITOCGSH");
			if (seen & bit) {
				snprintf(err, errlen, "record '%c' repeated at offset %zu", type,
				         pos);
				goto bad;
			}
			seen |= bit;
		}
		pos += QREC_HDR_LEN + len;
	}
	if (!have_end) {
		snprintf(err, errlen, "no end record (half-written)");
		goto bad;
	}
	if (!have_header || !have_id || m->env.sender == NULL || m->env.nrcpts == 0) {
		snprintf(err, errlen, "incomplete envelope");
		goto bad;
	}
	m->size += m->header.n + 2;
	return 0;
bad:
	qmsg_release(m);
	return -1;
}

void qmsg_release(struct qmsg *m)
{
	envelope_release(&m->env);
	free(m->body);
	memset(m, 0, sizeof(*m));
}
