#!/usr/bin/env python3
"""Generate RS/PS/ES/EdDSA JWT test vectors for `ropc::jwt::KeySet`.

Independent implementation: Python's `cryptography` signs (PKCS#1 v1.5,
PSS with a salt as long as the hash, RFC 6979 deterministic ECDSA turned
into JWS's r || s, Ed25519), keys are written out as JWK (RFC 7517/7518/8037)
and PEM SubjectPublicKeyInfo by cryptography, and every valid vector is
checked with PyJWT's `jwt.decode` before it is written. The output is
committed as data; Rust tests read it and never need Python.

Writes:
    tests/vectors/asymmetric.json          key sets, valid and hostile tokens
    tests/vectors/rsa2048-test-key.pk8     the RSA test key (PKCS#8 DER), also
                                           the signing key of examples/bench.rs
                                           and tests/integration/jwt_keys_rules.rs
    tests/gen/rsa_test_keys.pem            the other RSA test keys

The RSA keys are generated once (when the files are missing) and reused; the
EC and Ed25519 keys come from fixed scalars. So re-running gives the same
file, except for PS256/384/512 signatures (PSS is randomised by design).
These are TEST keys: never use them for anything else.

Usage (from anywhere):  python3 tests/gen/make_asymmetric_vectors.py
Requires: pip install PyJWT cryptography (generated with PyJWT 2.15.1,
cryptography 48.0.0).
"""

import base64
import hashlib
import hmac
import json
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, ed448, padding, rsa, utils, x25519

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "vectors"

NOW = 1_700_000_000
ISSUER = "https://id.example.com/realms/devices"
AUDIENCE = "ropc-device-agent"
CLAIMS = {
    "iss": ISSUER,
    "sub": "6f1c2a9e-4b7d-4f3a-9c1e-2d8b5e7a9f10",
    "aud": AUDIENCE,
    "exp": NOW + 3600,
    "iat": NOW,
    "scope": "openid email",
}

HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def int_bytes(i: int, size: int = 0) -> bytes:
    size = size or (i.bit_length() + 7) // 8
    return i.to_bytes(size, "big")


# ---------------------------------------------------------------------------
# keys


def rsa_keys():
    """The RSA test keys: made once, then read back."""
    pk8 = OUT / "rsa2048-test-key.pk8"
    others = HERE / "rsa_test_keys.pem"
    if not pk8.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pk8.write_bytes(key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    if not others.exists():
        pems = b""
        for bits in (2048, 1024, 3072):
            k = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            pems += k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        others.write_bytes(pems)
    main = serialization.load_der_private_key(pk8.read_bytes(), None)
    blocks = others.read_bytes().split(b"-----END PRIVATE KEY-----\n")
    second, weak, big = [serialization.load_pem_private_key(b + b"-----END PRIVATE KEY-----\n", None)
                         for b in blocks if b.strip()]
    assert (main.key_size, second.key_size, weak.key_size, big.key_size) == (2048, 2048, 1024, 3072)
    return main, second, weak, big


def scalar(label: str) -> int:
    return int.from_bytes(hashlib.sha512(label.encode()).digest(), "big")


RSA, RSA_B, RSA_1024, RSA_3072 = rsa_keys()
P256 = ec.derive_private_key(scalar("ropc p256") % (2**255), ec.SECP256R1())
P256_B = ec.derive_private_key(scalar("ropc p256 b") % (2**255), ec.SECP256R1())
P384 = ec.derive_private_key(scalar("ropc p384") % (2**383), ec.SECP384R1())
P384_B = ec.derive_private_key(scalar("ropc p384 b") % (2**383), ec.SECP384R1())
ED = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"ropc ed25519").digest())
ED_B = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"ropc ed25519 b").digest())
# The attacker's keys, one per type.
EVIL = {
    "RSA": RSA_B,
    "P-256": ec.derive_private_key(scalar("evil p256") % (2**255), ec.SECP256R1()),
    "P-384": ec.derive_private_key(scalar("evil p384") % (2**383), ec.SECP384R1()),
    "Ed25519": ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"evil").digest()),
}


def key_type(alg: str) -> str:
    return {"R": "RSA", "P": "RSA", "E": {"ES256": "P-256", "ES384": "P-384"}.get(alg, "Ed25519")}[alg[0]]


