/*
 * dkim_canon.c - DKIM canonicalization (RFC 6376 3.4) and the streaming body
 * hash. Pure computation on octets the caller owns; no I/O, no allocation
 * but OpenSSL's digest context.
 *
 * The body canonicalizer never looks back: it holds back what it cannot
 * decide yet (a CR whose LF is in the next chunk, line ends that may turn out
 * to be trailing empty lines, white space that may end a line) in a few
 * fields of struct dkim_body, so any split of the input gives the same hash.
 */
#include "dkim_canon.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "strutil.h"

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static const EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
	sha256 = EVP_MD_fetch(NULL, "SHA256", NULL); /* held for the life of the process */
}

const EVP_MD *dkim_sha256(void)
{
	pthread_once(&sha256_once, fetch_sha256);
	return sha256;
}

int dkim_body_init(struct dkim_body *b, enum dkim_canon canon)
{
	memset(b, 0, sizeof(*b));
	b->canon = canon;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (md == NULL)
		return -1;
	if (dkim_sha256() == NULL || EVP_DigestInit_ex(md, dkim_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	b->md = md;
	return 0;
}

static void flush(struct dkim_body *b)
{
	if (b->nbuf > 0)
		EVP_DigestUpdate(b->md, b->buf, b->nbuf);
	b->nbuf = 0;
}

/* put - canonical octets out: batched so short runs cost one memcpy */
static void put(struct dkim_body *b, const void *p, size_t n)
{
	if (n > sizeof(b->buf) - b->nbuf)
		flush(b);
	if (n >= sizeof(b->buf))
		EVP_DigestUpdate(b->md, p, n);
	else {
		memcpy(b->buf + b->nbuf, p, n);
		b->nbuf += n;
	}
	b->hashed += n;
}

/*
 * content - n octets of a line that is not empty: the line ends and the
 * white space held back were not trailing after all, so they go out first.
 */
static void content(struct dkim_body *b, const char *p, size_t n)
{
	for (; b->pending_crlf > 0; b->pending_crlf--)
		put(b, "\r\n", 2);
	if (b->wsp)
		put(b, " ", 1);
	b->wsp = false;
	put(b, p, n);
	b->seen = true;
}

/* zeros - 0x80 in each octet of v that is zero, nothing elsewhere (exact) */
static inline uint64_t zeros(uint64_t v)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
	return ~(((v & low7) + low7) | v | low7);
}

/*
 * plain - no TAB and no two spaces together in p[0..n): canonical as it
 * is. Eight octets at a time (SWAR): the body of a message is mostly this.
 */
static bool plain(const char *p, size_t n)
{
	const uint64_t tabs = 0x0909090909090909ULL, spaces = 0x2020202020202020ULL;
	size_t k = 0;

	for (; k + 8 <= n; k += 8) {
		uint64_t x;
		memcpy(&x, p + k, 8);
		uint64_t sp = zeros(x ^ spaces);
		/* neighbours in the register are neighbours in memory, either byte order */
		if (zeros(x ^ tabs) != 0 || (sp & (sp >> 8)) != 0)
			return false;
		if (p[k + 7] == ' ' && k + 8 < n && p[k + 8] == ' ')
			return false;
	}
	for (; k < n; k++) {
		if (p[k] == '\t' || (p[k] == ' ' && k + 1 < n && p[k + 1] == ' '))
			return false;
	}
	return true;
}

void dkim_body_update(struct dkim_body *b, const char *p, size_t n)
{
	bool relaxed = b->canon == DKIM_CANON_RELAXED;
	size_t i = 0;

	assert(b->md != NULL);
	while (i < n) {
		unsigned char c = (unsigned char)p[i];
		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				/* relaxed: white space at the end of a line is ignored */
				b->wsp = false;
				b->pending_crlf++;
				i++;
				continue;
			}
			content(b, "\r", 1); /* a bare CR is an ordinary octet */
		}
		if (c == '\r') {
			b->cr = true;
			i++;
			continue;
		}
		if (relaxed && is_wsp(c)) {
			b->wsp = true;
			i++;
			continue;
		}
		/*
		 * Relaxed, the common case: a stretch of a line with no TAB and no
		 * two spaces together is its own canonical form, apart from white
		 * space at its end: found with memchr and one tight scan, hashed in
		 * one piece instead of word by word.
		 */
		if (relaxed) {
			const char *cr = memchr(p + i, '\r', n - i);
			size_t e = cr ? (size_t)(cr - p) : n, z = e;
			while (z > i && is_wsp((unsigned char)p[z - 1]))
				z--;
			if (plain(p + i, z - i)) {
				content(b, p + i, z - i);
			} else {
				/* runs of white space inside: squeezed in a tight loop, not word by word */
				char tmp[512];
				size_t t = 0;
				bool in = false;
				for (size_t k = i; k < z; k++) {
					char ch = p[k];
					if (ch == ' ' || ch == '\t') {
						if (!in)
							tmp[t++] = ' ';
						in = true;
					} else {
						tmp[t++] = ch;
						in = false;
					}
					if (t == sizeof(tmp)) {
						content(b, tmp, t);
						t = 0;
					}
				}
				if (t > 0)
					content(b, tmp, t);
			}
			b->wsp = z < e;
			i = e;
			continue;
		}
		size_t j = i + 1;
		while (j < n && p[j] != '\r' && !(relaxed && is_wsp((unsigned char)p[j])))
			j++;
		content(b, p + i, j - i);
		i = j;
	}
}

