//! A ureq transport wrapper that wipes ureq's I/O buffers.
//!
//! ureq reads and writes every HTTP exchange through two buffers per
//! connection (`LazyBuffers`: 128 KiB in, 128 KiB out by default). For a
//! token request they hold the form body with the password, the
//! `Authorization` header with the client secret, and the response with the
//! tokens; ureq frees them without wiping. [`WipeConnector`] is chained last
//! in ureq's connector chain, so it wraps the transport that holds the
//! plaintext (the TCP transport for `http`, the TLS transport for `https`),
//! and:
//!
//! * zeroes what was written to the output buffer as soon as it has been
//!   transmitted;
//! * zeroes the whole input buffer, once its content has been consumed, when
//!   the connection is next used (so a response sits in a pooled
//!   connection's buffer until the next request or the connection's end);
//! * zeroes both when the connection is dropped (a [`Client`](crate::Client)
//!   drop, an idle timeout, an error).
//!
//! What it cannot reach: the TLS library's own buffers (rustls keeps
//! received plaintext in its own queue; OpenSSL likewise), and the kernel's
//! socket buffers.
//!
//! This uses ureq's `unversioned` transport API, which ureq exempts from its
//! semver promise: the ureq version is pinned in Cargo.toml's lock file and a
//! test counts the residue, so a change there shows up as a test failure.

use std::fmt;

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// Chains after ureq's default connectors and wraps their transport in a
/// [`WipeTransport`].
#[derive(Debug, Default)]
pub(crate) struct WipeConnector;

impl Connector<Box<dyn Transport>> for WipeConnector {
    type Out = WipeTransport;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| WipeTransport { inner }))
    }
}

/// A transport whose buffers are wiped after use and on drop.
pub(crate) struct WipeTransport {
    inner: Box<dyn Transport>,
}

impl fmt::Debug for WipeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WipeTransport")
            .field("inner", &self.inner)
            .finish()
    }
}

/// Zeroes the whole input buffer when everything in it has been consumed
/// (ureq's buffer then hands out its full length as free space). Input not yet
/// consumed is left alone: ureq still needs it.
fn wipe_consumed_input(buffers: &mut dyn Buffers) {
    if buffers.input().is_empty() {
        buffers.input_append_buf().fill(0);
    }
}

impl Transport for WipeTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        // A new request starts by writing: the last response, consumed by
        // now, is wiped first.
        wipe_consumed_input(self.inner.buffers());
        let result = self.inner.transmit_output(amount, timeout);
        // Sent (or failed): either way the bytes are no longer needed.
        let output = self.inner.buffers().output();
        let end = amount.min(output.len());
        output[..end].fill(0);
        result
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        wipe_consumed_input(self.inner.buffers());
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

impl Drop for WipeTransport {
    fn drop(&mut self) {
        let buffers = self.inner.buffers();
        buffers.output().fill(0);
        let unconsumed = buffers.input().len();
        buffers.input_consume(unconsumed);
        buffers.input_append_buf().fill(0);
    }
}
