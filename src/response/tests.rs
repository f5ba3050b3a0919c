//! One test per rule of [`parse`](super::parse), named after the rule.

use super::*;

fn parse(body: &[u8]) -> Result<Parsed, ResponseError> {
    super::parse(body, &Redactor::none())
}

fn token(body: &str) -> TokenResponse {
    match parse(body.as_bytes()) {
        Ok(Parsed::Token(t)) => t,
        other => panic!("{body}: {other:?}"),
    }
}

fn problem(body: &str) -> ResponseProblem {
    match parse(body.as_bytes()) {
        Err(e) => e.problem,
        other => panic!("{body}: {other:?}"),
    }
}

#[test]
fn parses_a_full_token_response() {
    let t = token(
        r#"{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt","scope":"openid email","id_token":"it"}"#,
    );
    assert_eq!(t.access_token.expose_secret(), "at");
    assert_eq!(t.expires_in, Some(3600));
    assert_eq!(t.refresh_token.unwrap().expose_secret(), "rt");
    assert_eq!(t.scope.as_deref(), Some("openid email"));
    assert_eq!(t.id_token.unwrap().expose_secret(), "it");
}

#[test]
fn access_token_is_required_and_non_empty() {
    assert_eq!(
        problem(r#"{"token_type":"Bearer"}"#),
        ResponseProblem::MissingMember("access_token")
    );
    assert_eq!(
        problem(r#"{"access_token":""}"#),
        ResponseProblem::MissingMember("access_token")
    );
    assert_eq!(
        problem(r#"{"access_token":null}"#),
        ResponseProblem::MissingMember("access_token")
    );
    assert!(matches!(
        problem(r#"{"access_token":5}"#),
        ResponseProblem::InvalidMember {
            member: "access_token",
            ..
        }
    ));
}

#[test]
fn token_type_is_bearer_case_insensitively_and_missing_means_bearer() {
    for tt in ["\"Bearer\"", "\"bearer\"", "\"BEARER\"", "null"] {
        token(&format!(r#"{{"access_token":"a","token_type":{tt}}}"#));
    }
    token(r#"{"access_token":"a"}"#);
}

#[test]
fn other_token_types_are_a_clear_error() {
    assert_eq!(
        problem(r#"{"access_token":"a","token_type":"mac"}"#),
        ResponseProblem::UnsupportedTokenType("mac".into())
    );
    assert_eq!(
        problem(r#"{"access_token":"a","token_type":"DPoP"}"#).to_string(),
        "token_type `DPoP` is not supported (only Bearer)"
    );
    assert!(matches!(
        problem(r#"{"access_token":"a","token_type":1}"#),
        ResponseProblem::InvalidMember {
            member: "token_type",
            ..
        }
    ));
}

#[test]
fn expires_in_accepts_integers_and_numeric_strings() {
    assert_eq!(
        token(r#"{"access_token":"a","expires_in":3600}"#).expires_in,
        Some(3600)
    );
    assert_eq!(
        token(r#"{"access_token":"a","expires_in":"3600"}"#).expires_in,
        Some(3600)
    );
    assert_eq!(
        token(r#"{"access_token":"a","expires_in":3600.0}"#).expires_in,
        Some(3600)
    );
    assert_eq!(
        token(r#"{"access_token":"a","expires_in":0}"#).expires_in,
        Some(0)
    );
    assert_eq!(
        token(r#"{"access_token":"a","expires_in":null}"#).expires_in,
        None
    );
    assert_eq!(token(r#"{"access_token":"a"}"#).expires_in, None);
}

#[test]
fn expires_in_rejects_negative_absurd_and_non_numeric_values() {
    for v in [
        "-1",
        "\"-1\"",
        "1e30",
        "315360001",
        "18446744073709551616",
        "\"\"",
        "\"12a\"",
        "\" 3600\"",
        "true",
        "[3600]",
        "3600.5",
        "{}",
    ] {
        let p = problem(&format!(r#"{{"access_token":"a","expires_in":{v}}}"#));
        assert!(
            matches!(
                p,
                ResponseProblem::InvalidMember {
                    member: "expires_in",
                    ..
                }
            ),
            "{v}: {p:?}"
        );
    }
}

#[test]
fn refresh_token_is_optional_and_empty_means_absent() {
    assert!(token(r#"{"access_token":"a"}"#).refresh_token.is_none());
    assert!(
        token(r#"{"access_token":"a","refresh_token":""}"#)
            .refresh_token
            .is_none()
    );
    assert!(
        token(r#"{"access_token":"a","refresh_token":null}"#)
            .refresh_token
            .is_none()
    );
    assert!(matches!(
        problem(r#"{"access_token":"a","refresh_token":1}"#),
        ResponseProblem::InvalidMember {
            member: "refresh_token",
            ..
        }
    ));
}

#[test]
fn scope_accepts_an_array_of_strings() {
    assert_eq!(
        token(r#"{"access_token":"a","scope":["openid","email"]}"#)
            .scope
            .as_deref(),
        Some("openid email")
    );
    assert!(matches!(
        problem(r#"{"access_token":"a","scope":[1]}"#),
        ResponseProblem::InvalidMember {
            member: "scope",
            ..
        }
    ));
}

#[test]
fn unknown_members_are_ignored() {
    let t = token(r#"{"x":{"y":[1,2,{"z":null}]},"access_token":"a","not-before-policy":0}"#);
    assert_eq!(t.access_token.expose_secret(), "a");
}

#[test]
fn escaped_tokens_are_unescaped() {
    let t = token(r#"{"access_token":"a\/b\u0063\"","refresh_token":"r\\t"}"#);
    assert_eq!(t.access_token.expose_secret(), "a/bc\"");
    assert_eq!(t.refresh_token.unwrap().expose_secret(), "r\\t");
}

#[test]
fn duplicate_members_are_rejected() {
    assert_eq!(
        problem(r#"{"access_token":"a","access_token":"b"}"#),
        ResponseProblem::DuplicateMember
    );
    assert_eq!(
        problem(r#"{"access_token":"a","x":1,"x":2}"#),
        ResponseProblem::DuplicateMember
    );
    assert_eq!(
        problem(r#"{"access_token":"a","x":{"y":1,"y":2}}"#),
        ResponseProblem::DuplicateMember
    );
    assert_eq!(
        problem(r#"{"access_token":"a","scope":[{"y":1,"y":2}]}"#),
        ResponseProblem::DuplicateMember
    );
    assert_eq!(
        problem(r#"{"access_token":"a","\u0061ccess_token":"b"}"#),
        ResponseProblem::DuplicateMember
    );
}

#[test]
fn non_json_and_non_objects_are_named() {
    assert_eq!(problem("<html>502</html>"), ResponseProblem::NotJson);
    assert_eq!(problem(""), ResponseProblem::NotJson);
    assert_eq!(problem(r#"{"access_token":"a""#), ResponseProblem::NotJson);
    assert_eq!(
        problem(r#"{"access_token":"a"} {}"#),
        ResponseProblem::NotJson
    );
    assert_eq!(problem("[]"), ResponseProblem::NotObject);
    assert_eq!(problem("\"a\""), ResponseProblem::NotObject);
    assert_eq!(problem("null"), ResponseProblem::NotObject);
    assert_eq!(
        parse(b"{\"access_token\":\"\xff\"}").unwrap_err().problem,
        ResponseProblem::NotJson
    );
}

#[test]
fn an_error_member_means_an_error_response() {
    let Ok(Parsed::Error(e)) = parse(br#"{"error":"invalid_grant","error_description":"Bad credentials","error_uri":"https://id.example/e"}"#) else {
        panic!()
    };
    assert_eq!(e.code, ErrorCode::InvalidGrant);
    assert_eq!(e.description.as_deref(), Some("Bad credentials"));
    assert_eq!(e.uri.as_deref(), Some("https://id.example/e"));
    // Even next to an access token.
    assert!(matches!(
        parse(br#"{"access_token":"a","error":"invalid_request"}"#),
        Ok(Parsed::Error(_))
    ));
}

#[test]
fn error_codes_are_typed() {
    for (code, expected) in [
        ("invalid_request", ErrorCode::InvalidRequest),
        ("invalid_client", ErrorCode::InvalidClient),
        ("invalid_grant", ErrorCode::InvalidGrant),
        ("unauthorized_client", ErrorCode::UnauthorizedClient),
        ("unsupported_grant_type", ErrorCode::UnsupportedGrantType),
        ("invalid_scope", ErrorCode::InvalidScope),
        ("access_denied", ErrorCode::Other("access_denied".into())),
    ] {
        let Ok(Parsed::Error(e)) = parse(format!(r#"{{"error":"{code}"}}"#).as_bytes()) else {
            panic!()
        };
        assert_eq!(e.code, expected);
        assert_eq!(e.code.as_str(), code);
    }
}

#[test]
fn error_text_is_sanitised() {
    let Ok(Parsed::Error(e)) =
        parse(br#"{"error":"x\u001b[31m","error_description":"line1\nline2\u0007"}"#)
    else {
        panic!()
    };
    assert_eq!(e.code.as_str(), "x [31m");
    assert_eq!(e.description.as_deref(), Some("line1 line2 "));
    let long = "d".repeat(1000);
    let Ok(Parsed::Error(e)) =
        parse(format!(r#"{{"error":"e","error_description":"{long}"}}"#).as_bytes())
    else {
        panic!()
    };
    assert_eq!(e.description.unwrap().len(), 256);
}

#[test]
fn error_must_be_a_non_empty_string() {
    for v in ["1", "null", "\"\"", "[\"invalid_grant\"]"] {
        assert!(
            matches!(
                problem(&format!(r#"{{"error":{v}}}"#)),
                ResponseProblem::InvalidMember {
                    member: "error",
                    ..
                }
            ),
            "{v}"
        );
    }
}

#[test]
fn error_description_of_another_type_is_dropped_not_fatal() {
    let Ok(Parsed::Error(e)) = parse(br#"{"error":"invalid_grant","error_description":{"a":1}}"#)
    else {
        panic!()
    };
    assert_eq!(e.description, None);
}

#[test]
fn debug_of_a_token_response_hides_the_tokens() {
    let t =
        token(r#"{"access_token":"ATMARKER","refresh_token":"RTMARKER","id_token":"ITMARKER"}"#);
    assert!(!format!("{t:?}").contains("MARKER"));
}

#[test]
fn errors_never_echo_the_body_of_a_token_response() {
    for body in [
        r#"{"access_token":"ATMARKER","token_type":"ATMARKER"}"#,
        r#"{"access_token":"ATMARKER","expires_in":"x"}"#,
        r#"{"access_token":"ATMARKER""#,
    ] {
        let e = parse(body.as_bytes()).unwrap_err();
        assert!(
            !format!("{e} {e:?}").contains("ATMARKER") || body.contains("token_type\":\"ATMARKER"),
            "{e}"
        );
    }
}

#[test]
fn a_leading_byte_order_mark_is_tolerated() {
    let body = b"\xEF\xBB\xBF{\"access_token\":\"a\"}";
    assert!(matches!(parse(body), Ok(Parsed::Token(_))));
    // Only one, and only at the start.
    assert_eq!(
        parse(b"\xEF\xBB\xBF\xEF\xBB\xBF{}").unwrap_err().problem,
        ResponseProblem::NotJson
    );
}

#[test]
fn token_type_tolerates_surrounding_whitespace() {
    token(r#"{"access_token":"a","token_type":" Bearer "}"#);
}

#[test]
fn tokens_are_any_vschar_string_spaces_included() {
    // RFC 6749 Appendix A: %x20-7E, as they came (escapes decoded).
    let t =
        token(r#"{"access_token":" a b\"\\%+=~ ","refresh_token":"r t","id_token":"i\u0020d"}"#);
    assert_eq!(t.access_token.expose_secret(), " a b\"\\%+=~ ");
    assert_eq!(t.refresh_token.unwrap().expose_secret(), "r t");
    assert_eq!(t.id_token.unwrap().expose_secret(), "i d");
}

#[test]
fn a_token_outside_vschar_is_a_malformed_response() {
    for member in ["access_token", "refresh_token", "id_token"] {
        for bad in [
            r"a\nb",
            r"a\u0000",
            r"a\tb",
            "é",
            r"\u007f",
            r"\ud83d\ude00",
        ] {
            let body = if member == "access_token" {
                format!(r#"{{"access_token":"{bad}"}}"#)
            } else {
                format!(r#"{{"access_token":"at","{member}":"{bad}"}}"#)
            };
            assert_eq!(
                problem(&body),
                ResponseProblem::InvalidMember {
                    member,
                    reason: "holds a character outside RFC 6749's VSCHAR (%x20-7E)",
                },
                "{body}"
            );
        }
    }
}
