//! The HTTP/1.1 side: the accept loop, reading requests, writing replies.
//! What a request means is [`super::endpoint`]'s business.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use zeroize::Zeroizing;

use super::wire::{Outcome, Reply, Request};
use super::{Acceptor, DateHeader, Shared, Stream, endpoint, lock};
use crate::jwt::MAX_NUMERIC_DATE;
use std::sync::PoisonError;

/// Largest request head and body the provider reads.
const MAX_HEAD: usize = 16 * 1024;
const MAX_BODY: usize = 64 * 1024;

/// Accepts connections until the provider stops, serving each on its own
/// thread.
pub(super) fn accept_loop(
    listener: TcpListener,
    shared: &Arc<Shared>,
    acceptor: Option<&Acceptor>,
) {
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    let mut listener = Some(listener);
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        // Refusing: the listener is closed (so connections are refused),
        // until the port is to be opened again.
        if lock(&shared.refusing).0 {
            listener = None;
            let mut flags = lock(&shared.refusing);
            flags.1 = true;
            shared.listener_changed.notify_all();
            while flags.0 && !shared.stop.load(Ordering::SeqCst) {
                flags = shared
                    .listener_changed
                    .wait(flags)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            drop(flags);
            if shared.stop.load(Ordering::SeqCst) {
                break;
            }
        }
        if listener.is_none() {
            listener = rebind(addr);
            let mut flags = lock(&shared.refusing);
            flags.1 = false;
            shared.listener_changed.notify_all();
            drop(flags);
            if listener.is_none() {
                break;
            }
        }
        let Some(l) = &listener else { break };
        let Ok((tcp, _)) = l.accept() else { continue };
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        if lock(&shared.refusing).0 {
            // The wake-up connection of `refuse_connections`.
            continue;
        }
        {
            let mut state = lock(&shared.state);
            if state.drop_connections > 0 {
                // Closed unread: the client may have sent its request.
                state.drop_connections -= 1;
                drop(state);
                drop(tcp);
                continue;
            }
        }
        let n = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
        let shared = shared.clone();
        let acceptor = acceptor.cloned();
        let _ = std::thread::Builder::new()
            .name("ropc-provider-conn".into())
            .spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = tcp.set_write_timeout(Some(Duration::from_secs(5)));
                let _ = tcp.set_nodelay(true);
                let stream: Box<dyn Stream> = match acceptor {
                    Some(a) => match a(tcp) {
                        Ok(s) => s,
                        Err(_) => return,
                    },
                    None => Box::new(tcp),
                };
                serve(stream, &shared, n);
            });
    }
}

/// The same address bound again (a few tries: the port may linger a moment).
fn rebind(addr: std::net::SocketAddr) -> Option<TcpListener> {
    for _ in 0..50 {
        if let Ok(l) = TcpListener::bind(addr) {
            return Some(l);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The `Date` header to send now, if any (an IMF-fixdate).
fn date_header(shared: &Shared) -> Option<String> {
    let config = lock(&shared.config);
    let at = match config.date {
        DateHeader::Clock => config.clock.now(),
        DateHeader::Fixed(at) => at,
        DateHeader::None => return None,
    };
    drop(config);
    let secs = u64::try_from(at)
        .ok()
        .filter(|&s| s <= MAX_NUMERIC_DATE.unsigned_abs())?;
    Some(httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + Duration::from_secs(secs),
    ))
}

/// Answers the requests of one connection, in order, until it closes.
fn serve(mut stream: Box<dyn Stream>, shared: &Shared, connection: usize) {
    let mut pending = Zeroizing::new(Vec::with_capacity(MAX_HEAD + MAX_BODY));
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(request) = read_request(&mut stream, &mut pending) else {
            return;
        };
        let reply = match endpoint::handle(&request, shared, connection) {
            Outcome::Reply(mut r) => {
                if let Some(date) = date_header(shared) {
                    r.headers.push(("Date", date));
                }
                r
            }
            Outcome::Close => return,
            Outcome::Truncate(r) => {
                let _ = write_reply(&mut stream, &r, Some(r.body.len() * 2), true);
                return;
            }
            Outcome::Drip(r, pause) => {
                let _ = drip_reply(&mut stream, &r, pause);
                return;
            }
        };
        if write_reply(&mut stream, &reply, None, request.close).is_err() || request.close {
            return;
        }
    }
}

/// Writes the head, then the body one byte at a time, pausing between bytes
/// until the body is sent, the client goes away or the provider stops.
fn drip_reply(stream: &mut Box<dyn Stream>, reply: &Reply, pause: Duration) -> io::Result<()> {
    stream.write_all(head(reply, reply.body.len(), true).as_bytes())?;
    for byte in reply.body.iter() {
        std::thread::sleep(pause);
        stream.write_all(std::slice::from_ref(byte))?;
        stream.flush()?;
    }
    Ok(())
}

/// Writes `reply` in one piece; with `announce`, announces that many body
/// bytes and sends half of the body.
fn write_reply(
    stream: &mut Box<dyn Stream>,
    reply: &Reply,
    announce: Option<usize>,
    close: bool,
) -> io::Result<()> {
    let head = head(reply, announce.unwrap_or(reply.body.len()), close);
    let body: &[u8] = if announce.is_some() {
        &reply.body[..reply.body.len() / 2]
    } else {
        &reply.body
    };
    let mut out = Zeroizing::new(Vec::with_capacity(head.len() + body.len()));
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    stream.flush()
}

/// The status line and headers of `reply`, announcing `length` body bytes.
fn head(reply: &Reply, length: usize, close: bool) -> String {
    let reason = match reply.status {
        200 => "OK",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", reply.status);
    for (name, value) in &reply.headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "Content-Length: {length}\r\n");
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    head
}

/// Reads one request; `None` on EOF, timeout or a request too broken to
/// answer.
fn read_request(stream: &mut Box<dyn Stream>, buf: &mut Zeroizing<Vec<u8>>) -> Option<Request> {
    let mut chunk = Zeroizing::new([0u8; 4096]);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut chunk[..]).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let version = parts.next()?;
    let mut headers = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (n, v) = line.split_once(':')?;
        headers.push((n.trim().to_owned(), Zeroizing::new(v.trim().to_owned())));
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Zeroizing::new(Vec::new()),
        close: version != "HTTP/1.1",
    };
    if request
        .header("connection")
        .is_some_and(|c| c.eq_ignore_ascii_case("close"))
    {
        request.close = true;
    }
    let len: usize = match request.header("content-length") {
        Some(v) => v.parse().ok()?,
        None => 0,
    };
    if len > MAX_BODY || request.header("transfer-encoding").is_some() {
        return None;
    }
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk[..]).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut body = Zeroizing::new(Vec::with_capacity(len));
    body.extend_from_slice(&buf[head_end..head_end + len]);
    request.body = body;
    // Keep what follows (a pipelined request), wiping what was consumed.
    let rest = Zeroizing::new(buf[head_end + len..].to_vec());
    zeroize::Zeroize::zeroize(&mut **buf);
    buf.extend_from_slice(&rest);
    Some(request)
}
