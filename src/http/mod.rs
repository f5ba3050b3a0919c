//! The HTTP exchange: the only module that names ureq, and the only I/O of a
//! request. One POST of a form body, its response read into a zeroized,
//! capped buffer; ureq's buffers wiped by [`wipe`]; transport failures told
//! apart by their type.

#[cfg(any(feature = "rustls", feature = "native-tls"))]
mod tls;
mod wipe;

#[cfg(any(feature = "rustls", feature = "native-tls"))]
pub(crate) use tls::Trust;

use std::io::Read;
use std::time::Duration;

use ureq::http::header;
use ureq::unversioned::transport::Connector as _;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ConfigError, Endpoint, Error, Setting, TransportError, TransportKind};
use crate::grant::{Reply, RetryAfter};
use crate::response::{ResponseError, ResponseProblem};

/// The `User-Agent` ropc sends.
pub const USER_AGENT: &str = concat!("ropc/", env!("CARGO_PKG_VERSION"));

/// Which proxy the client goes through.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) enum ProxyChoice {
    /// None (the default, whatever the environment says).
    #[default]
    None,
    /// `HTTPS_PROXY`/`ALL_PROXY`/`HTTP_PROXY` from the environment.
    FromEnv,
    /// This proxy URL.
    Url(String),
}

/// What the agent is built from.
pub(crate) struct Settings<'a> {
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    /// Refuse plain http (when the configured URLs are all https).
    pub(crate) https_only: bool,
    pub(crate) proxy: &'a ProxyChoice,
    #[cfg(any(feature = "rustls", feature = "native-tls"))]
    pub(crate) trust: &'a Trust,
}

/// A URL's scheme and host (without brackets), and whether it carries
/// credentials (`user:password@`); `None` when it is not an absolute URL.
pub(crate) struct UrlParts {
    pub(crate) scheme: String,
    pub(crate) host: String,
    pub(crate) has_userinfo: bool,
}

/// Splits an absolute URL (as `http`'s `Uri` reads it).
pub(crate) fn url_parts(url: &str) -> Option<UrlParts> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    let authority = uri.authority()?;
    Some(UrlParts {
        scheme: uri.scheme_str()?.to_owned(),
        host: authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        has_userinfo: authority.as_str().contains('@'),
    })
}

/// A keep-alive HTTP/1.1 client with ropc's settings.
pub(crate) struct Http {
    agent: ureq::Agent,
}

impl Http {
    pub(crate) fn new(settings: &Settings<'_>) -> Result<Http, Error> {
        let proxy = match settings.proxy {
            ProxyChoice::None => None,
            ProxyChoice::FromEnv => ureq::Proxy::try_from_env(),
            ProxyChoice::Url(url) => Some(
                ureq::Proxy::new(url)
                    .map_err(|_| ConfigError::new(Setting::Proxy, "is not a valid proxy URL"))?,
            ),
        };
        let config = ureq::Agent::config_builder()
            // A 3xx is returned as it is and refused: following a 307/308
            // would re-send the password to wherever it points.
            .max_redirects(0)
            // Non-2xx responses are read so the RFC 6749 §5.2 body is parsed.
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(USER_AGENT)
            .accept("application/json")
            // ureq's 128 KiB per-direction defaults are sized for downloads;
            // a token exchange needs far less, and ropc wipes (so touches)
            // every byte of them. The response cap is enforced separately.
            .input_buffer_size(32 * 1024)
            .output_buffer_size(16 * 1024)
            .max_response_header_size(16 * 1024)
            // Resolving and connecting get at most the whole request's
            // time, so that when they run out the error names that phase
            // (ureq reports the earliest deadline, a phase before the
            // global one on a tie): a failure known to come before
            // anything was sent is one that may be retried.
            .timeout_resolve(Some(settings.connect_timeout.min(settings.timeout)))
            .timeout_connect(Some(settings.connect_timeout.min(settings.timeout)))
            .timeout_global(Some(settings.timeout))
            .https_only(settings.https_only);
        #[cfg(any(feature = "rustls", feature = "native-tls"))]
        let config = config.tls_config(settings.trust.to_ureq()?);
        // ureq's default connectors, then the wrapper that wipes their
        // buffers; their failures to connect marked as such.
        let agent = ureq::Agent::with_parts(
            config.build(),
            Connecting(
                ureq::unversioned::transport::DefaultConnector::new().chain(wipe::WipeConnector),
            ),
            NameResolver::default(),
        );
        Ok(Http { agent })
    }