MAIN = {"RSA": RSA, "P-256": P256, "P-384": P384, "Ed25519": ED}
SECOND = {"RSA": RSA_B, "P-256": P256_B, "P-384": P384_B, "Ed25519": ED_B}


def jwk(private, **extra) -> dict:
    """A public JWK for `private`'s key, members in a fixed order."""
    pub = private.public_key()
    if isinstance(pub, rsa.RSAPublicKey):
        n = pub.public_numbers()
        out = {"kty": "RSA", "n": b64u(int_bytes(n.n)), "e": b64u(int_bytes(n.e))}
    elif isinstance(pub, ec.EllipticCurvePublicKey):
        n = pub.public_numbers()
        size = (pub.curve.key_size + 7) // 8
        out = {"kty": "EC", "crv": {256: "P-256", 384: "P-384"}[pub.curve.key_size],
               "x": b64u(int_bytes(n.x, size)), "y": b64u(int_bytes(n.y, size))}
    else:
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        out = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
    out.update(extra)
    return out


def pem(private) -> str:
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def jwks(*keys) -> str:
    return json.dumps({"keys": list(keys)}, indent=1)


# ---------------------------------------------------------------------------
# signing


def signature(alg: str, private, data: bytes, der: bool = False) -> bytes:
    if alg.startswith("RS"):
        return private.sign(data, padding.PKCS1v15(), HASH[alg[2:]]())
    if alg.startswith("PS"):
        h = HASH[alg[2:]]()
        return private.sign(data, padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), h)
    if alg.startswith("ES"):
        sig = private.sign(data, ec.ECDSA(HASH[alg[2:]](), deterministic_signing=True))
        if der:
            return sig
        r, s = utils.decode_dss_signature(sig)
        size = (private.curve.key_size + 7) // 8
        return int_bytes(r, size) + int_bytes(s, size)
    if alg in ("EdDSA", "Ed25519"):
        return private.sign(data)
    if alg.startswith("HS"):
        return hmac.new(private, data, getattr(hashlib, "sha" + alg[2:])).digest()
    raise ValueError(alg)


def token(alg: str, private, header: dict | None = None, claims: dict | None = None,
          sign_alg: str | None = None, der: bool = False) -> str:
    h = {"alg": alg, "typ": "JWT"}
    h.update(header or {})
    h = {k: v for k, v in h.items() if v is not None}
    p = CLAIMS if claims is None else claims
    data = f"{b64u(compact(h))}.{b64u(compact(p))}"
    return f"{data}.{b64u(signature(sign_alg or alg, private, data.encode(), der))}"


def pyjwt_check(tok: str, private, alg: str):
    """PyJWT's verdict on a token we call valid (independent check)."""
    if alg == "Ed25519":
        alg = "EdDSA"  # PyJWT knows RFC 8037's name only; same algorithm
        h, p, s = tok.split(".")
        private.public_key().verify(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), f"{h}.{p}".encode())
        return
    claims = jwt.decode(tok, private.public_key(), algorithms=[alg], audience=AUDIENCE, issuer=ISSUER,
                        options={"verify_exp": False, "verify_iat": False})
    assert claims == CLAIMS, claims


# ---------------------------------------------------------------------------
# vectors

key_sets: dict[str, str] = {}
valid: list[dict] = []
hostile: list[dict] = []


def keyset(name: str, text: str) -> str:
    assert key_sets.get(name, text) == text, name
    key_sets[name] = text
    return name


def ok(name: str, tok: str, ks: str, alg: str, private):
    pyjwt_check(tok, private, alg)
    valid.append({"name": name, "token": tok, "key_set": ks})


def bad(name: str, tok: str, ks: str, expect: str):
    hostile.append({"name": name, "token": tok, "key_set": ks, "expect": expect})


def kid_of(kt: str) -> str:
    return {"RSA": "rsa-1", "P-256": "ec-256", "P-384": "ec-384", "Ed25519": "ed-1"}[kt]


PROVIDER = keyset("provider", jwks(*(jwk(MAIN[kt], kid=kid_of(kt), use="sig") for kt in MAIN)))

