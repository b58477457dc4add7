"""mime_corpus.py - messages for the MIME differential test (test_mime_differential.py).

Three sets, all from a fixed seed so that a run is repeatable:
  real()     - messages as mail programs write them: Python's own generator,
               multipart/alternative, mixed, related, signed, report, digest,
               forwarded messages nested three deep, RFC 2231 and RFC 2047 names,
               eleven charsets;
  hostile()  - hand-made forms that mail readers are known to read differently
               (two Content-Types, a missing close delimiter, a NUL in a header,
               ...), then one targeted mutation of each of 400 real messages;
  fuzz(n)    - n random structural mutations (tokens of MIME syntax inserted,
               replaced or cut) of the real messages.
Each returns a list of (name, bytes).
"""
import base64
import random
import re
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

R = random.Random(20240611)

TEXTS = {
    'us-ascii': "Hello Bob,\nthe quarterly report is attached. Call me at 555-0100.\nBest,\nAlice\n",
    'utf-8': "Grüße aus München! Prix: 42 €. 日本語のテキスト. Ελληνικά. Emoji: \U0001F600\n" * 3,
    'iso-8859-1': "Café crème, naïve façade, Señor Muñoz. Prix: 12,50 FF.\nÀ bientôt.\n",
    'windows-1252': "He said \u201cquote\u201d \u2013 and paid \u20ac5\u2026\n",
    'shift_jis': "お世話になっております。添付の資料をご確認ください。\n山田太郎\n",
    'iso-2022-jp': "会議は明日の午後三時からです。\nよろしくお願いします。\n",
    'koi8-r': "Привет, мир! Отчёт во вложении.\n",
    'gb2312': "你好，附件是本季度的报告。\n",
    'big5': "您好，附件是報告。\n",
    'euc-kr': "안녕하세요. 보고서를 첨부합니다.\n",
    'iso-8859-7': "Καλημέρα κόσμε\n",
}
SUBJECTS = ["Quarterly report", "Grüße aus München", "会議の件について", "Re: Fwd: invoice #4411 – €300",
            "Ünïcödé ✓ subject that is rather long so that it will need folding across several lines when encoded",
            "plain ascii subject", "Привет"]
NAMES = ["report.pdf", "résumé.pdf", "data.csv", "notes.txt", "photo.jpg", "archive.zip",
         "日本語の資料.xlsx", "a very long attachment name with spaces and accents éèê that goes on and on and on.docx",
         "config.json", "page.html", "export.xml", "invoice 2024-03.pdf"]
TYPES = {'pdf': ('application', 'pdf'), 'csv': ('text', 'csv'), 'txt': ('text', 'plain'),
         'jpg': ('image', 'jpeg'), 'zip': ('application', 'zip'), 'xlsx': ('application', 'vnd.openxmlformats-officedocument.spreadsheetml.sheet'),
         'docx': ('application', 'vnd.openxmlformats-officedocument.wordprocessingml.document'),
         'json': ('application', 'json'), 'html': ('text', 'html'), 'xml': ('application', 'xml')}

def rbytes(n):
    return bytes(R.getrandbits(8) for _ in range(n))

def text_part(msg=None, charset=None, cte=None, subtype='plain'):
    charset = charset or R.choice(list(TEXTS))
    t = TEXTS[charset]
    if subtype == 'html':
        t = '<html><body><p>' + t.replace('\n', '<br>\n') + '</p></body></html>\n'
    m = msg or EmailMessage()
    kw = {}
    if cte: kw['cte'] = cte
    if charset in ('us-ascii',):
        m.set_content(t, subtype=subtype, **kw)
    else:
        try:
            m.set_content(t, subtype=subtype, charset=charset, **kw)
        except Exception:
            m.set_content(t, subtype=subtype, charset=charset)
    return m

def attach(m, name=None):
    name = name or R.choice(NAMES)
    ext = name.rsplit('.', 1)[1]
    mt, st = TYPES[ext]
    if mt == 'text':
        body = TEXTS[R.choice(['us-ascii', 'utf-8', 'iso-8859-1'])]
        if ext == 'csv': body = "id,name,amount\n1,Zoë,3.50\n2,Bob,4.00\n"
        if ext == 'html': body = "<html><body>hi</body></html>\n"
        m.add_attachment(body, subtype=st, filename=name)
    elif ext in ('json', 'xml'):
        m.add_attachment(b'{"a": 1, "b": [1,2,3]}\n' if ext == 'json' else b'<?xml version="1.0"?><a>1</a>\n', maintype=mt, subtype=st, filename=name)
    else:
        m.add_attachment(rbytes(R.randint(0, 5000)), maintype=mt, subtype=st, filename=name)

