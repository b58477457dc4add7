/*
 * mime_internal.h - what the files of the MIME parser share: mime.c walks
 * the structure (lines, delimiters, entities, limits), mime_hdr.c reads a
 * header section (Content-Type, -Transfer-Encoding, -Disposition, RFC 2231
 * parameters, Subject), mime_word.c decodes RFC 2047 words and converts
 * strings to UTF-8, mime_dec.c decodes a leaf's content (base64,
 * quoted-printable), converts it to UTF-8 and hands it to the callback.
 */
#ifndef POSTERN_MIME_INTERNAL_H
#define POSTERN_MIME_INTERNAL_H

#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "mime.h"

#define MIME_TYPE_MAX    127  /* a type or a subtype (RFC 6838 4.2) */
#define MIME_CHARSET_MAX 40   /* RFC 2978 2.3 */
#define MIME_HOLD_MAX    16   /* octets of an incomplete character held between pieces */
#define MIME_ICONV_BATCH 4096 /* octets given to iconv at once */

enum mime_cte { CTE_7BIT, CTE_8BIT, CTE_BINARY, CTE_QP, CTE_BASE64 };
enum mime_disp { DISP_NONE, DISP_INLINE, DISP_ATTACHMENT, DISP_OTHER };

/* what a header section says about its entity (mime_hdr.c) */
struct mime_hdr {
	char ctype[2 * MIME_TYPE_MAX + 2];  /* "type/subtype", lower case (the default if absent) */
	char charset[MIME_CHARSET_MAX + 1]; /* lower case; "" if none */
	bool charset_bad;                   /* given, but too long or not a charset name */
	char *boundary;                     /* as given, or NULL: allocated */
	size_t blen;
	enum mime_cte cte;
	enum mime_disp disp;
	char *filename; /* UTF-8, or NULL: allocated */
	char *subject;  /* want_subject: UTF-8, or NULL: allocated */
};

#define MIME_CD_SLOTS 4 /* iconv descriptors kept: most messages use one or two charsets */

/* iconv descriptors to UTF-8 kept by charset label, and the bound on opening them */
struct mime_iconv {
	struct {
		iconv_t cd;                       /* (iconv_t)-1: iconv does not know the label */
		char label[MIME_CHARSET_MAX + 1]; /* lower case; "" for a free slot */
		uint64_t last;
	} slot[MIME_CD_SLOTS];
	uint64_t tick;
	size_t opens;     /* iconv_open calls so far */
	size_t max_opens; /* a message that cycles through charsets costs this many at most */
};

void mime_iconv_init(struct mime_iconv *ic, size_t max_opens);
void mime_iconv_release(struct mime_iconv *ic);
/*
 * mime_iconv_get - a descriptor for label (any case), in its initial state:
 * 0 with *cd ((iconv_t)-1 if iconv does not know the label or it is no
 * charset name), or -1 if max_opens have been opened already. The
 * descriptor is the cache's, valid until the next call.
 */
int mime_iconv_get(struct mime_iconv *ic, const char *label, iconv_t *cd);

struct mime_hdr_ctx {
	bool digest;       /* a part of multipart/digest: the default type is message/rfc822 */
	bool want_subject; /* the message's own header: decode its Subject */
	struct mime_iconv *ic;
};

/*
 * mime_hdr_parse - read a header section of len octets (field and
 * continuation lines, each ending in CRLF but perhaps the last; mime.c has
 * checked the lines). MIME_OK with out filled (release with
 * mime_hdr_release), or another status with why set and out empty.
 */
enum mime_status mime_hdr_parse(const char *sec, size_t len, const struct mime_hdr_ctx *ctx,
                                struct mime_hdr *out, char *why, size_t whylen);
void mime_hdr_release(struct mime_hdr *h);

/* mime_word.c */

/*
 * mime_iconv_name - the name to give iconv_open for a charset label (lower
 * case), mapping the labels readers read as a superset (Shift_JIS as CP932,
 * GB2312 as GBK...). NULL if the label is no charset name.
 */
const char *mime_iconv_name(const char *label);
/* mime_cp1252 - the UTF-8 of octet o read as windows-1252 (1 to 3 octets at out); its length */
size_t mime_cp1252(unsigned char o, char out[3]);
/*
 * mime_utf8_seq - at p (n > 0 octets, p[0] >= 0x80): the length of the
 * well-formed UTF-8 character there; 0 if p holds only the start of one;
 * -k if its first k octets start none (a maximal subpart, Unicode 3.9).
 */
int mime_utf8_seq(const unsigned char *p, size_t n);
/*
 * mime_header_text - append n octets of header text as UTF-8: valid UTF-8
 * as is, one U+FFFD for each maximal subpart of anything else (what Python's
 * email shows for it).
 */
void mime_header_text(struct buf *out, const char *p, size_t n);
/*
 * mime_to_utf8 - append n octets of header text in charset (a label, any
 * case; "" for none) as UTF-8: with iconv (invalid octets become U+FFFD),
 * or as mime_header_text for none, us-ascii, UTF-8 and charsets iconv does
 * not know. 0, 1 if the charset was unknown, -1 if ic's bound is reached.
 */
int mime_to_utf8(struct mime_iconv *ic, struct buf *out, const char *charset, const char *p,
                 size_t n);
