/*
 * mime_word.c - strings for the MIME parser: RFC 2047 encoded words (in the
 * Subject and in file names), charset labels to iconv names, and text in
 * any charset to UTF-8. Input is a client's header text; output is always
 * valid UTF-8.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include "buf.h"
#include "mime_internal.h"
#include "strutil.h"

/* windows-1252 0x80-0x9f; the five it leaves undefined map to the C1 controls, as in WHATWG */
static const unsigned short cp1252_c1[32] = {
        0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
        0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};

size_t mime_cp1252(unsigned char o, char out[3])
{
	unsigned cp = o >= 0x80 && o < 0xa0 ? cp1252_c1[o - 0x80] : o;

	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

int mime_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return -1;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (size_t i = 1; i < len; i++) {
		if (i >= n)
			return 0;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return -(int)i;
	}
	return (int)len;
}

void mime_header_text(struct buf *out, const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t run = 0, i = 0;

	while (i < n) {
		int r = u[i] < 0x80 ? 1 : mime_utf8_seq(u + i, n - i);
		if (r > 0) {
			i += (size_t)r;
			continue;
		}
		buf_append(out, p + run, i - run);
		buf_append(out, "\xef\xbf\xbd", 3);
		i += r < 0 ? (size_t)-r : n - i; /* 0: an incomplete character at the end */
		run = i;
	}
	buf_append(out, p + run, n - run);
}

/* labels read as the superset readers use for them */
static const struct {
	const char *label, *name;
} aliases[] = {
        {"shift_jis", "CP932"},
        {"shift-jis", "CP932"},
        {"sjis", "CP932"},
        {"x-sjis", "CP932"},
        {"ms_kanji", "CP932"},
        {"csshiftjis", "CP932"},
        {"windows-31j", "CP932"},
        {"ks_c_5601-1987", "CP949"},
        {"ks_c_5601-1989", "CP949"},
        {"ksc5601", "CP949"},
        {"gb2312", "GBK"},
        {"gb_2312-80", "GBK"},
        {"csgb2312", "GBK"},
        {"x-gbk", "GBK"},
        {"iso-8859-8-i", "ISO-8859-8"},
        {"unicode-1-1-utf-8", "UTF-8"},
};

const char *mime_iconv_name(const char *label)
{
	size_t n = strlen(label);

	if (n == 0 || n > MIME_CHARSET_MAX)
		return NULL;
	/* no '/' or ',': glibc reads suffixes such as //TRANSLIT in a name */
	for (size_t i = 0; i < n; i++) {
		char c = label[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("._:+-", c) != NULL))
			return NULL;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (ascii_iequal(label, aliases[i].label))
			return aliases[i].name;
	return label;
}

void mime_iconv_init(struct mime_iconv *ic, size_t max_opens)
{
	memset(ic, 0, sizeof(*ic));
	for (size_t i = 0; i < MIME_CD_SLOTS; i++)
		ic->slot[i].cd = (iconv_t)-1;
	ic->max_opens = max_opens;
}

void mime_iconv_release(struct mime_iconv *ic)
{
	for (size_t i = 0; i < MIME_CD_SLOTS; i++) {
		if (ic->slot[i].cd != (iconv_t)-1)
			iconv_close(ic->slot[i].cd);
		ic->slot[i].cd = (iconv_t)-1;
		ic->slot[i].label[0] = '\0';
	}
}

