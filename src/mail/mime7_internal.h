/*
 * mime7_internal.h - what the files of the 7-bit converter share: mime7.c
 * walks the MIME structure and decides, mime7_hdr.c reads and rewrites header
 * sections, mime7_enc.c encodes lines (quoted-printable, base64, repairs).
 */
#ifndef POSTERN_MIME7_INTERNAL_H
#define POSTERN_MIME7_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "mime7.h"

#define M7_LINE         998 /* longest line sent, CRLF excluded (RFC 5322 2.1.1) */
#define M7_QP_LINE      76  /* longest quoted-printable line, soft break '=' included */
#define M7_BOUNDARY_MAX 70  /* RFC 2046 5.1.1 */

enum m7_cte { CTE_NONE, CTE_7BIT, CTE_8BIT, CTE_BINARY, CTE_QP, CTE_BASE64, CTE_OTHER };

/* what a header section says about its entity */
struct m7_info {
	enum m7_cte cte;   /* of the first Content-Transfer-Encoding field */
	size_t ncte;       /* how many Content-Transfer-Encoding fields */
	bool ct_absent;    /* no Content-Type field */
	bool text;         /* text/... (or the text/plain default) */
	bool multipart;    /* multipart/... with a usable boundary */
	bool digest;       /* multipart/digest */
	bool rfc822;       /* message/rfc822 (or the default inside a digest) */
	bool mime_version; /* a MIME-Version field is present */
	char boundary[M7_BOUNDARY_MAX];
	size_t blen;
};

/* changes to a header section; a NULL/false member changes nothing */
struct m7_edits {
	const char *cte;   /* replace the Content-Transfer-Encoding (or append one) */
	bool mime_version; /* append MIME-Version: 1.0 if there is none */
	bool content_type; /* append Content-Type: text/plain; charset=utf-8 */
};

/* mime7_hdr.c */

/*
 * mime7_hdr_info - read Content-Type, Content-Transfer-Encoding and
 * MIME-Version from a section of len octets (CRLF lines, no empty line; odd
 * lines are tolerated and ignored). in_digest: the entity is a part of a
 * multipart/digest, where the default type is message/rfc822.
 */
void mime7_hdr_info(const char *sec, size_t len, bool in_digest, struct m7_info *out);

/*
 * mime7_hdr_write - append the section to dst with the edits applied and any
 * line over M7_LINE octets folded at white space (counted in st->folded;
 * st->out_8bit is set if the result holds an 8-bit octet). -1 with why (a
 * static string) if a line cannot be folded; dst may then hold part of it.
 */
int mime7_hdr_write(struct buf *dst, const char *sec, size_t len, const struct m7_edits *e,
                    struct mime7_stats *st, const char **why);

/* mime7_enc.c - each appends to dst; p, n: one line, CRLF excluded; crlf: it had one */

/* mime7_qp_line - quoted-printable encoding of a line of raw octets (RFC 2045 6.7) */
void mime7_qp_line(struct buf *dst, const char *p, size_t n, bool crlf);
/* mime7_qp_repair - a line already quoted-printable: 8-bit octets escaped, re-broken at 76 */
void mime7_qp_repair(struct buf *dst, const char *p, size_t n, bool crlf);
/* mime7_b64_rewrap - a line of base64 text cut into lines of 76 (non-alphabet octets dropped) */
void mime7_b64_rewrap(struct buf *dst, const char *p, size_t n, bool crlf);
/* mime7_text_line - a preamble or epilogue line: 8-bit octets become '?', cut at M7_LINE */
void mime7_text_line(struct buf *dst, const char *p, size_t n, bool crlf);

/* a base64 encoder: 57 input octets make one 76-character line */
#define M7_B64_BLOCK 57
struct m7_b64 {
	unsigned char blk[M7_B64_BLOCK];
	size_t n;
};
void mime7_b64_feed(struct m7_b64 *b, struct buf *dst, const char *p, size_t n);
/* mime7_b64_end - the last, padded line (if any); each line ends in CRLF */
void mime7_b64_end(struct m7_b64 *b, struct buf *dst);

#endif
