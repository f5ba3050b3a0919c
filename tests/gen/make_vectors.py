#!/usr/bin/env python3
"""Generate HS256 JWT test vectors for `ropc::jwt::verify`.

Independent implementation: PyJWT (jwt.encode / jwt.decode) plus Python's
hmac, hashlib, base64 and json. The output is committed as data; Rust tests
read the JSON files and Python is never needed at test time.

Writes:
    tests/vectors/valid.json        tokens that must verify
    tests/vectors/adversarial.json  tokens that must fail with a given kind

Deterministic: fixed keys, fixed timestamps, no randomness, stable ordering.
Re-running produces byte-identical files.

Usage (from anywhere):  python3 tests/gen/make_vectors.py
Requires: PyJWT (pip install PyJWT). Generated with PyJWT 2.15.1.

Besides writing the files, the script
  * checks every valid vector with PyJWT's jwt.decode at the vector's `now`,
  * checks every vector against a small reference verifier written here from
    the ropc conventions (must give "ok" / the expected kind),
  * prints, for information, where PyJWT's verdict differs from ropc's rules.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import math
import sys
import unicodedata
import warnings
from pathlib import Path

import jwt
import jwt.api_jwt
import jwt.api_jws

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE.parent / "vectors"

DEFAULT_LEEWAY = 60
DEFAULT_MAX_LEN = 16384
MAX_NUMERIC_DATE = 253402300799  # 9999-12-31T23:59:59Z


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_dec_lenient(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def hs256(key: bytes, msg: bytes) -> bytes:
    return hmac.new(key, msg, hashlib.sha256).digest()


def compact_json(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("ascii")


def seg(x) -> str:
    """Segment text: dict/list -> compact JSON; str -> exact JSON text
    (UTF-8); bytes -> exact raw bytes."""
    if isinstance(x, (dict, list)):
        return b64u(compact_json(x))
    if isinstance(x, str):
        return b64u(x.encode("utf-8"))
    if isinstance(x, bytes):
        return b64u(x)
    raise TypeError(type(x))


def sign_segs(h: str, p: str, key: bytes) -> str:
    """Append a correct HMAC-SHA256 over the exact `h.p` text."""
    signing_input = (h + "." + p).encode("utf-8")
    return h + "." + p + "." + b64u(hs256(key, signing_input))


def key_fields(key: bytes):
    try:
        k = key.decode("utf-8")
    except UnicodeDecodeError:
        k = None
    return k, key.hex()


def pyjwt_encode(claims, key: bytes, headers=None, json_encoder=None) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # InsecureKeyLengthWarning for short keys
        return jwt.encode(claims, key, algorithm="HS256", headers=headers,
                          json_encoder=json_encoder)


def pyjws_encode_raw(payload: bytes, key: bytes, headers=None, json_encoder=None) -> str:
    """PyJWT's JWS layer with exact payload bytes (PyJWT still builds the
    header and the signature)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.api_jws.encode(payload, key, algorithm="HS256", headers=headers,
                                  json_encoder=json_encoder)


@contextlib.contextmanager
def frozen_now(now: int):
    """Make PyJWT's claim validation see `now` (it calls datetime.now)."""
    real = jwt.api_jwt.datetime

    class Frozen(real):
        @classmethod
        def now(cls, tz=None):
            return real.fromtimestamp(now, tz)

    jwt.api_jwt.datetime = Frozen
    try:
        yield
    finally:
        jwt.api_jwt.datetime = real


def pyjwt_decode(v, verify_aud=None):
    """Run PyJWT's decode with the vector's parameters. Returns
    ("ok", claims) or ("error", exception class name)."""
    key = bytes.fromhex(v["key_hex"])
    leeway = DEFAULT_LEEWAY if v["leeway"] is None else v["leeway"]
    options = {"require": ["exp"]}
    if verify_aud is not None:
        options["verify_aud"] = verify_aud
    try:
        with frozen_now(v["now"]), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            claims = jwt.decode(v["token"], key, algorithms=["HS256"], options=options,
                                audience=v["audience"], issuer=v["issuer"], leeway=leeway)
        return "ok", claims
    except Exception as e:  # noqa: BLE001
        return "error", type(e).__name__


# ---------------------------------------------------------------------------
# reference verifier implementing the ropc conventions (self-check only)
# ---------------------------------------------------------------------------

class Fail(Exception):
    def __init__(self, kind):
        super().__init__(kind)
        self.kind = kind


B64URL_ALPHABET = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def strict_b64(s: str) -> bytes:
    if not s or len(s) % 4 == 1 or any(c not in B64URL_ALPHABET for c in s):
        raise Fail("base64")
    raw = b64u_dec_lenient(s)
    if b64u(raw) != s:  # non-canonical trailing bits
        raise Fail("base64")
    return raw


def _no_dups(pairs):
    seen = set()
    for k, _ in pairs:
        if k in seen:
            raise ValueError("duplicate member " + repr(k))
        seen.add(k)
    return dict(pairs)


def _reject_constant(name):
    raise ValueError("non-JSON constant " + name)


def _check_strings(x):
    if isinstance(x, str):
        x.encode("utf-8")  # raises on lone surrogates
    elif isinstance(x, dict):
        for k, val in x.items():
            _check_strings(k)
            _check_strings(val)
    elif isinstance(x, list):
        for val in x:
            _check_strings(val)


def strict_json_object(raw: bytes, kind: str):
    try:
        text = raw.decode("utf-8")
        obj = json.loads(text, object_pairs_hook=_no_dups, parse_constant=_reject_constant)
        _check_strings(obj)
    except (ValueError, UnicodeError):
        raise Fail(kind) from None
    if not isinstance(obj, dict):
        raise Fail(kind)
    return obj


def numeric_date(v, rounding):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Fail("invalid_claim")
    if isinstance(v, float) and not math.isfinite(v):
        raise Fail("invalid_claim")
    if not (0 <= v <= MAX_NUMERIC_DATE):
        raise Fail("invalid_claim")
    return rounding(v)


def ref_verify(token, key, now, issuer, audience, leeway, max_len):
    leeway = DEFAULT_LEEWAY if leeway is None else leeway
    max_len = DEFAULT_MAX_LEN if max_len is None else max_len
    try:
        if len(token.encode("utf-8")) > max_len:
            raise Fail("too_large")
        parts = token.split(".")
        if len(parts) != 3 or any(p == "" for p in parts):
            raise Fail("malformed")
        h, p, s = parts
        header = strict_json_object(strict_b64(h), "header")
        if "crit" in header:
            raise Fail("header")
        # `typ` absent or JSON null means no type (DESIGN.md).
        if header.get("typ") is not None:
            typ = header["typ"]
            if not isinstance(typ, str):
                raise Fail("header")
            t = typ.lower()
            if t.startswith("application/"):
                t = t[len("application/"):]
            if t not in ("jwt", "at+jwt"):
                raise Fail("header")
        if "alg" not in header or not isinstance(header["alg"], str):
            raise Fail("header")
        if header["alg"] != "HS256":
            raise Fail("algorithm")
        payload_raw = strict_b64(p)
        sig = strict_b64(s)
        if len(sig) != 32:
            # well-formed base64url, but not an HS256 tag: a signature failure
            raise Fail("signature")
        if not hmac.compare_digest(sig, hs256(key, (h + "." + p).encode("utf-8"))):
            raise Fail("signature")
        claims = strict_json_object(payload_raw, "payload")
        for c in ("iss", "sub", "jti"):
            if c in claims and not isinstance(claims[c], str):
                raise Fail("invalid_claim")
        if "aud" in claims:
            aud = claims["aud"]
            if not (isinstance(aud, str) or
                    (isinstance(aud, list) and all(isinstance(a, str) for a in aud))):
                raise Fail("invalid_claim")
        exp = numeric_date(claims["exp"], math.floor) if "exp" in claims else None
        nbf = numeric_date(claims["nbf"], math.ceil) if "nbf" in claims else None
        iat = numeric_date(claims["iat"], math.ceil) if "iat" in claims else None
        if exp is None:
            raise Fail("missing_claim")
        if issuer is not None and "iss" not in claims:
            raise Fail("missing_claim")
        if audience is not None and "aud" not in claims:
            raise Fail("missing_claim")
        if not (now < exp + leeway):
            raise Fail("expired")
        if nbf is not None and not (nbf <= now + leeway):
            raise Fail("not_yet_valid")
        if iat is not None and not (iat <= now + leeway):
            raise Fail("issued_in_future")
        if issuer is not None and claims["iss"] != issuer:
            raise Fail("issuer")
        if audience is not None:
            aud = claims["aud"]
            auds = [aud] if isinstance(aud, str) else aud
            if audience not in auds:
                raise Fail("audience")
        return "ok", claims
    except Fail as f:
        return f.kind, None