def headers(m):
    m['From'] = 'Alice <alice@example.com>'
    m['To'] = 'bob@example.org'
    m['Subject'] = R.choice(SUBJECTS)
    m['Date'] = formatdate(1700000000 + R.randint(0, 10**7))
    m['Message-ID'] = '<%d.%d@example.com>' % (R.randint(0, 10**9), R.randint(0, 10**9))

def gen_simple():
    m = text_part(); headers(m); return m

def gen_alternative():
    m = EmailMessage(); headers(m)
    cs = R.choice(list(TEXTS))
    text_part(m, cs)
    m.add_alternative(('<html><body><p>' + TEXTS[cs] + '</p></body></html>\n'), subtype='html', charset='utf-8')
    return m

def gen_mixed():
    m = gen_alternative() if R.random() < 0.5 else gen_simple()
    for _ in range(R.randint(1, 4)):
        attach(m)
    return m

def gen_related():
    m = EmailMessage(); headers(m)
    m.set_content("plain version\n")
    m.add_alternative('<html><body><img src="cid:img1"></body></html>\n', subtype='html')
    m.get_payload()[1].add_related(rbytes(300), 'image', 'png', cid='<img1>')
    return m

def gen_forward(depth=1):
    inner = gen_mixed() if R.random() < 0.5 else gen_simple()
    for _ in range(depth - 1):
        outer = EmailMessage(); headers(outer); outer.set_content("fwd\n"); outer.add_attachment(inner); inner = outer
    m = EmailMessage(); headers(m); text_part(m)
    m.add_attachment(inner)
    if R.random() < 0.5: attach(m)
    return m

def gen_qp_b64():
    m = EmailMessage(); headers(m)
    long = ("This is a long line with = signs and trailing spaces   " * 5) + "\n"
    m.set_content(long * 3 + TEXTS['utf-8'], charset='utf-8', cte=R.choice(['quoted-printable', 'base64']))
    return m

def gen_digest():
    parts = []
    b = 'digest-' + str(R.randint(0, 10**9))
    out = [b"From: a@example.com\r\nSubject: digest\r\nMIME-Version: 1.0\r\nContent-Type: multipart/digest; boundary=\"" + b.encode() + b"\"\r\n\r\n"]
    for i in range(R.randint(1, 4)):
        inner = gen_simple().as_bytes(policy=policy.SMTP)
        out.append(b"--" + b.encode() + b"\r\n\r\n" + inner + b"\r\n")
    out.append(b"--" + b.encode() + b"--\r\n")
    return b''.join(out)

def gen_signed():
    b = ('sig' + str(R.randint(0, 10**9))).encode()
    return (b"From: a@example.com\r\nSubject: signed\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/signed; micalg=pgp-sha256;\r\n protocol=\"application/pgp-signature\"; boundary=\""
            + b + b"\"\r\n\r\nThis is an OpenPGP/MIME signed message\r\n--" + b
            + b"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"Signed text =E2=82=AC\r\n\r\n--" + b
            + b"\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\n"
            b"Content-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n\r\n"
            b"iQEzBAEBCAAdFiEE\r\n-----END PGP SIGNATURE-----\r\n\r\n--" + b + b"--\r\n")


def gen_report():
    b = 'rep' + str(R.randint(0, 10**9))
    orig = gen_simple().as_bytes(policy=policy.SMTP)
    return (b"From: MAILER-DAEMON@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + b.encode() + b"\"\r\n\r\n"
            + b"This is a MIME-encapsulated message.\r\n\r\n--" + b.encode() + b"\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nI'm sorry to have to inform you that your message could not\r\nbe delivered.\r\n\r\n--" + b.encode()
            + b"\r\nContent-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n\r\n" + orig + b"\r\n--" + b.encode() + b"--\r\n\r\n")

def gen_handmade():
    """forms Python does not write but readers meet: RFC 2231 sections, RFC 2047 names, unquoted tokens"""
    b = 'hm' + str(R.randint(0, 10**9))
    forms = [
        b"Content-Type: application/pdf; name=\"=?utf-8?B?0L7RgtGH0ZHRgi5wZGY=?=\"\r\nContent-Disposition: attachment; filename=\"=?utf-8?B?0L7RgtGH0ZHRgi5wZGY=?=\"\r\n",
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''%E6%97%A5%E6%9C%AC;\r\n filename*1*=%E8%AA%9E;\r\n filename*2=\".pdf\"\r\n",
        b"Content-Type: application/octet-stream; name*=iso-8859-1'fr'r%E9sum%E9.doc\r\n",
        b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=plain-token.bin\r\n",
        b"Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes;\r\nContent-Disposition: inline\r\n",
        b"Content-Type: application/pdf;\r\n name=\"=?iso-8859-1?Q?r=E9sum=E9?= =?iso-8859-1?Q?_final.pdf?=\"\r\n",
        b"content-type: APPLICATION/PDF; NAME=\"Upper.PDF\"\r\ncontent-transfer-encoding: BASE64\r\n",
    ]
    out = [b"From: a@example.com\r\nSubject: =?iso-8859-1?q?Re=3A_r=E9sum=E9?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=" + b.encode() + b"\r\n\r\n"]
    for f in R.sample(forms, R.randint(1, len(forms))):
        body = base64.encodebytes(rbytes(R.randint(1, 600))).replace(b'\n', b'\r\n')
        if b'BASE64' not in f:
            f = f + b"Content-Transfer-Encoding: base64\r\n"
        if b'text/plain' in f:
            f = f.replace(b"Content-Transfer-Encoding: base64\r\n", b"")
            body = "Flowed text ünïcode \r\n".encode('utf-8')
        out.append(b"--" + b.encode() + b"\r\n" + f + b"\r\n" + body + b"\r\n")
    out.append(b"--" + b.encode() + b"--\r\n")
    return b''.join(out)