for alg in ALGS:
    kt = key_type(alg)
    key = MAIN[kt]
    kid = kid_of(kt)
    a = alg.lower()
    pem_set = keyset(f"pem_{kt}", pem(key))
    jwk_set = keyset(f"jwk_{kt}", json.dumps(jwk(key)))

    # -- accepted --------------------------------------------------------
    ok(f"{a}_jwks_by_kid", token(alg, key, {"kid": kid}), PROVIDER, alg, key)
    ok(f"{a}_pem_without_kid", token(alg, key), pem_set, alg, key)
    ok(f"{a}_pem_kidless_key_serves_a_token_with_kid", token(alg, key, {"kid": "whatever"}), pem_set, alg, key)
    ok(f"{a}_one_jwk_without_kid", token(alg, key), jwk_set, alg, key)
    ok(f"{a}_no_kid_one_fitting_key_in_a_mixed_set", token(alg, key), PROVIDER, alg, key)
    ok(f"{a}_jwk_alg_matches", token(alg, key, {"kid": "k"}),
       keyset(f"jwk_alg_{alg}", jwks(jwk(key, kid="k", alg=alg, key_ops=["verify"]))), alg, key)
    evil_pub = jwk(EVIL[kt])
    ok(f"{a}_jku_x5u_jwk_x5c_headers_are_ignored",
       token(alg, key, {"kid": kid, "jku": "https://evil.example/jwks", "x5u": "https://evil.example/c",
                        "jwk": evil_pub, "x5c": ["MIIB"]}), PROVIDER, alg, key)

    # -- refused ---------------------------------------------------------
    pem_bytes = key_sets[pem_set].encode()
    jwk_bytes = key_sets[jwk_set].encode()
    bad(f"{a}_hs256_macd_with_the_pem_public_key", token("HS256", pem_bytes), pem_set, "algorithm")
    bad(f"{a}_hs256_macd_with_the_jwk_json", token("HS256", jwk_bytes), jwk_set, "algorithm")
    bad(f"{a}_hs256_macd_with_the_jwks_json", token("HS256", key_sets[PROVIDER].encode(), {"kid": kid}),
        PROVIDER, "algorithm")
    for none in ("none", "None", "NONE"):
        t = token(alg, key, {"kid": kid})
        h = b64u(compact({"alg": none, "kid": kid}))
        _, p, s = t.split(".")
        bad(f"{a}_alg_{none}_empty_signature", f"{h}.{p}.", PROVIDER, "malformed")
        bad(f"{a}_alg_{none}_with_the_real_signature", f"{h}.{p}.{s}", PROVIDER, "algorithm")
    # Another family's token against this key.
    other = "ES256" if kt == "RSA" else "RS256"
    ok_other = MAIN[key_type(other)]
    bad(f"{a}_key_with_{other.lower()}_token_by_kid", token(other, ok_other, {"kid": "only"}),
        keyset(f"only_{kt}", jwks(jwk(key, kid="only"))), "key_mismatch")
    bad(f"{a}_key_with_{other.lower()}_token_without_kid", token(other, ok_other), pem_set, "no_key")
    # The header says this alg, the signature is another family's.
    bad(f"{a}_header_signed_by_another_key_type", token(alg, ok_other, {"kid": kid}, sign_alg=other),
        PROVIDER, "signature")
    # The JWK's own alg.
    if kt == "RSA":
        own = "PS256" if alg != "PS256" else "RS256"
        bad(f"{a}_jwk_alg_{own.lower()}_refuses_{a}", token(alg, key, {"kid": "k"}),
            keyset(f"jwk_only_{own}", jwks(jwk(key, kid="k", alg=own))), "key_mismatch")
    else:
        own = {"P-256": "ES384", "P-384": "ES256", "Ed25519": "ES256"}[kt]
        bad(f"{a}_jwk_alg_{own.lower()}_does_not_fit_its_key", token(alg, key, {"kid": "k"}),
            keyset(f"jwk_{kt}_alg_{own}", jwks(jwk(key, kid="k", alg=own))), "unusable_key")
    bad(f"{a}_use_enc_key", token(alg, key, {"kid": "k"}),
        keyset(f"use_enc_{kt}", jwks(jwk(key, kid="k", use="enc"))), "unusable_key")
    bad(f"{a}_use_enc_key_without_kid", token(alg, key), f"use_enc_{kt}", "no_key")
    bad(f"{a}_key_ops_encrypt", token(alg, key, {"kid": "k"}),
        keyset(f"key_ops_encrypt_{kt}", jwks(jwk(key, kid="k", key_ops=["encrypt"]))), "unusable_key")
    # An attacker's key embedded in the header.
    evil = EVIL[kt]
    bad(f"{a}_embedded_jwk_header_signed_by_it", token(alg, evil, {"kid": kid, "jwk": jwk(evil)}),
        PROVIDER, "signature")
    bad(f"{a}_embedded_jwk_header_without_kid", token(alg, evil, {"jwk": jwk(evil)}), pem_set, "signature")
    bad(f"{a}_jku_pointing_at_the_attacker", token(alg, evil, {"kid": kid, "jku": "https://evil.example/k"}),
        PROVIDER, "signature")
    bad(f"{a}_x5u_and_x5c_from_the_attacker",
        token(alg, evil, {"kid": kid, "x5u": "https://evil.example/c", "x5c": ["MIIB"]}), PROVIDER, "signature")
    # kid selection.
    bad(f"{a}_kid_in_another_case", token(alg, key, {"kid": kid.upper()}), PROVIDER, "unknown_key")
    bad(f"{a}_kid_with_a_trailing_space", token(alg, key, {"kid": kid + " "}), PROVIDER, "unknown_key")
    two = keyset(f"two_{kt}", jwks(jwk(key, kid="a"), jwk(SECOND[kt], kid="b")))
    bad(f"{a}_no_kid_two_fitting_keys", token(alg, key), two, "ambiguous_key")
    ok(f"{a}_kid_picks_one_of_two_fitting_keys", token(alg, key, {"kid": "a"}), two, alg, key)
    shared = keyset(f"shared_kid_{kt}", jwks(jwk(key, kid="same"), jwk(SECOND[kt], kid="same")))
    bad(f"{a}_kid_shared_by_two_fitting_keys", token(alg, key, {"kid": "same"}), shared, "ambiguous_key")
    kidless_and_named = keyset(f"kidless_and_named_{kt}", jwks(jwk(key), jwk(SECOND[kt], kid="b")))
    bad(f"{a}_kidless_key_not_the_only_fitting_one", token(alg, key, {"kid": "x"}), kidless_and_named,
        "unknown_key")
    bad(f"{a}_kid_json_number", token(alg, key, {"kid": 7}), PROVIDER, "header")
    # Tampering.
    t = token(alg, key, {"kid": kid})
    h, p, s = t.split(".")
    forged = b64u(compact(dict(CLAIMS, sub="admin")))
    bad(f"{a}_tampered_payload", f"{h}.{forged}.{s}", PROVIDER, "signature")
    sig = bytearray(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    sig[len(sig) // 2] ^= 1
    bad(f"{a}_flipped_signature_bit", f"{h}.{p}.{b64u(bytes(sig))}", PROVIDER, "signature")
    bad(f"{a}_truncated_signature", f"{h}.{p}.{b64u(bytes(sig[:-1]))}", PROVIDER, "signature")
    bad(f"{a}_expired", token(alg, key, {"kid": kid}, claims=dict(CLAIMS, exp=NOW - 3600)), PROVIDER, "expired")
    bad(f"{a}_crit_header", token(alg, key, {"kid": kid, "crit": ["exp"]}), PROVIDER, "header")

# Algorithms a key set never accepts, and curves.
for alg in ("HS256", "HS384", "HS512"):
    bad(f"{alg.lower()}_never_with_a_key_set", token(alg, b"secret", {"kid": "rsa-1"}), PROVIDER, "algorithm")
oct_set = keyset("oct_key", jwks({"kty": "oct", "kid": "hmac", "k": b64u(b"shared secret"), "alg": "HS256"}))
bad("kty_oct_key_with_hs256_token", token("HS256", b"shared secret", {"kid": "hmac"}), oct_set, "algorithm")
p521 = ec.derive_private_key(scalar("p521") % (2**520), ec.SECP521R1())
bad("es512_is_not_supported", token("ES512", p521, {"kid": "ec-256"}), PROVIDER, "algorithm")
bad("rs256_with_a_space_is_not_an_algorithm", token("RS256 ", RSA, {"kid": "rsa-1"}, sign_alg="RS256"),
    PROVIDER, "algorithm")
bad("es384_token_p256_key_by_kid", token("ES384", P384, {"kid": "only"}), "only_P-256", "key_mismatch")
bad("es384_token_p256_key_without_kid", token("ES384", P384), "pem_P-256", "no_key")
bad("es256_token_p384_key_by_kid", token("ES256", P256, {"kid": "only"}), "only_P-384", "key_mismatch")
for alg, key in (("ES256", P256), ("ES384", P384)):
    bad(f"{alg.lower()}_der_signature", token(alg, key, {"kid": kid_of(key_type(alg))}, der=True), PROVIDER,
        "signature")

# RSA under 2048 bits: refused at parse time.
weak = keyset("rsa_1024", jwks(jwk(RSA_1024, kid="weak")))
for alg in ("RS256", "PS256"):
    bad(f"{alg.lower()}_rsa_1024_key_by_kid", token(alg, RSA_1024, {"kid": "weak"}), weak, "unusable_key")
    bad(f"{alg.lower()}_rsa_1024_key_without_kid", token(alg, RSA_1024), weak, "no_key")
bad("rs256_rsa_1024_pem", token("RS256", RSA_1024), keyset("pem_rsa_1024", pem(RSA_1024)), "no_key")
big = keyset("rsa_3072", jwks(jwk(RSA_3072, kid="big")))
ok("rs512_rsa_3072_key", token("RS512", RSA_3072, {"kid": "big"}), big, "RS512", RSA_3072)

# Ed25519 in RFC 9864's name, on either side.
ed_named = keyset("jwk_alg_Ed25519", jwks(jwk(ED, kid="k", alg="Ed25519")))
ok("ed25519_token_alg_with_an_eddsa_key", token("Ed25519", ED, {"kid": "ed-1"}), PROVIDER, "Ed25519", ED)
ok("ed25519_token_alg_with_a_jwk_alg_ed25519", token("Ed25519", ED, {"kid": "k"}), ed_named, "Ed25519", ED)
ok("eddsa_token_alg_with_a_jwk_alg_ed25519", token("EdDSA", ED, {"kid": "k"}), ed_named, "EdDSA", ED)
ok("ed25519_token_alg_with_a_jwk_alg_eddsa", token("Ed25519", ED, {"kid": "k"}), "jwk_alg_EdDSA", "Ed25519", ED)

# ---------------------------------------------------------------------------
# key set documents: how many keys are usable, how many left out, or the error


def spki_pem(pub) -> str:
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(key, fmt=serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def self_signed_certificate() -> str:
    import datetime
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ropc test")])
    when = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(P256.public_key())
            .serial_number(1).not_valid_before(when).not_valid_after(when + datetime.timedelta(days=1))
            .sign(P256, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def compressed_p256() -> str:
    point = P256.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    der = bytes.fromhex("3039301306072a8648ce3d020106082a8648ce3d030107032200") + point
    body = base64.b64encode(der).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


assert set(jwk(RSA)["n"]) & set("-_"), "the standard-alphabet case needs a - or _ in n"
docs = [
    ("provider_jwks", key_sets[PROVIDER], {"usable": 4, "ignored": 0}),
    ("all_pem_blocks", "".join(pem(MAIN[kt]) for kt in MAIN), {"usable": 4, "ignored": 0}),
    ("pem_with_explanatory_text", "The provider's key:\n" + pem(RSA) + "end\n", {"usable": 1, "ignored": 0}),
    ("jwks_with_every_kind_left_out", jwks(
        {"kty": "oct", "k": "c2VjcmV0", "kid": "o"},
        jwk(RSA_1024, kid="weak"),
        jwk(RSA, kid="enc", use="enc"),
        jwk(RSA, kid="ops", key_ops=["encrypt", "wrapKey"]),
        {"kty": "EC", "crv": "P-521", "kid": "p521", "x": "AA", "y": "AA"},
        {"kty": "OKP", "crv": "Ed448", "kid": "ed448", "x": b64u(bytes(57))},
        {"kty": "OKP", "crv": "X25519", "kid": "x25519", "x": b64u(bytes(32))},
        {"kty": "RSA", "kid": "pad", "n": jwk(RSA)["n"] + "==", "e": "AQAB"},
        {"kty": "RSA", "kid": "std-alphabet", "n": jwk(RSA)["n"].replace("-", "+").replace("_", "/"), "e": "AQAB"},
        jwk(P256, kid="short-x", x=b64u(bytes(31))),
        jwk(RSA, kid="oaep", alg="RSA-OAEP"),
        jwk(RSA, kid="hs", alg="HS256"),
        jwk(P256, kid="priv", d=b64u(bytes(32))),
        {"kty": "XYZ", "kid": "unknown"},
        "not an object",
        jwk(ED, kid="good"),
    ), {"usable": 1, "ignored": 15}),
    ("pkcs8_private_key", private_pem(P256), {"error": "pem_private_key"}),
    ("rsa_private_key", private_pem(RSA, serialization.PrivateFormat.TraditionalOpenSSL), {"error": "pem_private_key"}),
    ("ec_private_key", private_pem(P256, serialization.PrivateFormat.TraditionalOpenSSL), {"error": "pem_private_key"}),
    ("public_key_then_private_key", pem(RSA) + private_pem(ED), {"error": "pem_private_key"}),
    ("certificate", self_signed_certificate(), {"error": "pem_certificate"}),
    ("ed448_spki", spki_pem(ed448.Ed448PrivateKey.from_private_bytes(bytes(57)).public_key()), {"error": "spki"}),
    ("x25519_spki", spki_pem(x25519.X25519PrivateKey.from_private_bytes(bytes(range(32))).public_key()), {"error": "spki"}),
    ("p521_spki", spki_pem(p521.public_key()), {"error": "spki"}),
    ("secp256k1_spki", spki_pem(ec.derive_private_key(12345, ec.SECP256K1()).public_key()), {"error": "spki"}),
    ("rsa_1024_spki", pem(RSA_1024), {"usable": 0, "ignored": 1}),
    ("compressed_p256_point", compressed_p256(), {"usable": 0, "ignored": 1}),
    ("duplicate_member_deep_in_a_key", '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"' + jwk(ED)["x"]
     + '","ext":{"a":1,"a":2}}]}', {"error": "duplicate_member"}),
    ("duplicate_keys_member", '{"keys":[],"keys":[]}', {"error": "duplicate_member"}),
    ("keys_not_an_array", '{"keys":{}}', {"error": "no_keys"}),
    ("too_many_keys", jwks(*[jwk(ED, kid=str(i)) for i in range(101)]), {"error": "too_many_keys"}),
    ("exactly_the_cap", jwks(*[jwk(ED, kid=str(i)) for i in range(100)]), {"usable": 100, "ignored": 0}),
    ("top_level_array", "[" + json.dumps(jwk(ED)) + "]", {"error": "unknown_format"}),
    ("bom_and_whitespace", "\ufeff \n" + key_sets[PROVIDER], {"usable": 4, "ignored": 0}),
]
# Read with KeySet::parse, except where `via` names another reader: text
# before the first PEM block is for from_pem only (parse tells formats apart
# by how the bytes start).
VIA = {"pem_with_explanatory_text": "from_pem"}
key_set_docs = [dict({"name": n, "text": t, "expect": e}, **({"via": VIA[n]} if n in VIA else {}))
                for n, t, e in docs]

out = {
    "generator": "tests/gen/make_asymmetric_vectors.py (cryptography signs, PyJWT checks the valid ones)",
    "now": NOW,
    "issuer": ISSUER,
    "audience": AUDIENCE,
    "claims": CLAIMS,
    "key_sets": key_sets,
    "valid": valid,
    "hostile": hostile,
    "key_set_docs": key_set_docs,
}
names = [v["name"] for v in valid + hostile] + [d["name"] for d in key_set_docs]
assert len(names) == len(set(names)), "duplicate vector names"
for v in valid + hostile:
    assert v["key_set"] in key_sets, v["name"]
(OUT / "asymmetric.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
print(f"{len(valid)} valid, {len(hostile)} hostile, {len(key_set_docs)} key set documents, {len(key_sets)} key sets")