# ---------------------------------------------------------------------------
# valid vectors (all tokens produced by PyJWT)
# ---------------------------------------------------------------------------

NOW = 1700000000
EXP = NOW + 3600

KEY_32 = b"0123456789abcdef0123456789abcdef"
KEY_1 = b"k"
KEY_64 = bytes((0x41 + i % 26) for i in range(64))          # exactly the SHA-256 block size
KEY_65 = bytes((0x61 + i % 26) for i in range(65))          # one over: HMAC hashes it first
KEY_100 = ("ropc-hs256-test-key-" * 5).encode("ascii")     # 100 bytes
KEY_UNICODE = "clé-secrète-ключ-🔑-鍵".encode("utf-8")
KEY_B64CHARS = b"a+b/c=d==+/==+/+/=="

RFC7515_TOKEN = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
RFC7515_JWK_K = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
RFC7515_KEY = b64u_dec_lenient(RFC7515_JWK_K)


class RawUtf8Encoder(json.JSONEncoder):
    """Emit non-ASCII characters as raw UTF-8 instead of \\uXXXX escapes."""

    def __init__(self, *args, **kwargs):
        kwargs["ensure_ascii"] = False
        super().__init__(*args, **kwargs)


class EscapedAlgEncoder(json.JSONEncoder):
    """Header encoder writing the alg value as "HS\\u0032\\u0035\\u0036"
    (which unescapes to exactly "HS256")."""

    def encode(self, o):
        s = super().encode(o)
        assert '"alg":"HS256"' in s
        return s.replace('"alg":"HS256"', '"alg":"HS\\u0032\\u0035\\u0036"')