GENS = [gen_simple, gen_alternative, gen_mixed, gen_mixed, gen_related, gen_forward, gen_qp_b64,
        gen_digest, gen_signed, gen_report, gen_handmade, lambda: gen_forward(3)]


def real(n=600):
    """n real-looking messages"""
    R.seed(20240611)
    saved = random.getstate()
    random.seed(20240611)  # the email generator draws its boundaries from the module's generator
    msgs = []
    for i in range(n):
        d = GENS[i % len(GENS)]()
        if isinstance(d, EmailMessage):
            d = d.as_bytes(policy=policy.SMTP)
        msgs.append(("real/%04d" % i, d))
    random.setstate(saved)
    return msgs


def mp(ct_extra=b"", parts=(b"\r\nhello\r\n",), close=True, b=b"B", pre=b"", epi=b""):
    s = (b"From: x@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\""
         + b + b"\"" + ct_extra + b"\r\n\r\n" + pre)
    for p in parts:
        s += b"--" + b + b"\r\n" + p + b"\r\n"
    if close:
        s += b"--" + b + b"--\r\n" + epi
    return s


def handmade():
    """the hand-made hostile forms"""
    H = []
    H += [
     b"Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n",
     b"Content-Transfer-Encoding: base64\r\nContent-Transfer-Encoding: 7bit\r\n\r\nYWJj\r\n",
     b"Content-Type: multipart/mixed; boundary=a; boundary=b\r\n\r\n--a\r\n\r\nx\r\n--a--\r\n--b\r\n\r\ny\r\n--b--\r\n",
     b"Content-Type: multipart/mixed\r\n\r\n--a\r\n\r\nx\r\n--a--\r\n",
     mp(close=False),
     mp(parts=(b"Content-Type: multipart/alternative; boundary=\"BB\"\r\n\r\n--BB\r\n\r\nin\r\n--BB--",)),
     b"Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\nContent-Type: multipart/mixed; boundary=\"out\"\r\n\r\n--out\r\n\r\nx\r\n--out--\r\n--outer--\r\n",
     b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0*xLjQK\r\n",
     b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nYQ==YWJj\r\n",
     b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nYWJjZ\r\n",
     b"Subject: a\r\nContent-Type: text/html\x00\r\n\r\nx\r\n",
     b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"a.exe\"; filename*=utf-8''a.txt\r\n\r\nx\r\n",
     b"Content-Type: application/pdf; name=\"a.txt\"\r\nContent-Disposition: attachment; filename=\"a.exe\"\r\n\r\nx\r\n",
     b"Content-Type: multipart/mixed; boundary=----=_Part_1\r\n\r\n------=_Part_1\r\n\r\nx\r\n------=_Part_1--\r\n",
     b"Content-Type : multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
     b"Content-Type: multipart/mixed boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
     b"Content-Type: text\r\n\r\nhi\r\n",
     mp(parts=(b"--B\r\n\r\nx",)),
     mp(parts=()),
     mp(parts=(b"\r\nx\r\n--Bjunk\r\ny",)),
     mp(parts=(b"\r\nx\n--B\r\n\r\ny",)),
     mp(parts=(b"\r\nx\r\n--B-- trailing",)),
     b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogaGkNCg0KYm9keQ0K\r\n",
     b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 a\r\n#86)C\r\n`\r\nend\r\n",
     b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: BASE64 (c)\r\n\r\nYWJj\r\n",
     b"Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nVIA=  \r\nGRA\r\n",
     b"Subject: a\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
     b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n----\r\n",
     b"Content-Type: multipart/mixed; boundary=\"x \"\r\n\r\n--x \r\n\r\nhi\r\n--x --\r\n",
     b"Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\nContent-Type: message/partial; id=\"a\"; number=1; total=2\r\n\r\nSubject: part1\r\n\r\nhalf\r\n--x--\r\n",
     b" Content-Type: text/html\r\nSubject: x\r\n\r\nbody\r\n",
     b"Subject: x\r\n \r\nContent-Type: text/html\r\n\r\nbody\r\n",
     b"From x@y Mon Jan 1 00:00:00 2024\r\nContent-Type: text/html\r\n\r\nbody\r\n",
     b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*0=\"a\"; filename*2=\"c.exe\"\r\n\r\nx\r\n",
     b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"=?utf-8?b?!!?=.pdf\"\r\n\r\nx\r\n",
     b"Content-Type: multipart/mixed; boundary=x\r\nContent-Transfer-Encoding: base64\r\n\r\n--x\r\n\r\nhi\r\n--x--\r\n",
     b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''evil.exe%00.txt\r\n\r\nx\r\n",
     b"Subject: one\r\nSubject: two\r\n\r\nbody\r\n",
     b"Content-Type: text/plain; charset=\"utf-8\r\n\r\nbody\r\n",
     b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x\r",
    ]
    return [("hostile/h%02d" % i, m) for i, m in enumerate(H)]