    /// POSTs a form body (with the `Authorization` header, if any, held in
    /// a zeroized buffer) and reads the reply, its body capped at `max`
    /// bytes into a zeroized buffer. Redirects and encoded bodies are not
    /// read: they are refused by what interprets the reply.
    pub(crate) fn post_form(
        &self,
        url: &str,
        body: &[u8],
        authorization: Option<Zeroizing<String>>,
        max: usize,
        endpoint: Endpoint,
    ) -> Result<Reply, Error> {
        // Header names as `http`'s constants, not text it must look up.
        let mut request = ureq::http::Request::post(url).header(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, sensitive_header(value)?);
        }
        self.exchange(request, body, max, endpoint)
    }

    /// GETs `url` (a provider's published key set) and reads the reply as
    /// [`post_form`](Self::post_form) does: the same agent (TLS, timeouts,
    /// no redirect followed), its body capped at `max` bytes.
    #[cfg(feature = "asymmetric")]
    pub(crate) fn get(&self, url: &str, max: usize, endpoint: Endpoint) -> Result<Reply, Error> {
        self.exchange(ureq::http::Request::get(url), &[], max, endpoint)
    }

    /// Sends one request through the one path both methods share (a GET
    /// goes with an empty body: `Content-Length: 0`), and reads its reply.
    fn exchange(
        &self,
        request: ureq::http::request::Builder,
        body: &[u8],
        max: usize,
        endpoint: Endpoint,
    ) -> Result<Reply, Error> {
        let request = request.body(body).map_err(|_| url_refused(endpoint))?;
        let response = self
            .agent
            .run(request)
            .map_err(|e| transport(e, endpoint))?;
        read_reply(response, max, endpoint)
    }
}

/// The URL of `endpoint` was refused by the HTTP client.
fn url_refused(endpoint: Endpoint) -> Error {
    let setting = match endpoint {
        Endpoint::Token => Setting::TokenUrl,
        Endpoint::Revocation => Setting::RevocationUrl,
        Endpoint::Jwks => Setting::Verification,
    };
    Error::Config(ConfigError::new(setting, "rejected by the HTTP client"))
}

/// The status, whether the body is content-encoded, and the body (unless a
/// redirect or encoded), read into a zeroized buffer of at most `max` bytes.
fn read_reply(
    mut response: ureq::http::Response<ureq::Body>,
    max: usize,
    endpoint: Endpoint,
) -> Result<Reply, Error> {
    let status = response.status().as_u16();
    let encoded = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
    let date = header("date").and_then(crate::grant::http_date);
    let retry_after = header("retry-after").and_then(RetryAfter::parse);
    let mut reply = Reply {
        status,
        encoded,
        body: Zeroizing::new(Vec::new()),
        date,
        retry_after,
    };
    if encoded || (300..400).contains(&status) {
        return Ok(reply);
    }
    reply.body = read_capped(
        response.body_mut().with_config().limit(u64::MAX).reader(),
        max,
    )
    .map_err(|e| match e {
        ReadError::TooLarge => Error::Response(ResponseError {
            problem: ResponseProblem::TooLarge { max },
            status: Some(status),
            excerpt: None,
            endpoint,
        }),
        ReadError::Io(e) => match io_kind(&e) {
            Some(kind) => Error::Transport(TransportError {
                kind,
                detail: match e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
                    Some(u) => detail(u, kind),
                    None => e.to_string(),
                },
                endpoint,
            }),
            None => Error::Response(ResponseError {
                problem: ResponseProblem::Truncated,
                status: Some(status),
                excerpt: None,
                endpoint,
            }),
        },
    })?;
    Ok(reply)
}

/// ureq's resolver, whose failures are reported as what they are: the name
/// could not be resolved ([`TransportKind::Dns`], so known to come before
/// anything was sent), not as an I/O error of unknown origin.
#[derive(Debug, Default)]
struct NameResolver(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for NameResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        self.0.resolve(uri, config, timeout).map_err(|e| match e {
            ureq::Error::Io(_) => ureq::Error::HostNotFound,
            e => e,
        })
    }
}