int mime_iconv_get(struct mime_iconv *ic, const char *label, iconv_t *cd)
{
	char key[MIME_CHARSET_MAX + 1];
	size_t lru = 0, n = strlen(label);

	*cd = (iconv_t)-1;
	if (n > MIME_CHARSET_MAX)
		return 0;
	memcpy(key, label, n + 1);
	ascii_strlower(key);
	ic->tick++;
	for (size_t i = 0; i < MIME_CD_SLOTS; i++) {
		if (ic->slot[i].label[0] != '\0' && strcmp(ic->slot[i].label, key) == 0) {
			ic->slot[i].last = ic->tick;
			*cd = ic->slot[i].cd;
			if (*cd != (iconv_t)-1)
				iconv(*cd, NULL, NULL, NULL, NULL); /* the initial state */
			return 0;
		}
		if (ic->slot[i].last < ic->slot[lru].last)
			lru = i;
	}
	if (ic->opens >= ic->max_opens)
		return -1;
	ic->opens++;
	const char *name = mime_iconv_name(key);
	if (ic->slot[lru].cd != (iconv_t)-1)
		iconv_close(ic->slot[lru].cd);
	ic->slot[lru].cd = name ? iconv_open("UTF-8", name) : (iconv_t)-1;
	memcpy(ic->slot[lru].label, key, n + 1); /* an unknown one too */
	ic->slot[lru].last = ic->tick;
	*cd = ic->slot[lru].cd;
	return 0;
}

/* guessed - a label read as mime_header_text: none, US-ASCII, UTF-8 */
static bool guessed(const char *cs)
{
	return cs[0] == '\0' || ascii_iequal(cs, "us-ascii") || ascii_iequal(cs, "ascii") ||
	       ascii_iequal(cs, "utf-8") || ascii_iequal(cs, "utf8");
}

int mime_to_utf8(struct mime_iconv *ic, struct buf *out, const char *charset, const char *p,
                 size_t n)
{
	iconv_t cd = (iconv_t)-1;
	char *in = (char *)p, tmp[1024];
	size_t inleft = n;

	if (!guessed(charset) && mime_iconv_get(ic, charset, &cd) < 0)
		return -1;
	if (cd == (iconv_t)-1) {
		mime_header_text(out, p, n);
		return guessed(charset) ? 0 : 1;
	}
	for (;;) {
		char *o = tmp;
		size_t oleft = sizeof(tmp);
		size_t r = inleft > 0 ? iconv(cd, &in, &inleft, &o, &oleft)
		                      : iconv(cd, NULL, NULL, &o, &oleft); /* shift back */
		int e = errno;
		buf_append(out, tmp, (size_t)(o - tmp));
		if (r != (size_t)-1 && inleft == 0 && o == tmp)
			break;
		if (r == (size_t)-1 && e != E2BIG) {
			/* an invalid or incomplete sequence: one U+FFFD for its first octet */
			buf_append(out, "\xef\xbf\xbd", 3);
			in++;
			inleft--;
		}
	}
	return 0;
}

/* an encoded word parsed: =?charset[*lang]?b|q?text?= */
struct word {
	size_t len; /* of the whole word */
	char cs[MIME_CHARSET_MAX + 1];
	char enc;
	const char *text;
	size_t tlen;
};

/* parse_word - s (n octets) starts with "=?": is it a whole encoded word? */
static bool parse_word(const char *s, size_t n, struct word *w)
{
	size_t i = 2, c = 0;

	while (i < n && s[i] != '?' && s[i] != '*' && (unsigned char)s[i] > 0x20 &&
	       (unsigned char)s[i] < 0x7f) {
		if (c < MIME_CHARSET_MAX)
			w->cs[c] = s[i];
		c++;
		i++;
	}
	if (c == 0 || c > MIME_CHARSET_MAX)
		return false;
	w->cs[c] = '\0';
	while (i < n && s[i] == '*') /* RFC 2231 5: the language goes */
		while (i < n && s[i] != '?' && (unsigned char)s[i] > 0x20)
			i++;
	if (i + 3 >= n || s[i] != '?' || s[i + 2] != '?')
		return false;
	w->enc = ascii_lower(s[i + 1]);
	if (w->enc != 'b' && w->enc != 'q')
		return false;
	i += 3;
	w->text = s + i;
	while (i + 1 < n && !(s[i] == '?' && s[i + 1] == '=')) {
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '?')
			return false;
		i++;
	}
	if (i + 1 >= n)
		return false;
	w->tlen = (size_t)(s + i - w->text);
	w->len = i + 2;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * word_octets - the octets a word's text decodes to, appended to dst; false
 * if B text does not decode (padding may be missing, as readers allow;
 * lenient: octets outside the alphabet are skipped too).
 */