/*
 * mime_words - append text (n octets, unfolded) with its RFC 2047 encoded
 * words decoded, as UTF-8. anywhere: words are looked for everywhere
 * (unstructured text, the Subject); else only at the start or after white
 * space (a quoted parameter value), and B text must be strict base64. White
 * space between two words goes. *nbad: how many words looked complete but
 * did not decode (kept as they are). 0, or -1 if ic's bound is reached.
 */
int mime_words(struct mime_iconv *ic, struct buf *out, const char *s, size_t n, bool anywhere,
               size_t *nbad);

/* mime_dec.c: a leaf's content */

enum mime_conv_kind {
	CONV_BINARY, /* no conversion */
	CONV_UTF8,   /* declared UTF-8: checked, invalid octets become U+FFFD */
	CONV_GUESS,  /* no charset, us-ascii or unknown: UTF-8 where valid, else windows-1252 */
	CONV_ICONV,  /* any other charset */
};

struct mime_dec {
	enum mime_cte cte;
	bool crlf; /* a line break owed to the content, held until the next line is known */
	/* base64 */
	unsigned char q[4];
	size_t nq;
	size_t pad;  /* '=' seen in the current quantum */
	bool padded; /* a padded quantum ended: nothing but white space may follow */
	/* quoted-printable */
	int qs; /* QS_* in mime_dec.c */
	unsigned char qh;
	/* to UTF-8 */
	enum mime_conv_kind conv;
	unsigned char hold[MIME_HOLD_MAX]; /* CONV_UTF8, CONV_GUESS: an incomplete character */
	size_t nhold;
	char ib[MIME_ICONV_BATCH]; /* CONV_ICONV: octets waiting for iconv */
	size_t nib;
};

/* mime.c: the parser, shared with the decoder */

enum mime_state {
	ST_HEADER,   /* an entity's header section */
	ST_PREAMBLE, /* a multipart's preamble: until its first delimiter */
	ST_LEAF,     /* a leaf's content */
	ST_EPILOGUE, /* after a close delimiter: until an enclosing delimiter */
};

/* where the current body line is */
enum mime_lmode {
	LM_START, /* nothing of it yet */
	LM_CAND,  /* its start matches the start of an open delimiter so far: held */
	LM_TAIL,  /* it started with a whole delimiter: "--", white space and CRLF may follow */
	LM_DATA,  /* content (or preamble, epilogue) */
};

/* an open multipart */
struct mime_frame {
	char *boundary;
	size_t blen;
	int depth; /* the multipart's */
	bool digest;
	bool closed;         /* its close delimiter seen: in its epilogue */
	size_t ndelim;       /* delimiter lines seen */
	bool alive, shalive; /* still matched by the held line start, by the shadow */
};

struct mime_parser {
	struct mime_limits lim;
	mime_part_fn fn;
	void *arg;

	enum mime_status status;
	char why[200];
	bool finished;
	size_t parts;
	int max_depth;
	uint64_t decoded;   /* octets given to the out buffer: what max_decoded bounds */
	uint64_t delivered; /* octets handed to the callback */
	char *subject;

	/* lines */
	enum mime_lmode lm;
	char *cand; /* the held start of a line (LM_CAND): up to 2 + the longest open boundary */
	size_t ncand, candcap;
	size_t tail_k;   /* LM_TAIL: the frame whose delimiter started the line */
	int tail;        /* LM_TAIL: TAIL_* in mime.c */
	bool tail_close; /* LM_TAIL: "--" followed the boundary */
	bool pend_cr;    /* LM_DATA: the last octet was a CR, not passed on yet */
	bool shadow;     /* after a bare CR or LF: matching what follows against delimiters */
	size_t nshadow;
	struct buf line; /* ST_HEADER: the line being read */

	/* structure */
	struct mime_frame *frames; /* open multiparts, outermost first */
	size_t nframes, framecap;
	enum mime_state st;
	struct buf hdr; /* ST_HEADER: the section so far */
	int depth;      /* of the current entity */
	size_t index;
	bool top;    /* the current entity is the message itself */
	bool digest; /* it is a part of a multipart/digest */
	bool fresh;  /* no line since the delimiter that started it */

	/* the current leaf */
	struct mime_part_info info;
	struct mime_hdr leaf; /* its header: the strings info points to */
	struct mime_dec dec;
	struct mime_iconv ic;
	iconv_t cd;     /* CONV_ICONV: the leaf's, from ic */
	struct buf out; /* content not yet handed to the callback */
};

/* mime_fail - the verdict (the first one other than MIME_OK stands); returns -1 */
int mime_fail(struct mime_parser *m, enum mime_status st, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * mime_leaf_open - set up m->dec for the leaf m->leaf (conversion chosen,
 * iconv opened); -1 after a verdict
 */
int mime_leaf_open(struct mime_parser *m);
/* mime_dec_data - n octets of a content line (no CRLF in them but bare ones); -1 after a verdict */
int mime_dec_data(struct mime_parser *m, const char *p, size_t n);
/* mime_dec_eol - the content line ended in CRLF */
int mime_dec_eol(struct mime_parser *m);
/*
 * mime_dec_end - the content has ended (at_delim: at a delimiter, whose CRLF
 * before it is not content): flushes, and makes the last callback.
 */
int mime_dec_end(struct mime_parser *m, bool at_delim);
/* mime_dec_close - release what the decoder holds across parts (the iconv descriptors) */
void mime_dec_close(struct mime_parser *m);

#endif