def build_valid():
    out = []

    def add(name, key, claims, *, now=NOW, issuer=None, audience=None, leeway=None,
            headers=None, json_encoder=None, token=None, verify_aud=None):
        if token is None:
            token = pyjwt_encode(claims, key, headers=headers, json_encoder=json_encoder)
        k, kh = key_fields(key)
        out.append({
            "name": name,
            "token": token,
            "key": k,
            "key_hex": kh,
            "now": now,
            "issuer": issuer,
            "audience": audience,
            "leeway": leeway,
            "claims": claims,
            "_verify_aud": verify_aud,  # generator-internal, stripped before writing
        })

    # --- keys -------------------------------------------------------------
    add("minimal_exp_only", KEY_32, {"exp": EXP})
    add("key_1_byte", KEY_1, {"sub": "user-1", "exp": EXP})
    add("key_32_bytes", KEY_32, {"sub": "user-1", "exp": EXP})
    add("key_64_bytes_block_size", KEY_64, {"sub": "user-1", "exp": EXP})
    add("key_65_bytes_hashed_by_hmac", KEY_65, {"sub": "user-1", "exp": EXP})
    add("key_100_bytes", KEY_100, {"sub": "user-1", "exp": EXP})
    add("key_unicode_utf8", KEY_UNICODE, {"sub": "user-1", "exp": EXP})
    add("key_with_plus_slash_equals", KEY_B64CHARS, {"sub": "user-1", "exp": EXP})

    # --- audience / issuer -------------------------------------------------
    add("aud_string_matches", KEY_32,
        {"sub": "user-1", "aud": "https://api.example.com", "exp": EXP},
        audience="https://api.example.com")
    add("aud_array_contains_expected", KEY_32,
        {"sub": "user-1", "aud": ["https://other.example.com", "https://api.example.com", "account"],
         "exp": EXP},
        audience="https://api.example.com")
    add("aud_array_single_element", KEY_32,
        {"sub": "user-1", "aud": ["https://api.example.com"], "exp": EXP},
        audience="https://api.example.com")
    add("aud_present_without_expected_audience_is_not_checked", KEY_32,
        {"sub": "user-1", "aud": ["https://someone-else.example.com"], "exp": EXP},
        verify_aud=False)
    add("issuer_matches", KEY_32,
        {"iss": "https://auth.example.com/realms/main", "sub": "user-1", "exp": EXP},
        issuer="https://auth.example.com/realms/main")
    add("issuer_and_audience_match", KEY_32,
        {"iss": "https://auth.example.com", "sub": "user-1", "aud": "api", "exp": EXP},
        issuer="https://auth.example.com", audience="api")
    add("unicode_issuer_and_audience_match", KEY_32,
        {"iss": "https://auth.exämple.com/ключ", "aud": ["api-☃"], "exp": EXP},
        issuer="https://auth.exämple.com/ключ", audience="api-☃")

    # --- claim value types -------------------------------------------------
    add("custom_claims_every_json_type", KEY_32, {
        "exp": EXP,
        "str": "hello",
        "empty_str": "",
        "int": 42,
        "negative_int": -7,
        "zero": 0,
        "float": 3.5,
        "true": True,
        "false": False,
        "null": None,
        "empty_array": [],
        "empty_object": {},
        "array": [1, "two", 3.0, None, True, [False], {"k": "v"}],
        "object": {"nested": {"deeper": {"deepest": [1, {"x": None}]}}, "flag": True},
    })
    add("custom_claims_big_integers", KEY_32, {
        "exp": EXP,
        "u64_max": 18446744073709551615,
        "i64_min": -9223372036854775808,
        "i64_max": 9223372036854775807,
        "above_2_pow_53": 9007199254740993,
        "beyond_u64": 123456789012345678901234567890,
        "in_array": [18446744073709551615, -9223372036854775808, 9007199254740993],
    })
    add("custom_claims_floats", KEY_32, {
        "exp": EXP,
        "pi": 3.141592653589793,
        "tiny": 1e-07,
        "negative": -2.5,
        "negative_zero": -0.0,
        "huge": 1.7976931348623157e308,
        "min_positive": 5e-324,
        "one_third": 0.3333333333333333,
    })
    unicode_claims = {
        "exp": EXP,
        "quotes": 'she said "hi"',
        "backslash": "C:\\path\\to\\file",
        "e_acute": "\u00e9",
        "emoji": "😀🔐",
        "cjk": "日本語",
        "controls": "tab\tnewline\ncr\rnul\u0000bell\u0007",
        "line_separators": "\u2028\u2029",
        "solidus": "a/b</script>",
        "ключ": "значение",
        "mixed": "\"\\\u00e9😀\n",
    }
    add("unicode_and_escapes_ascii_escaped_by_pyjwt", KEY_32, unicode_claims)
    add("unicode_and_escapes_raw_utf8", KEY_32, unicode_claims, json_encoder=RawUtf8Encoder)
    add("distinct_keys_that_look_alike", KEY_32, {
        "exp": EXP,
        "a": 1,
        "A": 2,
        "a ": 3,
        " a": 4,
        "\u00e1": 5,                       # precomposed á
        "a\u0301": 6,                      # a + combining acute: a different key
        "": 7,
        "ex": 8,
        "expp": 9,
        "EXP": 10,
    })
    add("same_key_names_at_different_levels", KEY_32, {
        "exp": EXP,
        "a": {"a": {"a": 1, "b": 2}, "b": {"a": 3}},
        "list": [{"a": 1}, {"a": 2}, {"a": {"a": 3}}],
    })
    add("header_like_names_in_payload", KEY_32, {
        "exp": EXP, "alg": "none", "typ": "bogus", "crit": ["exp"], "kid": 5,
    })
    nested = {"leaf": True}
    for i in range(32):
        nested = {"level": i, "child": nested}
    add("nested_32_levels", KEY_32, {"exp": EXP, "n": nested})

    # --- headers -----------------------------------------------------------
    add("typ_jwt_explicit", KEY_32, {"sub": "user-1", "exp": EXP}, headers={"typ": "JWT"})
    add("typ_jwt_lowercase", KEY_32, {"sub": "user-1", "exp": EXP}, headers={"typ": "jwt"})
    add("typ_at_jwt", KEY_32, {"sub": "user-1", "exp": EXP}, headers={"typ": "at+jwt"})
    add("typ_at_jwt_uppercase", KEY_32, {"sub": "user-1", "exp": EXP}, headers={"typ": "AT+JWT"})
    add("typ_application_jwt", KEY_32, {"sub": "user-1", "exp": EXP},
        headers={"typ": "application/jwt"})
    add("typ_application_at_jwt", KEY_32, {"sub": "user-1", "exp": EXP},
        headers={"typ": "application/at+jwt"})
    add("no_typ_header", KEY_32, {"sub": "user-1", "exp": EXP}, headers={"typ": None})
    add("kid_header", KEY_32, {"sub": "user-1", "exp": EXP}, headers={"kid": "2024-01-rotating-key"})
    add("extra_header_members", KEY_32, {"sub": "user-1", "exp": EXP},
        headers={"kid": "k1", "x-custom": {"nested": [1, 2, {"a": None}]}, "cty": "json"})
    add("header_alg_value_escaped", KEY_32, None,
        token=pyjws_encode_raw(compact_json({"sub": "user-1", "exp": EXP}), KEY_32,
                               json_encoder=EscapedAlgEncoder))
    out[-1]["claims"] = {"sub": "user-1", "exp": EXP}

    # --- raw payload bytes (PyJWT JWS layer) -------------------------------
    raw = ('{"\\u0065xp":%d,"\\u0069ss":"https://auth.example.com","s\\u0075b":"user-1"}'
           % EXP).encode("ascii")
    add("claim_names_escaped", KEY_32, json.loads(raw), issuer="https://auth.example.com",
        token=pyjws_encode_raw(raw, KEY_32))
    raw = ('{\r\n  "sub" : "user-1" ,\n\t"exp":%d\n,"x" : [ 1 , { } ] }  ' % EXP).encode("ascii")
    add("payload_json_with_insignificant_whitespace", KEY_32, json.loads(raw),
        token=pyjws_encode_raw(raw, KEY_32))
    raw = b'{"sub":"user-1","exp":2.1e9,"nbf":1.6E9,"iat":16e8}'
    add("numeric_dates_in_exponent_notation", KEY_32, json.loads(raw),
        token=pyjws_encode_raw(raw, KEY_32))

    # --- time claims -------------------------------------------------------
    add("exp_float", KEY_32, {"sub": "user-1", "exp": 2000000000.5}, now=1999990000)
    add("exp_float_floored_still_valid", KEY_32, {"sub": "user-1", "exp": 2000000000.5},
        now=2000000059)
    add("exp_float_integral_value", KEY_32, {"sub": "user-1", "exp": 2000000000.0}, now=1999990000)
    add("exp_within_explicit_leeway", KEY_32, {"sub": "user-1", "exp": EXP}, now=EXP + 30, leeway=60)
    add("exp_within_default_leeway_last_second", KEY_32, {"sub": "user-1", "exp": EXP}, now=EXP + 59)
    add("exp_leeway_zero_one_second_left", KEY_32, {"sub": "user-1", "exp": EXP}, now=EXP - 1, leeway=0)
    add("exp_large_leeway", KEY_32, {"sub": "user-1", "exp": EXP}, now=EXP + 3599, leeway=3600)
    add("exp_max_numeric_date", KEY_32, {"sub": "user-1", "exp": MAX_NUMERIC_DATE})
    add("nbf_iat_in_past", KEY_32, {"sub": "user-1", "exp": EXP, "nbf": NOW - 10, "iat": NOW - 10})
    add("nbf_iat_at_leeway_boundary", KEY_32,
        {"sub": "user-1", "exp": EXP, "nbf": NOW + 60, "iat": NOW + 60})
    add("nbf_iat_at_now_leeway_zero", KEY_32,
        {"sub": "user-1", "exp": EXP, "nbf": NOW, "iat": NOW}, leeway=0)
    add("nbf_iat_fractional_ceiled_within_leeway", KEY_32,
        {"sub": "user-1", "exp": EXP, "nbf": NOW + 59.5, "iat": NOW + 59.5})
    add("nbf_iat_zero", KEY_32, {"sub": "user-1", "exp": EXP, "nbf": 0, "iat": 0})

    # --- realistic access token -------------------------------------------
    realistic = {
        "iss": "https://auth.example.com/realms/production",
        "sub": "f1c2a8e4-5b7d-4e9a-9c3f-2d6b8a1e0f47",
        "aud": ["https://api.example.com", "account"],
        "exp": NOW + 300,
        "nbf": NOW - 5,
        "iat": NOW - 5,
        "jti": "8d3f6a2e-1c4b-4f7e-a9d2-5e8c0b7a3f16",
        "azp": "ropc-cli",
        "sid": "3a7e9c1d-2f4b-4d8a-b6e5-9c0f1a2b3d4e",
        "scope": "openid profile email offline_access orders:read orders:write",
        "email": "jane.doe@example.com",
        "email_verified": True,
        "name": "Jane Doe",
        "preferred_username": "jdoe",
        "realm_access": {"roles": ["default-roles-production", "offline_access", "user"]},
        "tenant": {"id": 4711, "region": "eu-west-1"},
        "acr": "1",
    }
    add("realistic_access_token", KEY_32, realistic,
        issuer="https://auth.example.com/realms/production", audience="https://api.example.com")

    # --- RFC 7515 Appendix A.1 --------------------------------------------
    h, p, s = RFC7515_TOKEN.split(".")
    assert b64u(hs256(RFC7515_KEY, (h + "." + p).encode("ascii"))) == s, "RFC 7515 A.1 signature"
    add("rfc7515_appendix_a1", RFC7515_KEY, json.loads(b64u_dec_lenient(p)), now=1300819000,
        token=RFC7515_TOKEN)

    # --- exactly the default maximum length --------------------------------
    base = {"sub": "user-1", "exp": EXP, "pad": ""}
    token = None
    for pad in range(12000, 12400):
        base["pad"] = "x" * pad
        t = pyjwt_encode(base, KEY_32)
        if len(t) == DEFAULT_MAX_LEN:
            token = t
            break
    assert token is not None
    add("length_exactly_default_max_16384", KEY_32, dict(base), token=token)

    # `typ` as JSON null means no type (PyJWT, node jsonwebtoken and the
    # jsonwebtoken crate accept these; PyJWT cannot mint one, so by hand).
    claims = {"sub": "user-1", "exp": EXP}
    add("typ_null_is_no_type", KEY_32, claims,
        token=sign_segs(seg('{"alg":"HS256","typ":null}'), seg(claims), KEY_32))

    return out