static bool word_octets(struct buf *dst, const struct word *w, bool lenient)
{
	const char *t = w->text;
	size_t n = w->tlen;
	char clean[256];

	if (w->enc == 'q') {
		for (size_t i = 0; i < n; i++) {
			if (t[i] == '_') {
				buf_putc(dst, ' ');
			} else if (t[i] == '=' && i + 2 < n && hexval(t[i + 1]) >= 0 &&
			           hexval(t[i + 2]) >= 0) {
				buf_putc(dst, (char)(hexval(t[i + 1]) * 16 + hexval(t[i + 2])));
				i += 2;
			} else {
				buf_putc(dst, t[i]);
			}
		}
		return true;
	}
	if (lenient && n <= sizeof(clean)) {
		/* display text: octets outside the alphabet are skipped, as readers do */
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (b64val(t[i]) >= 0 || t[i] == '=')
				clean[k++] = t[i];
		t = clean;
		n = k;
	}
	size_t all = n;
	while (n > 0 && t[n - 1] == '=')
		n--;
	if (n % 4 == 1 || all - n > 2)
		return false;
	unsigned acc = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(t[i]);
		if (v < 0)
			return false;
		acc = acc << 6 | (unsigned)v;
		if (i % 4 == 3) {
			buf_putc(dst, (char)(acc >> 16));
			buf_putc(dst, (char)(acc >> 8));
			buf_putc(dst, (char)acc);
			acc = 0;
		}
	}
	if (n % 4 == 2)
		buf_putc(dst, (char)(acc >> 4));
	if (n % 4 == 3) {
		buf_putc(dst, (char)(acc >> 10));
		buf_putc(dst, (char)(acc >> 2));
	}
	return true;
}

static bool all_wsp(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

/*
 * flush - the octets of adjacent words in one charset, converted together
 * (a character may be cut between two words)
 */
static int flush(struct mime_iconv *ic, struct buf *out, struct buf *pend, char *cs)
{
	int rc = pend->len > 0 ? mime_to_utf8(ic, out, cs, pend->data, pend->len) : 0;

	buf_reset(pend);
	cs[0] = '\0';
	return rc < 0 ? -1 : 0;
}

int mime_words(struct mime_iconv *ic, struct buf *out, const char *s, size_t n, bool anywhere,
               size_t *nbad)
{
	struct buf pend, oct;
	char cs[MIME_CHARSET_MAX + 1] = "";
	size_t i = 0, text = 0;
	bool after_word = false;
	int rc = 0;

	*nbad = 0;
	buf_init(&pend);
	buf_init(&oct);
	while (i < n && rc == 0) {
		struct word w;
		bool may = s[i] == '=' && i + 1 < n && s[i + 1] == '?' &&
		           (anywhere || i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t');
		if (!may || !parse_word(s + i, n - i, &w)) {
			i++;
			continue;
		}
		buf_reset(&oct);
		if (!word_octets(&oct, &w, anywhere)) {
			(*nbad)++; /* kept as it is, part of the text around it */
			i += w.len;
			continue;
		}
		/* white space between two words goes; any other text stays */
		bool joined = after_word && all_wsp(s + text, i - text);
		if (!joined || !ascii_iequal(cs, w.cs))
			rc = flush(ic, out, &pend, cs);
		if (!joined)
			mime_header_text(out, s + text, i - text);
		if (pend.len == 0)
			memcpy(cs, w.cs, sizeof(cs));
		buf_append(&pend, oct.data, oct.len);
		i += w.len;
		text = i;
		after_word = true;
	}
	if (rc == 0)
		rc = flush(ic, out, &pend, cs);
	if (rc == 0)
		mime_header_text(out, s + text, n - text);
	buf_release(&pend);
	buf_release(&oct);
	return rc;
}