void dkim_body_final(struct dkim_body *b, unsigned char out[DKIM_HASH_LEN])
{
	unsigned int len = 0;

	assert(b->md != NULL);
	if (b->cr) /* the body ends in a bare CR */
		content(b, "\r", 1);
	b->cr = false;
	/*
	 * The trailing empty lines are dropped; the last non-empty line gets its
	 * CRLF whether it had one or not (3.4.3, 3.4.4). White space ending an
	 * unterminated last line is dropped too: it is the end of a line.
	 * Nothing seen: simple hashes one CRLF, relaxed nothing (erratum 1384).
	 */
	b->wsp = false;
	b->pending_crlf = 0;
	if (b->seen || b->canon == DKIM_CANON_SIMPLE)
		put(b, "\r\n", 2);
	flush(b);
	EVP_DigestFinal_ex(b->md, out, &len);
	assert(len == DKIM_HASH_LEN);
	dkim_body_release(b);
}

void dkim_body_release(struct dkim_body *b)
{
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
	b->nbuf = 0;
}

/*
 * relaxed - 3.4.2: the name lower-cased and cut before the colon (obsolete
 * white space before it included); the value unfolded (every CRLF dropped),
 * runs of WSP as one SP, none at its start or end; one CRLF at the end.
 */
static void relaxed(const char *f, size_t n, struct buf *out)
{
	const char *colon = memchr(f, ':', n);
	size_t name_end = colon ? (size_t)(colon - f) : n;
	size_t i = colon ? name_end + 1 : n;
	bool wsp = false, any = false;

	while (name_end > 0 && is_wsp((unsigned char)f[name_end - 1]))
		name_end--;
	/* the output is never longer than the field plus ':' and CRLF: write in place */
	buf_reserve(out, n + 3);
	char *w = out->data + out->len;
	for (size_t k = 0; k < name_end; k++) {
		char c = f[k];
		*w++ = c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
	}
	*w++ = ':';
	while (i < n) {
		unsigned char c = (unsigned char)f[i];
		if (c == '\r' && i + 1 < n && f[i + 1] == '\n') {
			i += 2;
			continue;
		}
		if (is_wsp(c)) {
			wsp = true;
			i++;
			continue;
		}
		if (wsp && any)
			*w++ = ' ';
		wsp = false;
		any = true;
		/* the octets that stay as they are: header words are short, no memcpy call */
		do
			*w++ = f[i++];
		while (i < n && !is_wsp((unsigned char)f[i]) && f[i] != '\r');
	}
	*w++ = '\r';
	*w++ = '\n';
	out->len = (size_t)(w - out->data);
	out->data[out->len] = '\0';
}

void dkim_canon_header(enum dkim_canon canon, const char *field, size_t n, struct buf *out)
{
	if (canon == DKIM_CANON_RELAXED) {
		relaxed(field, n, out);
		return;
	}
	/* simple: the field exactly as sent; the CRLF that ends it is added if absent */
	buf_append(out, field, n);
	if (n < 2 || field[n - 2] != '\r' || field[n - 1] != '\n')
		buf_append(out, "\r\n", 2);
}