# ---------------------------------------------------------------------------
# adversarial vectors (hand-built segments, correct HMAC unless about it)
# ---------------------------------------------------------------------------

AKEY = b"ropc-adversarial-test-key-0123456789abcdef"
OTHER_KEY = b"ropc-adversarial-test-key-0123456789abcdeF"
HDR = {"alg": "HS256", "typ": "JWT"}
PL = {"sub": "user-1", "exp": EXP}


def good(header=None, payload=None, key=AKEY) -> str:
    return sign_segs(seg(HDR if header is None else header),
                     seg(PL if payload is None else payload), key)


def set_trailing_bit(s: str) -> str:
    """Make the last character of an unpadded base64url segment
    non-canonical (set an unused low bit). Decodes to the same bytes with a
    lenient decoder."""
    assert len(s) % 4 in (2, 3), "segment has no unused trailing bits"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    v = alphabet.index(s[-1])
    assert v & 1 == 0
    t = s[:-1] + alphabet[v | 1]
    assert b64u_dec_lenient(t) == b64u_dec_lenient(s)
    return t


def build_adversarial():
    out = []

    def add(name, token, expect, *, key=AKEY, now=NOW, issuer=None, audience=None,
            leeway=None, max_len=None):
        k, kh = key_fields(key)
        out.append({
            "name": name,
            "token": token,
            "key": k,
            "key_hex": kh,
            "now": now,
            "issuer": issuer,
            "audience": audience,
            "leeway": leeway,
            "max_len": max_len,
            "expect": expect,
        })

    H = seg(HDR)
    P = seg(PL)
    GOOD = good()
    GOOD_SIG = GOOD.split(".")[2]

    # --- too_large ---------------------------------------------------------
    base = {"sub": "user-1", "exp": EXP, "pad": ""}
    t = None
    for pad in range(12000, 12400):
        base["pad"] = "x" * pad
        t = good(payload=base)
        if len(t) == DEFAULT_MAX_LEN + 1:
            break
    assert len(t) == DEFAULT_MAX_LEN + 1
    add("rejects_token_one_byte_over_default_max_len", t, "too_large")
    add("rejects_token_one_byte_over_custom_max_len", GOOD, "too_large", max_len=len(GOOD) - 1)
    add("rejects_token_over_small_custom_max_len", GOOD, "too_large", max_len=64)
    add("rejects_garbage_one_byte_over_default_max_len", "a" * (DEFAULT_MAX_LEN + 1), "too_large")
    add("rejects_dots_one_byte_over_default_max_len", "." * (DEFAULT_MAX_LEN + 1), "too_large")

    # --- malformed ---------------------------------------------------------
    add("rejects_empty_token", "", "malformed")
    add("rejects_single_segment", H, "malformed")
    add("rejects_two_segments", H + "." + P, "malformed")
    add("rejects_four_segments", GOOD + "." + GOOD_SIG, "malformed")
    add("rejects_trailing_dot", GOOD + ".", "malformed")
    add("rejects_five_segments_jwe_shape",
        seg({"alg": "dir", "enc": "A128GCM"}) + ".." + b64u(b"\x00" * 12) + "." + P + "." + b64u(b"\x00" * 16),
        "malformed")
    add("rejects_only_dots", "..", "malformed")
    add("rejects_empty_header_segment", "." + P + "." + GOOD_SIG, "malformed")
    hp = H + "."
    add("rejects_empty_payload_segment",
        H + ".." + b64u(hs256(AKEY, hp.encode())), "malformed")
    add("rejects_empty_signature_segment", H + "." + P + ".", "malformed")
    for spelling, nm in (("none", "lowercase"), ("None", "capitalized"),
                         ("NONE", "uppercase"), ("nOnE", "mixed_case")):
        add(f"rejects_alg_none_{nm}_unsigned",
            seg({"alg": spelling, "typ": "JWT"}) + "." + P + ".", "malformed")

    # --- base64 ------------------------------------------------------------
    # padding
    h38 = seg({"alg": "HS256", "typ": "JWT", "kid": "k1"})       # 38 bytes -> 51 chars
    assert len(h38) % 4 == 3
    add("rejects_header_with_padding", sign_segs(h38 + "=", P, AKEY), "base64")
    p1 = None
    p2 = None
    for i in range(10):
        s_ = seg({"sub": "user-1", "exp": EXP, "n": "x" * i})
        if len(s_) % 4 == 3 and p1 is None:
            p1 = s_
        if len(s_) % 4 == 2 and p2 is None:
            p2 = s_
    add("rejects_payload_with_single_padding", sign_segs(H, p1 + "=", AKEY), "base64")
    add("rejects_payload_with_double_padding", sign_segs(H, p2 + "==", AKEY), "base64")
    assert len(H) % 4 == 0
    add("rejects_header_with_superfluous_padding", sign_segs(H + "==", P, AKEY), "base64")
    add("rejects_payload_with_excess_padding", sign_segs(H, p1 + "===", AKEY), "base64")
    add("rejects_signature_with_padding", GOOD + "=", "base64")
    # standard-alphabet characters
    plus_p = slash_p = None
    for i in range(3):  # '~' (0x7E) / '?' (0x3F) as 3rd byte of a group -> '-' / '_'
        s_ = seg({"sub": "user-1", "exp": EXP, "n": "x" * i + "~?~?"})
        if plus_p is None and "-" in s_:
            plus_p = s_.replace("-", "+")
        if slash_p is None and "_" in s_:
            slash_p = s_.replace("_", "/")
        if plus_p and slash_p:
            break
    add("rejects_plus_in_payload", sign_segs(H, plus_p, AKEY), "base64")
    add("rejects_slash_in_payload", sign_segs(H, slash_p, AKEY), "base64")
    plus_h = slash_h = None
    for i in range(3):
        s_ = seg({"alg": "HS256", "typ": "JWT", "kid": "x" * i + "~?~?"})
        if plus_h is None and "-" in s_:
            plus_h = s_.replace("-", "+")
        if slash_h is None and "_" in s_:
            slash_h = s_.replace("_", "/")
        if plus_h and slash_h:
            break
    add("rejects_plus_in_header", sign_segs(plus_h, P, AKEY), "base64")
    add("rejects_slash_in_header", sign_segs(slash_h, P, AKEY), "base64")
    plus_t = slash_t = None
    for i in range(10000):
        t_ = good(payload={"sub": "user-1", "exp": EXP, "n": i})
        sig_ = t_.split(".")[2]
        if plus_t is None and "-" in sig_:
            a, b, _ = t_.split(".")
            plus_t = a + "." + b + "." + sig_.replace("-", "+")
        if slash_t is None and "_" in sig_:
            a, b, _ = t_.split(".")
            slash_t = a + "." + b + "." + sig_.replace("_", "/")
        if plus_t and slash_t:
            break
    add("rejects_plus_in_signature", plus_t, "base64")
    add("rejects_slash_in_signature", slash_t, "base64")
    # whitespace
    mid = len(P) // 2
    add("rejects_space_in_payload", sign_segs(H, P[:mid] + " " + P[mid:], AKEY), "base64")
    add("rejects_newline_in_payload", sign_segs(H, P[:mid] + "\n" + P[mid:], AKEY), "base64")
    add("rejects_crlf_in_header", sign_segs(H[:10] + "\r\n" + H[10:], P, AKEY), "base64")
    add("rejects_tab_in_signature", GOOD[:-10] + "\t" + GOOD[-10:], "base64")
    add("rejects_leading_space", sign_segs(" " + H, P, AKEY), "base64")
    add("rejects_trailing_newline", GOOD + "\n", "base64")
    add("rejects_trailing_space", GOOD + " ", "base64")
    # invalid characters
    add("rejects_bang_in_payload", sign_segs(H, P[:mid] + "!" + P[mid + 1:], AKEY), "base64")
    add("rejects_asterisk_in_header", sign_segs(H[:5] + "*" + H[6:], P, AKEY), "base64")
    add("rejects_non_ascii_in_payload", sign_segs(H, P[:mid] + "é" + P[mid:], AKEY), "base64")
    add("rejects_percent_encoding_in_signature", GOOD[:-3] + "%3D", "base64")
    add("rejects_nul_in_signature", GOOD[:-1] + "\u0000", "base64")
    # impossible lengths (len % 4 == 1)
    for cand in (P, P + "A", P + "AA", P + "AAA"):
        if len(cand) % 4 == 1:
            add("rejects_payload_length_mod_4_is_1", sign_segs(H, cand, AKEY), "base64")
            break
    for cand in (H, H + "A", H + "AA", H + "AAA"):
        if len(cand) % 4 == 1:
            add("rejects_header_length_mod_4_is_1", sign_segs(cand, P, AKEY), "base64")
            break
    add("rejects_signature_length_mod_4_is_1", GOOD + "AA", "base64")
    # non-canonical trailing bits (lenient decoders would accept these)
    add("rejects_noncanonical_signature_trailing_bits",
        GOOD[:-1] + set_trailing_bit(GOOD_SIG)[-1], "base64")
    add("rejects_noncanonical_header_trailing_bits_2", sign_segs(set_trailing_bit(h38), P, AKEY),
        "base64")
    h37 = seg({"alg": "HS256", "typ": "JWT", "kid": "k"})
    assert len(h37) % 4 == 2
    add("rejects_noncanonical_header_trailing_bits_4", sign_segs(set_trailing_bit(h37), P, AKEY),
        "base64")
    add("rejects_noncanonical_payload_trailing_bits_2", sign_segs(H, set_trailing_bit(p1), AKEY),
        "base64")
    add("rejects_noncanonical_payload_trailing_bits_4", sign_segs(H, set_trailing_bit(p2), AKEY),
        "base64")
    # signature length
    si = (H + "." + P).encode()
    mac = hs256(AKEY, si)
    add("rejects_signature_31_bytes", H + "." + P + "." + b64u(mac[:31]), "signature")
    add("rejects_signature_33_bytes", H + "." + P + "." + b64u(mac + b"\x00"), "signature")
    add("rejects_signature_1_byte", H + "." + P + "." + b64u(mac[:1]), "signature")
    add("rejects_signature_64_bytes_hs512", H + "." + P + "." +
        b64u(hmac.new(AKEY, si, hashlib.sha512).digest()), "signature")
    add("rejects_signature_20_bytes_hs1", H + "." + P + "." +
        b64u(hmac.new(AKEY, si, hashlib.sha1).digest()), "signature")

    # --- header (correct HMAC) ---------------------------------------------
    def hdr(name, header_json):
        add(name, sign_segs(seg(header_json), P, AKEY), "header")

    hdr("rejects_header_not_json", "not json")
    hdr("rejects_header_truncated_json", '{"alg":"HS256","typ":"JWT"')
    hdr("rejects_header_single_quotes", "{'alg':'HS256','typ':'JWT'}")
    hdr("rejects_header_trailing_comma", '{"alg":"HS256","typ":"JWT",}')
    hdr("rejects_header_trailing_garbage", '{"alg":"HS256","typ":"JWT"}x')
    hdr("rejects_header_two_objects", '{"alg":"HS256"}{"typ":"JWT"}')
    hdr("rejects_header_array", '["HS256"]')
    hdr("rejects_header_array_of_header", '[{"alg":"HS256","typ":"JWT"}]')
    hdr("rejects_header_string", '"HS256"')
    hdr("rejects_header_number", "256")
    hdr("rejects_header_null", "null")
    hdr("rejects_header_invalid_utf8", b'{"alg":"HS256","typ":"JWT","x":"\xff\xfe"}')
    hdr("rejects_header_utf8_bom", b'\xef\xbb\xbf{"alg":"HS256","typ":"JWT"}')
    hdr("rejects_header_duplicate_alg", '{"alg":"HS256","alg":"HS256","typ":"JWT"}')
    hdr("rejects_header_duplicate_alg_none_then_hs256", '{"alg":"none","typ":"JWT","alg":"HS256"}')
    hdr("rejects_header_duplicate_alg_hs256_then_none", '{"alg":"HS256","typ":"JWT","alg":"none"}')
    hdr("rejects_header_duplicate_typ", '{"alg":"HS256","typ":"JWT","typ":"JWT"}')
    hdr("rejects_header_duplicate_alg_via_escape", '{"alg":"HS256","\\u0061lg":"HS256","typ":"JWT"}')
    hdr("rejects_header_duplicate_custom_member", '{"alg":"HS256","typ":"JWT","kid":"a","kid":"b"}')
    hdr("rejects_header_duplicate_nested_member",
        '{"alg":"HS256","typ":"JWT","jwk":{"kty":"oct","kty":"oct"}}')
    hdr("rejects_header_crit", '{"alg":"HS256","typ":"JWT","crit":["exp"],"exp":%d}' % EXP)
    hdr("rejects_header_crit_empty_array", '{"alg":"HS256","typ":"JWT","crit":[]}')
    hdr("rejects_header_crit_b64", '{"alg":"HS256","typ":"JWT","crit":["b64"],"b64":true}')
    hdr("rejects_header_crit_null", '{"alg":"HS256","typ":"JWT","crit":null}')
    for typ, nm in (("JWS", "jws"), ("JOSE", "jose"), ("JOSE+JSON", "jose_json"),
                    ("application/json", "application_json"), ("", "empty"),
                    ("JWT ", "trailing_space"), (" JWT", "leading_space"),
                    ("xJWT", "prefixed"), ("at+jwt+jwt", "double_suffix"),
                    ("application/", "bare_application_prefix"),
                    ("dpop+jwt", "dpop_jwt")):
        hdr(f"rejects_typ_{nm}", {"alg": "HS256", "typ": typ})
    for typ_json, nm in (("1", "number"), ('["JWT"]', "array"),
                         ("true", "bool"), ('{"JWT":1}', "object")):
        hdr(f"rejects_typ_{nm}", '{"alg":"HS256","typ":%s}' % typ_json)
    hdr("rejects_alg_missing", {"typ": "JWT"})
    hdr("rejects_header_empty_object", "{}")
    for alg_json, nm in (("256", "number"), ("null", "null"), ('["HS256"]', "array"),
                         ("true", "bool"), ('{"name":"HS256"}', "object")):
        hdr(f"rejects_alg_{nm}", '{"alg":%s,"typ":"JWT"}' % alg_json)

    # --- algorithm (correct HMAC-SHA256, 32 bytes) -------------------------
    for alg, nm in (("none", "none_lowercase"), ("None", "none_capitalized"),
                    ("NONE", "none_uppercase"), ("nOnE", "none_mixed_case"),
                    ("HS384", "hs384"), ("HS512", "hs512"), ("RS256", "rs256"),
                    ("ES256", "es256"), ("PS256", "ps256"), ("EdDSA", "eddsa"),
                    ("hs256", "hs256_lowercase"), ("Hs256", "hs256_mixed_case"),
                    ("HS256 ", "hs256_trailing_space"), (" HS256", "hs256_leading_space"),
                    ("HS256\u0000", "hs256_trailing_nul"), ("HS2560", "hs2560"),
                    ("", "empty_string")):
        add(f"rejects_alg_{nm}", good(header={"alg": alg, "typ": "JWT"}), "algorithm")
    add("rejects_alg_none_without_typ", good(header={"alg": "none"}), "algorithm")

    # --- signature ---------------------------------------------------------
    add("rejects_wrong_key", good(key=OTHER_KEY), "signature")
    add("rejects_key_with_extra_byte", good(key=AKEY + b"x"), "signature")
    add("rejects_key_missing_last_byte", good(key=AKEY[:-1]), "signature")
    add("rejects_empty_key_signature", good(key=b""), "signature")
    altered = seg({"sub": "admin", "exp": EXP})
    add("rejects_altered_payload_with_old_signature", H + "." + altered + "." + GOOD_SIG, "signature")
    add("rejects_altered_header_with_old_signature",
        seg({"alg": "HS256", "typ": "JWT", "kid": "k1"}) + "." + P + "." + GOOD_SIG, "signature")
    add("rejects_reencoded_payload_same_claims",
        H + "." + seg('{"sub": "user-1", "exp": %d}' % EXP) + "." + GOOD_SIG, "signature")
    other = good(payload={"sub": "user-2", "exp": EXP})
    add("rejects_signature_from_other_token", H + "." + P + "." + other.split(".")[2], "signature")
    flipped = bytearray(mac)
    flipped[0] ^= 0x01
    add("rejects_signature_first_bit_flipped", H + "." + P + "." + b64u(bytes(flipped)), "signature")
    flipped = bytearray(mac)
    flipped[31] ^= 0x80
    add("rejects_signature_last_byte_flipped", H + "." + P + "." + b64u(bytes(flipped)), "signature")
    add("rejects_signature_all_zero", H + "." + P + "." + b64u(b"\x00" * 32), "signature")
    add("rejects_signature_reversed", H + "." + P + "." + b64u(mac[::-1]), "signature")
    add("rejects_plain_sha256_instead_of_hmac", H + "." + P + "." + b64u(hashlib.sha256(si).digest()),
        "signature")
    add("rejects_hmac_over_payload_only", H + "." + P + "." + b64u(hs256(AKEY, P.encode())),
        "signature")
    add("rejects_hmac_over_decoded_json",
        H + "." + P + "." + b64u(hs256(AKEY, compact_json(HDR) + b"." + compact_json(PL))),
        "signature")
    add("rejects_hs384_truncated_to_32_bytes",
        H + "." + P + "." + b64u(hmac.new(AKEY, si, hashlib.sha384).digest()[:32]), "signature")
    add("rejects_rfc7515_token_with_base64_text_as_key", RFC7515_TOKEN, "signature",
        key=RFC7515_JWK_K.encode(), now=1300819000)
    # signature is checked before the payload is parsed
    bad_sig = b64u(hs256(OTHER_KEY, si))
    add("signature_checked_before_payload_not_json",
        H + "." + seg("not json") + "." + bad_sig, "signature")
    add("signature_checked_before_payload_duplicate_member",
        H + "." + seg('{"exp":%d,"exp":%d}' % (EXP, EXP)) + "." + bad_sig, "signature")
    add("signature_checked_before_payload_invalid_utf8",
        H + "." + seg(b'{"exp":%d,"x":"\xff"}' % EXP) + "." + bad_sig, "signature")
    add("signature_checked_before_expiry",
        good(payload={"sub": "user-1", "exp": NOW - 3600}, key=OTHER_KEY), "signature")
    add("signature_checked_before_missing_exp",
        good(payload={"sub": "user-1"}, key=OTHER_KEY), "signature")
    add("signature_checked_before_invalid_claim",
        good(payload={"sub": "user-1", "exp": "soon"}, key=OTHER_KEY), "signature")

    # --- payload (correct HMAC) --------------------------------------------
    def pl(name, payload_json):
        add(name, sign_segs(H, seg(payload_json), AKEY), "payload")

    pl("rejects_payload_not_json", "not json")
    pl("rejects_payload_truncated_json", '{"sub":"user-1","exp":%d' % EXP)
    pl("rejects_payload_only_whitespace", "   ")
    pl("rejects_payload_array", '[{"sub":"user-1","exp":%d}]' % EXP)
    pl("rejects_payload_empty_array", "[]")
    pl("rejects_payload_string", '"{\\"exp\\":%d}"' % EXP)
    pl("rejects_payload_number", str(EXP))
    pl("rejects_payload_null", "null")
    pl("rejects_payload_true", "true")
    pl("rejects_payload_invalid_utf8", b'{"sub":"\xff\xfe","exp":%d}' % EXP)
    pl("rejects_payload_overlong_utf8", b'{"sub":"\xc0\xaf","exp":%d}' % EXP)
    pl("rejects_payload_utf8_encoded_surrogate", b'{"sub":"\xed\xa0\x80","exp":%d}' % EXP)
    pl("rejects_payload_utf8_bom", b'\xef\xbb\xbf{"sub":"user-1","exp":%d}' % EXP)
    pl("rejects_payload_utf16le", ('{"sub":"user-1","exp":%d}' % EXP).encode("utf-16-le"))
    pl("rejects_payload_duplicate_exp", '{"sub":"user-1","exp":%d,"exp":%d}' % (EXP, EXP))
    pl("rejects_payload_duplicate_exp_conflicting", '{"exp":1,"sub":"user-1","exp":%d}' % EXP)
    pl("rejects_payload_duplicate_iss", '{"iss":"a","iss":"b","exp":%d}' % EXP)
    pl("rejects_payload_duplicate_custom_claim", '{"a":1,"exp":%d,"a":1}' % EXP)
    pl("rejects_payload_duplicate_nested_member", '{"exp":%d,"x":{"a":1,"b":2,"a":3}}' % EXP)
    pl("rejects_payload_duplicate_deeply_nested_member",
       '{"exp":%d,"x":{"y":{"z":{"a":1,"a":1}}}}' % EXP)
    pl("rejects_payload_duplicate_in_object_inside_array",
       '{"exp":%d,"x":[{"b":1},{"b":1,"b":2}]}' % EXP)
    pl("rejects_payload_duplicate_exp_via_escape", '{"exp":%d,"\\u0065xp":%d}' % (EXP, EXP))
    pl("rejects_payload_duplicate_via_escape", '{"a":1,"\\u0061":2,"exp":%d}' % EXP)
    pl("rejects_payload_duplicate_via_escape_uppercase_hex", '{"\\u00E9":1,"\\u00e9":2,"exp":%d}' % EXP)
    pl("rejects_payload_duplicate_nested_via_escape",
       '{"exp":%d,"x":{"\u00e9":1,"\\u00e9":2}}' % EXP)
    pl("rejects_payload_duplicate_via_escaped_solidus", '{"a/b":1,"a\\/b":2,"exp":%d}' % EXP)
    pl("rejects_payload_duplicate_surrogate_pair_escape",
       '{"\U0001F600":1,"\\ud83d\\ude00":2,"exp":%d}' % EXP)
    pl("rejects_payload_trailing_garbage", '{"sub":"user-1","exp":%d}x' % EXP)
    pl("rejects_payload_two_objects", '{"sub":"user-1"}{"exp":%d}' % EXP)
    pl("rejects_payload_trailing_comma", '{"sub":"user-1","exp":%d,}' % EXP)
    pl("rejects_payload_single_quotes", "{'sub':'user-1','exp':%d}" % EXP)
    pl("rejects_payload_unquoted_key", '{sub:"user-1","exp":%d}' % EXP)
    pl("rejects_payload_comment", '{"sub":"user-1",/* c */"exp":%d}' % EXP)
    pl("rejects_payload_nan", '{"sub":"user-1","exp":%d,"x":NaN}' % EXP)
    pl("rejects_payload_infinity", '{"sub":"user-1","exp":%d,"x":Infinity}' % EXP)
    pl("rejects_payload_leading_zero_number", '{"sub":"user-1","exp":0%d}' % EXP)
    pl("rejects_payload_plus_sign_number", '{"sub":"user-1","exp":+%d}' % EXP)
    pl("rejects_payload_hex_number", '{"sub":"user-1","exp":0x77359400}')
    pl("rejects_payload_raw_control_char_in_string", '{"sub":"user\n1","exp":%d}' % EXP)
    pl("rejects_payload_invalid_escape", '{"sub":"user\\x31","exp":%d}' % EXP)
    pl("rejects_payload_lone_high_surrogate_escape", '{"sub":"\\ud800","exp":%d}' % EXP)
    pl("rejects_payload_lone_low_surrogate_escape", '{"sub":"\\udc00","exp":%d}' % EXP)

    # --- invalid_claim (correct HMAC) --------------------------------------
    def ic(name, payload_json, **kw):
        add(name, sign_segs(H, seg(payload_json), AKEY), "invalid_claim", **kw)

    ic("rejects_exp_string", '{"sub":"user-1","exp":"2000000000"}')
    ic("rejects_exp_true", '{"sub":"user-1","exp":true}')
    ic("rejects_exp_false", '{"sub":"user-1","exp":false}')
    ic("rejects_exp_null", '{"sub":"user-1","exp":null}')
    ic("rejects_exp_negative", '{"sub":"user-1","exp":-1}')
    ic("rejects_exp_negative_fraction", '{"sub":"user-1","exp":-0.5}')
    ic("rejects_exp_1e300", '{"sub":"user-1","exp":1e300}')
    ic("rejects_exp_above_year_9999", '{"sub":"user-1","exp":%d}' % (MAX_NUMERIC_DATE + 1))
    ic("rejects_exp_u64_max", '{"sub":"user-1","exp":18446744073709551615}')
    ic("rejects_exp_beyond_u64", '{"sub":"user-1","exp":123456789012345678901234567890}')
    ic("rejects_exp_i64_min", '{"sub":"user-1","exp":-9223372036854775808}')
    ic("rejects_exp_array", '{"sub":"user-1","exp":[%d]}' % EXP)
    ic("rejects_exp_object", '{"sub":"user-1","exp":{"value":%d}}' % EXP)
    ic("rejects_nbf_string", '{"sub":"user-1","exp":%d,"nbf":"%d"}' % (EXP, NOW))
    ic("rejects_nbf_bool", '{"sub":"user-1","exp":%d,"nbf":true}' % EXP)
    ic("rejects_nbf_null", '{"sub":"user-1","exp":%d,"nbf":null}' % EXP)
    ic("rejects_nbf_negative", '{"sub":"user-1","exp":%d,"nbf":-1}' % EXP)
    ic("rejects_nbf_1e300", '{"sub":"user-1","exp":%d,"nbf":1e300}' % EXP)
    ic("rejects_iat_string", '{"sub":"user-1","exp":%d,"iat":"%d"}' % (EXP, NOW))
    ic("rejects_iat_null", '{"sub":"user-1","exp":%d,"iat":null}' % EXP)
    ic("rejects_iat_negative", '{"sub":"user-1","exp":%d,"iat":-1}' % EXP)
    ic("rejects_iat_array", '{"sub":"user-1","exp":%d,"iat":[%d]}' % (EXP, NOW))
    ic("rejects_iss_number", '{"iss":42,"sub":"user-1","exp":%d}' % EXP)
    ic("rejects_iss_number_with_issuer_expected", '{"iss":42,"sub":"user-1","exp":%d}' % EXP,
       issuer="42")
    ic("rejects_iss_array", '{"iss":["https://auth.example.com"],"exp":%d}' % EXP,
       issuer="https://auth.example.com")
    ic("rejects_iss_null", '{"iss":null,"sub":"user-1","exp":%d}' % EXP)
    ic("rejects_sub_number", '{"sub":12345,"exp":%d}' % EXP)
    ic("rejects_sub_null", '{"sub":null,"exp":%d}' % EXP)
    ic("rejects_sub_object", '{"sub":{"id":"user-1"},"exp":%d}' % EXP)
    ic("rejects_jti_object", '{"sub":"user-1","exp":%d,"jti":{"id":1}}' % EXP)
    ic("rejects_jti_number", '{"sub":"user-1","exp":%d,"jti":1}' % EXP)
    ic("rejects_aud_number", '{"sub":"user-1","aud":1,"exp":%d}' % EXP)
    ic("rejects_aud_number_with_audience_expected", '{"sub":"user-1","aud":1,"exp":%d}' % EXP,
       audience="1")
    ic("rejects_aud_array_containing_number",
       '{"sub":"user-1","aud":["https://api.example.com",1],"exp":%d}' % EXP,
       audience="https://api.example.com")
    ic("rejects_aud_array_containing_null",
       '{"sub":"user-1","aud":["https://api.example.com",null],"exp":%d}' % EXP,
       audience="https://api.example.com")
    ic("rejects_aud_nested_array", '{"sub":"user-1","aud":[["https://api.example.com"]],"exp":%d}' % EXP,
       audience="https://api.example.com")
    ic("rejects_aud_object", '{"sub":"user-1","aud":{"https://api.example.com":true},"exp":%d}' % EXP,
       audience="https://api.example.com")
    ic("rejects_aud_null", '{"sub":"user-1","aud":null,"exp":%d}' % EXP)
    ic("rejects_aud_bool", '{"sub":"user-1","aud":true,"exp":%d}' % EXP)

    # --- missing_claim -----------------------------------------------------
    def mc(name, payload, **kw):
        add(name, good(payload=payload), "missing_claim", **kw)

    mc("rejects_missing_exp", {"sub": "user-1"})
    mc("rejects_empty_claims_object", {})
    mc("rejects_missing_exp_with_nbf_and_iat", {"sub": "user-1", "nbf": NOW - 10, "iat": NOW - 10})
    mc("rejects_exp_name_wrong_case", {"sub": "user-1", "EXP": EXP, "Exp": EXP})
    mc("rejects_missing_iss_when_issuer_expected", {"sub": "user-1", "exp": EXP},
       issuer="https://auth.example.com")
    mc("rejects_missing_aud_when_audience_expected", {"sub": "user-1", "exp": EXP},
       audience="https://api.example.com")
    mc("rejects_missing_aud_and_iss_when_both_expected", {"sub": "user-1", "exp": EXP},
       issuer="https://auth.example.com", audience="https://api.example.com")

    # --- expired -----------------------------------------------------------
    def ex(name, payload, **kw):
        add(name, good(payload=payload), "expired", **kw)

    ex("rejects_expired_beyond_default_leeway", PL, now=EXP + 61)
    ex("rejects_expired_exactly_at_default_leeway_boundary", PL, now=EXP + 60)
    ex("rejects_expired_exactly_at_custom_leeway_boundary", PL, now=EXP + 300, leeway=300)
    ex("rejects_expired_leeway_zero_at_exp", PL, now=EXP, leeway=0)
    ex("rejects_expired_leeway_zero_one_second_after", PL, now=EXP + 1, leeway=0)
    ex("rejects_expired_long_ago", {"sub": "user-1", "exp": NOW - 86400})
    ex("rejects_exp_zero", {"sub": "user-1", "exp": 0})
    ex("rejects_expired_float_exp_is_floored", {"sub": "user-1", "exp": 2000000000.9},
       now=2000000060)
    ex("rejects_expired_rfc7515_token_later", {"iss": "joe", "exp": 1300819380}, now=1300819440)

    # --- not_yet_valid -----------------------------------------------------
    def nyv(name, payload, **kw):
        add(name, good(payload=payload), "not_yet_valid", **kw)

    nyv("rejects_nbf_beyond_default_leeway", {"sub": "user-1", "exp": EXP, "nbf": NOW + 61})
    nyv("rejects_nbf_leeway_zero_one_second_ahead", {"sub": "user-1", "exp": EXP, "nbf": NOW + 1},
        leeway=0)
    nyv("rejects_nbf_float_is_ceiled", {"sub": "user-1", "exp": EXP, "nbf": NOW + 60.5})
    nyv("rejects_nbf_far_future", {"sub": "user-1", "exp": MAX_NUMERIC_DATE, "nbf": MAX_NUMERIC_DATE})

    # --- issued_in_future --------------------------------------------------
    def iif(name, payload, **kw):
        add(name, good(payload=payload), "issued_in_future", **kw)

    iif("rejects_iat_beyond_default_leeway", {"sub": "user-1", "exp": EXP, "iat": NOW + 61})
    iif("rejects_iat_leeway_zero_one_second_ahead", {"sub": "user-1", "exp": EXP, "iat": NOW + 1},
        leeway=0)
    iif("rejects_iat_float_is_ceiled", {"sub": "user-1", "exp": EXP, "iat": NOW + 60.2})
    iif("rejects_iat_far_future", {"sub": "user-1", "exp": EXP, "iat": NOW + 86400})

    # --- issuer ------------------------------------------------------------
    ISS = "https://auth.example.com"

    def iss(name, value):
        add(name, good(payload={"iss": value, "sub": "user-1", "exp": EXP}), "issuer", issuer=ISS)

    iss("rejects_issuer_different", "https://evil.example.com")
    iss("rejects_issuer_case_difference", "https://Auth.example.com")
    iss("rejects_issuer_trailing_slash", ISS + "/")
    iss("rejects_issuer_trailing_space", ISS + " ")
    iss("rejects_issuer_prefix_only", "https://auth.example")
    iss("rejects_issuer_with_suffix", ISS + ".evil.com")
    iss("rejects_issuer_empty_string", "")
    iss("rejects_issuer_trailing_nul", ISS + "\u0000")
    add("rejects_issuer_unicode_normalization_difference",
        good(payload={"iss": unicodedata.normalize("NFD", "https://é.example.com"), "exp": EXP}),
        "issuer", issuer=unicodedata.normalize("NFC", "https://é.example.com"))

    # --- audience ----------------------------------------------------------
    AUD = "https://api.example.com"

    def aud(name, value):
        add(name, good(payload={"sub": "user-1", "aud": value, "exp": EXP}), "audience", audience=AUD)

    aud("rejects_aud_string_different", "https://other.example.com")
    aud("rejects_aud_string_case_difference", "https://API.example.com")
    aud("rejects_aud_string_superstring", AUD + ".evil.com")
    aud("rejects_aud_string_prefix", "https://api.example")
    aud("rejects_aud_string_containing_expected_as_list_text", AUD + " https://other.example.com")
    aud("rejects_aud_empty_string", "")
    aud("rejects_aud_array_not_containing", ["https://other.example.com", "account"])
    aud("rejects_aud_array_only_case_variant", ["HTTPS://API.EXAMPLE.COM"])
    aud("rejects_aud_array_only_superstring", [AUD + "/"])
    aud("rejects_aud_empty_array", [])

    names = [v["name"] for v in out]
    assert len(names) == len(set(names)), "duplicate adversarial names"
    return out


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

