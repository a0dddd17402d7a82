"""The envelope signature: XMLDSig RSA-SHA256 enveloped, made with a key of the test PKI, checked against the
sender's certificates; altered content, unknown signers and other algorithms are refused."""

import pytest
from lxml import etree
from signxml import DigestAlgorithm, SignatureMethod, XMLSigner, methods

from eoffice.exchange.envelope import (DSIG_NS, EDXML_NS, EnvelopeError, key_and_chain, parse_xml, sign_envelope,
                                       verify_envelope)
from signing.conftest import local_pki_services, pki  # noqa: F401  (the signing tests' PKI, as fixtures here)

PACKAGE = f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{EDXML_NS}"><edXMLEnvelope><edXMLHeader><MessageHeader>
  <From><OrganId>000.00.31.H55</OrganId><OrganName>UBND huyện Thạnh Trị</OrganName></From>
  <To><OrganId>000.05.00.H55</OrganId><OrganName>Sở Nội vụ tỉnh Sóc Trăng</OrganName></To>
  <Code><CodeNumber>15</CodeNumber><CodeNotation>QĐ-UBND</CodeNotation></Code>
  <Subject>Về việc kiện toàn Ban chỉ đạo cải cách hành chính</Subject>
</MessageHeader></edXMLHeader></edXMLEnvelope></edXML>""".encode()


def _signed(signer_of_pki):
    key, chain = key_and_chain(signer_of_pki.signer)
    return sign_envelope(parse_xml(PACKAGE), key, chain)


def _reparsed(root):
    return parse_xml(etree.tostring(root))


def _pyca(cert):
    from cryptography import x509

    return x509.load_der_x509_certificate(cert.dump())


def test_round_trip_with_the_seal_key(pki):
    signed = _signed(pki.seal)
    signature = signed.find(f".//{{{EDXML_NS}}}edXMLHeader/{{{DSIG_NS}}}Signature")
    assert signature is not None, "the signature goes into the edXML header"
    assert signature.find(f".//{{{DSIG_NS}}}SignatureMethod").get("Algorithm").endswith("rsa-sha256")
    verified = verify_envelope(etree.tostring(signed), [_pyca(pki.seal.cert)])
    assert verified.signer == _pyca(pki.seal.cert)
    assert verified.signed.find(f".//{{{EDXML_NS}}}Subject").text.startswith("Về việc kiện toàn")


def test_a_signer_that_chains_to_a_partner_certificate_is_accepted(pki):
    # The partner may register its CA instead of each seal certificate.
    verified = verify_envelope(_reparsed(_signed(pki.seal)), [_pyca(pki.interm)])
    assert verified.trusted_by == _pyca(pki.interm)


def test_an_altered_element_is_refused(pki):
    signed = _reparsed(_signed(pki.seal))
    signed.find(f".//{{{EDXML_NS}}}Subject").text = "Về việc khác"
    with pytest.raises(EnvelopeError) as refused:
        verify_envelope(signed, [_pyca(pki.seal.cert)])
    assert refused.value.code == "signature_invalid"


def test_an_added_element_is_refused(pki):
    signed = _reparsed(_signed(pki.seal))
    etree.SubElement(signed.find(f".//{{{EDXML_NS}}}MessageHeader"), f"{{{EDXML_NS}}}DueDate").text = "2026/12/31"
    with pytest.raises(EnvelopeError) as refused:
        verify_envelope(signed, [_pyca(pki.seal.cert)])
    assert refused.value.code == "signature_invalid"


@pytest.mark.parametrize("signer", ["good", "unknown_root"])
def test_an_unknown_signer_is_refused(pki, signer):
    signed = _reparsed(_signed(getattr(pki, signer)))
    with pytest.raises(EnvelopeError) as refused:
        verify_envelope(signed, [_pyca(pki.seal.cert)])
    assert refused.value.code == "untrusted_signer"


def test_a_certificate_swapped_into_keyinfo_is_refused(pki):
    # The partner's own certificate copied into KeyInfo does not make someone else's signature theirs.
    signed = _reparsed(_signed(pki.good))
    x509_data = signed.find(f".//{{{DSIG_NS}}}X509Data")
    for element in list(x509_data):
        x509_data.remove(element)
    import base64

    etree.SubElement(x509_data, f"{{{DSIG_NS}}}X509Certificate").text = base64.b64encode(
        pki.seal.cert.dump()).decode()
    with pytest.raises(EnvelopeError) as refused:
        verify_envelope(signed, [_pyca(pki.seal.cert)])
    assert refused.value.code == "signature_invalid"


class _PermissiveSigner(XMLSigner):
    def check_deprecated_methods(self):  # signxml refuses SHA-1 by default; the test needs such a signature
        pass


@pytest.mark.parametrize("method, digest", [(SignatureMethod.RSA_SHA1, DigestAlgorithm.SHA1),
                                            (SignatureMethod.RSA_SHA512, DigestAlgorithm.SHA512),
                                            (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA1)])
def test_another_algorithm_is_refused(pki, method, digest):
    key, chain = key_and_chain(pki.seal.signer)
    signer = _PermissiveSigner(method=methods.enveloped, signature_algorithm=method, digest_algorithm=digest)
    signed = signer.sign(parse_xml(PACKAGE), key=key, cert=chain)
    with pytest.raises(EnvelopeError) as refused:
        verify_envelope(_reparsed(signed), [_pyca(pki.seal.cert)])
    assert refused.value.code == "signature_algorithm"


def test_an_unsigned_or_twice_signed_document_is_refused(pki):
    with pytest.raises(EnvelopeError) as refused:
        verify_envelope(PACKAGE, [_pyca(pki.seal.cert)])
    assert refused.value.code == "signature_count"
    with pytest.raises(EnvelopeError) as refused:
        sign_envelope(_signed(pki.seal), *key_and_chain(pki.seal.signer))
    assert refused.value.code == "already_signed"


def test_a_signature_over_part_of_the_document_is_refused(pki):
    root = parse_xml(PACKAGE)
    root.find(f".//{{{EDXML_NS}}}MessageHeader").set("Id", "mh")
    key, chain = key_and_chain(pki.seal.signer)
    signer = XMLSigner(method=methods.enveloped, signature_algorithm=SignatureMethod.RSA_SHA256,
                       digest_algorithm=DigestAlgorithm.SHA256)
    signed = signer.sign(root, key=key, cert=chain, reference_uri="#mh")
    with pytest.raises(EnvelopeError) as refused:
        verify_envelope(_reparsed(signed), [_pyca(pki.seal.cert)])
    assert refused.value.code == "signature_scope"


@pytest.mark.parametrize("data, code", [
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "doctype"),
    (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><x/>', "doctype"),
    (b"<x><y></x>", "malformed"),
])
def test_parsing_is_hardened(data, code):
    with pytest.raises(EnvelopeError) as refused:
        parse_xml(data)
    assert refused.value.code == code


def test_a_weak_or_mismatched_key_cannot_sign(pki):
    from cryptography.hazmat.primitives.asymmetric import rsa

    key, chain = key_and_chain(pki.seal.signer)
    with pytest.raises(EnvelopeError):
        sign_envelope(parse_xml(PACKAGE), rsa.generate_private_key(65537, 1024), chain)
    with pytest.raises(EnvelopeError):
        sign_envelope(parse_xml(PACKAGE), key, [_pyca(pki.good.cert)])
