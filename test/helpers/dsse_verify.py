#!/usr/bin/env python3
"""An independent check of a gatecrash run bundle, sharing no code with it: the DSSE PAE written out
from the spec (the protocol page of github.com/secure-systems-lab/dsse), the signature checked by
securesystemslib's SSlibKey (0.26, as Debian ships it: its signer API has no DSSE envelope class, so
the envelope is read here), the keyid recomputed from the key, and each subject's sha256 recomputed.

usage: /usr/bin/python3 dsse_verify.py <run-dir> <public-key.pem>
prints one JSON object; exit 0 when the signature verifies and every subject matches, 1 otherwise,
3 when securesystemslib cannot be imported.
"""
import base64
import hashlib
import json
import os
import sys

try:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from securesystemslib.signer import Signature, SSlibKey
    from securesystemslib import exceptions
except ImportError as e:  # pragma: no cover - reported to the caller, which skips
    print(json.dumps({"error": f"securesystemslib unavailable: {e}"}))
    sys.exit(3)


def pae(payload_type: str, body: bytes) -> bytes:
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def sslib_key(pem: bytes) -> SSlibKey:
    public = serialization.load_pem_public_key(pem)
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    keyid = hashlib.sha256(der).hexdigest()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return SSlibKey(keyid, "ed25519", "ed25519", {"public": raw.hex()})
    if isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1":
        return SSlibKey(keyid, "ecdsa", "ecdsa-sha2-nistp256", {"public": pem.decode()})
    raise ValueError("not an Ed25519 or P-256 key")


def main() -> int:
    run_dir, key_file = sys.argv[1], sys.argv[2]
    with open(key_file, "rb") as f:
        key = sslib_key(f.read())
    with open(os.path.join(run_dir, "bundle.dsse.json"), "rb") as f:
        envelope = json.load(f)
    payload = base64.b64decode(envelope["payload"])
    signed = pae(envelope["payloadType"], payload)
    verified = False
    for s in envelope["signatures"]:
        if s.get("keyid") != key.keyid:
            continue
        try:
            key.verify_signature(Signature(key.keyid, base64.b64decode(s["sig"]).hex()), signed)
            verified = True
        except exceptions.UnverifiedSignatureError:
            pass
    statement = json.loads(payload)
    mismatched = []
    for subject in statement["subject"]:
        path = os.path.join(run_dir, *subject["name"].split("/"))
        try:
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
        except OSError:
            digest = None
        if digest != subject["digest"]["sha256"]:
            mismatched.append(subject["name"])
    print(json.dumps({
        "verified": verified,
        "keyid": key.keyid,
        "payloadType": envelope["payloadType"],
        "_type": statement["_type"],
        "predicateType": statement["predicateType"],
        "predicate": statement["predicate"],
        "subjects": len(statement["subject"]),
        "mismatched": mismatched,
    }))
    return 0 if verified and not mismatched else 1


if __name__ == "__main__":
    sys.exit(main())