PYJWT_KIND = {
    "ExpiredSignatureError": "expired",
    "ImmatureSignatureError": "not_yet_valid/issued_in_future",
    "InvalidSignatureError": "signature",
    "InvalidAlgorithmError": "algorithm",
    "InvalidAudienceError": "audience",
    "InvalidIssuerError": "issuer",
    "MissingRequiredClaimError": "missing_claim",
    "DecodeError": "decode",
    "InvalidTokenError": "invalid_token",
    "InvalidSubjectError": "invalid_claim",
    "InvalidJTIError": "invalid_claim",
    "InvalidIssuedAtError": "invalid_claim",
}


def write_json(path: Path, data):
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    path.write_text(text, encoding="utf-8", newline="\n")


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    problems = []

    valid = build_valid()
    names = [v["name"] for v in valid]
    assert len(names) == len(set(names)), "duplicate valid names"
    for v in valid:
        key = bytes.fromhex(v["key_hex"])
        # every token must really be HS256 over its own segments
        h, p, s = v["token"].split(".")
        assert b64u(hs256(key, (h + "." + p).encode("ascii"))) == s, v["name"]
        kind, claims = ref_verify(v["token"], key, v["now"], v["issuer"], v["audience"],
                                  v["leeway"], None)
        if kind != "ok" or claims != v["claims"]:
            problems.append(f"reference verifier: valid {v['name']} -> {kind}")
        status, res = pyjwt_decode(v, verify_aud=v.pop("_verify_aud"))
        if status != "ok" or res != v["claims"]:
            problems.append(f"PyJWT rejects valid {v['name']}: {res}")

    adversarial = build_adversarial()
    pyjwt_accepts = []
    pyjwt_other = {}
    for v in adversarial:
        key = bytes.fromhex(v["key_hex"])
        kind, _ = ref_verify(v["token"], key, v["now"], v["issuer"], v["audience"],
                             v["leeway"], v["max_len"])
        if kind != v["expect"]:
            problems.append(f"reference verifier: {v['name']} -> {kind}, expected {v['expect']}")
        if v["expect"] == "too_large":
            continue  # PyJWT has no length limit
        status, res = pyjwt_decode(v)
        if status == "ok":
            pyjwt_accepts.append(v["name"])
        else:
            pyjwt_other.setdefault(v["expect"], {}).setdefault(PYJWT_KIND.get(res, res), 0)
            pyjwt_other[v["expect"]][PYJWT_KIND.get(res, res)] += 1

    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)

    write_json(OUT_DIR / "valid.json", valid)
    write_json(OUT_DIR / "adversarial.json", adversarial)

    counts = {}
    for v in adversarial:
        counts[v["expect"]] = counts.get(v["expect"], 0) + 1
    print(f"valid.json: {len(valid)} vectors")
    print(f"adversarial.json: {len(adversarial)} vectors")
    for k, n in counts.items():
        print(f"  {k:18} {n}")
    print(f"PyJWT {jwt.__version__} accepts {len(pyjwt_accepts)} adversarial tokens "
          "(ropc's rules are stricter there):")
    for n in pyjwt_accepts:
        print("  " + n)
    print("PyJWT rejection classes per expected kind (informational):")
    for k, d in pyjwt_other.items():
        print(f"  {k:18} {d}")


if __name__ == "__main__":
    main()
