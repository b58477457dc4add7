"""
Independent DKIM verifiers for the tests: dkimpy (Debian's python3-dkim, with
python3-nacl for Ed25519) and Perl's Mail::DKIM (libmail-dkim-perl), both
asking the test DNS server for the public keys.
"""
import subprocess

import dkim
from dnslib import QTYPE, DNSRecord

PERL_VERIFY = r"""
use strict;
use Mail::DKIM::Verifier;
use Net::DNS::Resolver;
my ($port) = @ARGV;
my $res = Net::DNS::Resolver->new(nameservers => ['127.0.0.1'], port => $port,
                                  recurse => 1, udp_timeout => 5, tcp_timeout => 5);
Mail::DKIM::DNS::resolver($res);
my $v = Mail::DKIM::Verifier->new();
binmode STDIN;
local $/;
my $msg = <STDIN>;
$v->PRINT($msg);
$v->CLOSE;
foreach my $sig ($v->signatures) {
    print join("\t", $sig->algorithm, $sig->domain, $sig->selector, $sig->result,
               $sig->result_detail), "\n";
}
"""


def dnsfunc_for(dns_address):
    host, port = dns_address.rsplit(":", 1)

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        q = DNSRecord.question(name.rstrip("."), "TXT")
        a = DNSRecord.parse(q.send(host, int(port), timeout=timeout))
        for rr in a.rr:
            if QTYPE[rr.rtype] == "TXT":
                return b"".join(rr.rdata.data)
        return b""

    return dnsfunc


def signatures(raw):
    """The DKIM-Signature fields of raw, top first, as {tag: value} dicts."""
    d = dkim.DKIM(raw)
    out = []
    for name, value in d.headers:
        if name.lower() != b"dkim-signature":
            continue
        tags = {}
        for part in b"".join(value.split()).decode().split(";"):
            if "=" in part:
                k, v = part.split("=", 1)
                tags[k.strip()] = v.strip()
        out.append(tags)
    return out


def dkimpy_verify(raw, dns_address):
    """[(algorithm, ok)] for every signature, verified by dkimpy."""
    f = dnsfunc_for(dns_address)
    results = []
    for idx, tags in enumerate(signatures(raw)):
        d = dkim.DKIM(raw)
        try:
            ok = d.verify(idx=idx, dnsfunc=f)
        except dkim.DKIMException:
            ok = False
        results.append((tags.get("a"), bool(ok)))
    return results


def perl_verify(raw, dns_port):
    """[(algorithm, result, detail)] from Mail::DKIM::Verifier."""
    r = subprocess.run(["perl", "-e", PERL_VERIFY, str(dns_port)], input=raw,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr.decode()
    out = []
    for line in r.stdout.decode().splitlines():
        alg, _domain, _sel, result, detail = (line.split("\t") + [""] * 5)[:5]
        out.append((alg, result, detail))
    return out


def publish(relay, zone, domain):
    """Put the records `posternctl domain show` asks for into the test zone."""
    d = relay.ctl_json("domain", "show", domain)["domain"]
    for rec in d["records"]:
        zone.clear(rec["name"], "TXT")
    for rec in d["records"]:
        zone.txt(rec["name"], rec["value"])
    return d