/// ureq's connectors, whose refused or unroutable connects are marked as
/// such ([`ConnectFailed`]): the kernel reports the same kinds of error on a
/// connected socket too (an ICMP error kept as the connection's soft error,
/// given when TCP gives up on a request it has sent), and only the connect
/// is known to come before anything was sent.
#[derive(Debug)]
struct Connecting<C>(C);

impl<C: ureq::unversioned::transport::Connector> ureq::unversioned::transport::Connector
    for Connecting<C>
{
    type Out = C::Out;

    fn connect(
        &self,
        details: &ureq::unversioned::transport::ConnectionDetails,
        chained: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        self.0.connect(details, chained).map_err(|e| match e {
            ureq::Error::Io(io) if unreachable(io.kind()) => {
                ureq::Error::Io(std::io::Error::new(io.kind(), ConnectFailed(io)))
            }
            e => e,
        })
    }
}

/// A connect refused, or that found no route: nothing was sent.
#[derive(Debug)]
struct ConnectFailed(std::io::Error);

impl std::fmt::Display for ConnectFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ConnectFailed {}

/// The kinds of I/O error of a connect that was refused or found no route.
fn unreachable(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        kind,
        K::ConnectionRefused
            | K::HostUnreachable
            | K::NetworkUnreachable
            | K::NetworkDown
            | K::AddrNotAvailable
    )
}

/// A header value backed by a zeroized buffer (moved, not copied): `http`
/// stores it as `Bytes` owning the buffer, so the value is wiped when ureq
/// drops the request. Marked sensitive, so `http` never prints it.
fn sensitive_header(value: Zeroizing<String>) -> Result<ureq::http::HeaderValue, Error> {
    let mut value = value;
    let bytes = Zeroizing::new(std::mem::take(&mut *value).into_bytes());
    let mut header = ureq::http::HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(bytes))
        .map_err(|_| ConfigError::new(Setting::ClientSecret, "cannot be sent in an HTTP header"))?;
    header.set_sensitive(true);
    Ok(header)
}

enum ReadError {
    TooLarge,
    Io(std::io::Error),
}

/// Reads at most `max` bytes into a zeroized buffer. The buffer grows by
/// replacement: each larger buffer is a fresh allocation and the old one is
/// wiped as it is dropped, so no unwiped copy is left behind.
fn read_capped(mut reader: impl Read, max: usize) -> Result<Zeroizing<Vec<u8>>, ReadError> {
    let mut out = Zeroizing::new(Vec::with_capacity(max.min(4096)));
    let mut chunk = Zeroizing::new([0u8; 4096]);
    loop {
        let n = match reader.read(&mut chunk[..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        if out.len() + n > max {
            return Err(ReadError::TooLarge);
        }
        if out.len() + n > out.capacity() {
            let wanted = (out.capacity() * 2).max(out.len() + n).min(max);
            let mut bigger = Zeroizing::new(Vec::with_capacity(wanted));
            bigger.extend_from_slice(&out);
            out = bigger;
        }
        out.extend_from_slice(&chunk[..n]);
    }
    chunk.zeroize();
    Ok(out)
}

fn transport(e: ureq::Error, endpoint: Endpoint) -> Error {
    let kind = match &e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => return url_refused(endpoint),
        // An answer came, but not well-formed HTTP (a bad status line,
        // oversized headers, broken chunking): a malformed response.
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => {
            let mut r = ResponseError::new(ResponseProblem::Protocol);
            r.endpoint = endpoint;
            return Error::Response(r);
        }
        other => transport_kind(other).unwrap_or(TransportKind::Io),
    };
    Error::Transport(TransportError {
        kind,
        detail: detail(&e, kind),
        endpoint,
    })
}

/// What a transport error says, without repeating its kind.
fn detail(e: &ureq::Error, kind: TransportKind) -> String {
    match (e, kind) {
        (ureq::Error::Timeout(which), _) => format!("the {which} timeout expired"),
        _ => e.to_string(),
    }
}

/// What kind of transport failure a ureq error is, by its type; `None`
/// for a malformed answer (not the transport's failure).
fn transport_kind(e: &ureq::Error) -> Option<TransportKind> {
    Some(match e {
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => return None,
        // Resolving and connecting come before anything is sent (the TLS
        // handshake comes with the first write, so it is not among them).
        ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect) => {
            TransportKind::ConnectTimeout
        }
        ureq::Error::Timeout(_) => TransportKind::Timeout,
        ureq::Error::HostNotFound => TransportKind::Dns,
        ureq::Error::ConnectionFailed => TransportKind::Connect,
        ureq::Error::Io(io) => return io_kind(io),
        ureq::Error::Tls(_) => TransportKind::Tls,
        #[cfg(feature = "rustls")]
        ureq::Error::Rustls(_) => TransportKind::Tls,
        #[cfg(feature = "native-tls")]
        ureq::Error::NativeTls(_) => TransportKind::Tls,
        ureq::Error::InvalidProxyUrl | ureq::Error::ConnectProxyFailed(_) => TransportKind::Proxy,
        _ => TransportKind::Io,
    })
}