def mutate(d):
    r = R.random
    def dup_ct(d): return d.replace(b'Content-Type:', b'Content-Type: text/plain\r\nContent-Type:', 1)
    def drop_close(d):
        k = d.rfind(b'--\r\n');  return d[:k] + b'\r\n' + d[k + 4:] if k > 0 else d
    def bare_lf(d):
        k = d.find(b'\r\n--', 200); return d[:k] + b'\n' + d[k + 2:] if k > 0 else d
    def corrupt_b64(d):
        k = d.find(b'base64\r\n\r\n'); return d[:k + 14] + b'*' + d[k + 14:] if k > 0 else d
    def prefix_line(d):
        k = d.find(b'\r\n--', 200)
        if k < 0: return d
        e = d.find(b'\r\n', k + 2)
        return d[:e] + b'X' + d[e:]
    def nul(d): return d.replace(b'\r\n', b'\x00\r\n', 1)
    def dup_delim(d):
        k = d.find(b'\r\n--', 200)
        if k < 0: return d
        e = d.find(b'\r\n', k + 2)
        return d[:e + 2] + d[k + 2:e + 2] + d[e + 2:]
    def truncate(d): return d[:R.randint(0, len(d))]
    def qp_ws(d): return d.replace(b'=\r\n', b'= \r\n', 1)
    ops = [dup_ct, drop_close, bare_lf, corrupt_b64, prefix_line, nul, dup_delim, truncate, qp_ws]
    op = R.choice(ops)
    return op.__name__, op(d)



def hostile(real_msgs):
    """the hand-made forms, then a targeted mutation of each of the first 400 real messages"""
    R.seed(424242)
    msgs = handmade()
    for name, d in real_msgs[:400]:
        op, m = mutate(d)
        msgs.append(("hostile/%s-%s" % (name.split("/")[1], op), m))
    return msgs


TOK = [b"\r\n", b"\r\n\r\n", b"--", b"\n", b"\r", b"=", b"=\r\n", b"= \r\n", b"=3D", b"=4", b";", b'"', b"\\",
       b"(", b")", b"Content-Type: ", b"Content-Transfer-Encoding: base64",
       b"Content-Transfer-Encoding: quoted-printable", b"Content-Disposition: attachment; filename=",
       b"multipart/mixed; boundary=", b"message/rfc822", b"text/plain", b"=?utf-8?q?", b"?=", b"=?utf-8?b?",
       b"*0*=", b"utf-8''", b"%E2%82%AC", b"name=", b"filename*=", b"charset=", b" ", b"\t", b"\x00", b"\xff",
       b"\xc3\xa9", b"A", b"==", b"\r\n ", b"From ", b":", b"digest", b"x-uuencode"]


def boundaries(d):
    return [m.group(1) for m in re.finditer(rb'boundary="?([^";\r\n]+)"?', d)]


def fuzz(real_msgs, n, seed=11):
    """n random structural mutations of the real messages"""
    F = random.Random(seed)
    msgs = []
    for i in range(n):
        d = F.choice(real_msgs)[1]
        for _ in range(F.randint(1, 3)):
            if not d:
                break
            k = F.randrange(len(d))
            bs = boundaries(d)
            t = F.choice(TOK + [b"--" + b for b in bs] + [b"\r\n--" + b + b"\r\n" for b in bs]
                         + [b"\r\n--" + b + b"--\r\n" for b in bs])
            op = F.random()
            if op < 0.5:
                d = d[:k] + t + d[k:]
            elif op < 0.75:
                d = d[:k] + t + d[k + F.randint(1, 8):]
            else:
                d = d[:k] + d[k + F.randint(1, 20):]
        msgs.append(("fuzz/%05d" % i, d))
    return msgs