/// What kind of transport failure an `io::Error` is: by the error it wraps
/// when it wraps one (ureq wraps its own errors, a timeout among them, and
/// rustls its alerts and certificate failures), otherwise by its kind.
/// `None` for an I/O error that is not the transport's (a body cut short).
fn io_kind(e: &std::io::Error) -> Option<TransportKind> {
    use std::io::ErrorKind as K;
    if let Some(u) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>()) {
        return transport_kind(u);
    }
    #[cfg(feature = "rustls")]
    if e.get_ref().is_some_and(|i| i.is::<rustls::Error>()) {
        return Some(TransportKind::Tls);
    }
    match e.kind() {
        K::TimedOut | K::WouldBlock => Some(TransportKind::Timeout),
        // A connect refused, or that found no route: nothing was sent.
        kind if unreachable(kind) && e.get_ref().is_some_and(|i| i.is::<ConnectFailed>()) => {
            Some(TransportKind::Connect)
        }
        // The same kinds once connected (the request written, or its answer
        // awaited or read): it may have been received.
        kind if unreachable(kind) => Some(TransportKind::Io),
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => Some(TransportKind::Io),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_capped_stops_at_the_cap() {
        let data = vec![7u8; 10_000];
        assert_eq!(
            read_capped(&data[..], 10_000).ok().map(|v| v.len()),
            Some(10_000)
        );
        assert!(matches!(
            read_capped(&data[..], 9_999),
            Err(ReadError::TooLarge)
        ));
        assert_eq!(read_capped(&b""[..], 1).ok().map(|v| v.len()), Some(0));
    }

    /// Kinds of I/O error a connect reports when it fails (refused, no
    /// route); the kernel can report them on a connected socket too (an
    /// ICMP error kept as the connection's soft error, given when TCP gives
    /// up on a request it had sent).
    const UNREACHABLE: [std::io::ErrorKind; 5] = [
        std::io::ErrorKind::ConnectionRefused,
        std::io::ErrorKind::HostUnreachable,
        std::io::ErrorKind::NetworkUnreachable,
        std::io::ErrorKind::NetworkDown,
        std::io::ErrorKind::AddrNotAvailable,
    ];

    #[test]
    fn an_unreachable_error_once_connected_may_have_reached_the_provider() {
        for kind in UNREACHABLE {
            // From the connect: nothing was sent.
            let connect = std::io::Error::new(kind, ConnectFailed(kind.into()));
            let e = transport(ureq::Error::Io(connect), Endpoint::Token);
            assert!(!e.may_have_reached_provider(), "{kind:?}: {e:?}");
            // Writing the request or awaiting its answer.
            let e = transport(ureq::Error::Io(kind.into()), Endpoint::Token);
            assert!(e.may_have_reached_provider(), "{kind:?}: {e:?}");
            // Reading the body of an answer: the request was received.
            let body = ureq::Body::builder().reader(Failing(kind));
            let response = ureq::http::Response::builder()
                .status(200)
                .body(body)
                .unwrap();
            let e = read_reply(response, 1024, Endpoint::Token).err().unwrap();
            assert!(e.may_have_reached_provider(), "{kind:?}: {e:?}");
        }
    }

    /// A body whose every read fails with one kind of error.
    struct Failing(std::io::ErrorKind);

    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }
    }

    #[test]
    fn url_parts_reads_scheme_host_and_userinfo() {
        let p = url_parts("https://u:p@[::1]:8443/t").unwrap();
        assert_eq!((p.scheme.as_str(), p.host.as_str()), ("https", "::1"));
        assert!(p.has_userinfo);
        assert!(url_parts("id.example/token").is_none());
        assert!(url_parts("").is_none());
    }
}
