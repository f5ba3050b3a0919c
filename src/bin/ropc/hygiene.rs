//! Leaving no secret behind in the `ropc` process: what the library's own
//! wiping cannot reach.
//!
//! * Every heap block is wiped when it is freed: the global allocator is
//!   `zeroizing_alloc::ZeroAlloc` around the system allocator (the buffers
//!   of rustls, ureq's connection pool, serde_json's scratch space, every
//!   `String` std makes along the way).
//! * The main thread's stack is overwritten before the process exits: copies
//!   made by code ropc does not control (the HMAC key block, base64's chunk
//!   buffer, TLS records being decrypted) stay there otherwise, below the
//!   frames still in use, until something else happens to reuse the space.
//! * A client secret given in `ROPC_CLIENT_SECRET` is overwritten in the
//!   process's environment block once it has been read (Linux: through
//!   `/proc/self/mem`, see below; elsewhere it stays, and the crate docs'
//!   "Security considerations" say to use `ROPC_CLIENT_SECRET_FILE`).
//!
//! The library never sets a global allocator; a program linking ropc does
//! the same as this one to get the same guarantees (see the crate docs).
//!
//! # Writing `/proc/self/mem` is unsafe code without the keyword
//!
//! [`wipe_env_value`] is memory surgery through the kernel: it writes bytes
//! of this process's own memory through a file, at an address it worked out
//! itself. The compiler sees none of it. Rust's safety rests on every write
//! going through the type system; this one could as well overwrite any
//! live value, one behind a `&` reference or an immutable `static`, or
//! (the kernel writes even read-only pages through this file, as debuggers
//! do) code. That is what an `unsafe` raw-pointer write does, and it is as
//! unchecked: `#![forbid(unsafe_code)]` forbids the keyword, not this, and
//! this is the one place in the binary that steps outside Rust's safety
//! model. Its soundness rests on an argument the compiler does not check:
//!
//! * what is written is the value bytes of one variable inside the
//!   environment block: where the block starts and ends comes from the
//!   kernel (`env_start`, `env_end` in `/proc/self/stat`), and the entries
//!   are found in `/proc/self/environ`, the same memory read back through
//!   the kernel;
//! * no Rust value owns or borrows those bytes: std reads a variable with
//!   libc's `getenv` and copies it into a `String` of its own, and the
//!   secret has been copied out before the write; libc's `environ` still
//!   points at the block, so the variable reads as empty afterwards (which
//!   ropc takes for unset);
//! * nothing reads the block meanwhile: it is written while the
//!   configuration is read, before any request, from the main thread while
//!   the process has no other (the only thread ever started is ureq's, for
//!   a name lookup during a request, later).
//!
//! It is best effort: it is a write to ordinary, writable memory, which the
//! kernel allows a process to do to itself, and nothing more is promised.
//! Where `/proc` is not mounted, where the process is not dumpable (a
//! set-user-ID or file-capability program: `/proc/self/mem` is then root's),
//! where an LSM policy (SELinux, AppArmor) or a seccomp filter refuses the
//! open, or on a kernel hardened against writes to `/proc/PID/mem`, the
//! write does not happen: [`wipe_env_value`] returns `false`, nothing else
//! changes, and the copy stays. And it shortens the exposure, it does not
//! end it: until the write, and for the life of whatever started ropc (a
//! shell, a service manager), the value is readable where it was
//! (`/proc/PID/environ` for the same user and root, a core dump).
//!
//! Why it is still done: the environment block lives as long as the
//! process, and `ropc access` can run for minutes on a flaky link, with
//! the client secret readable in `/proc/PID/environ` all along. There is no
//! system call that wipes it: the choice is between this, an `unsafe` write
//! through libc's `environ` (the same effect, with the keyword), and
//! leaving it. A write through the kernel at least cannot crash the process
//! on a bad address (the write fails instead), and the one place that does
//! it is this file. `ROPC_CLIENT_SECRET_FILE` needs none of it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};

use zeroize::Zeroize;

// `--cfg ropc_no_hygiene` builds the binary without the wiping allocator and
// the stack scrub, only so that `examples/footprint.sh` can measure what they
// cost. Never ship such a build.
#[cfg(not(ropc_no_hygiene))]
#[global_allocator]
static WIPE_ON_FREE: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

/// The stack overwritten when the depth in use cannot be read: 256 KiB.
const DEFAULT_SCRUB: usize = 256 * 1024;
/// Never more than this (well inside the usual 8 MiB stack limit).
const MAX_SCRUB: usize = 4 * 1024 * 1024;
const CHUNK: usize = 16 * 1024;

/// Overwrites the main thread's stack below the caller, as deep as the
/// process has ever used it (`VmStk`), with zeros.
#[inline(never)]
pub fn scrub_stack() {
    if cfg!(ropc_no_hygiene) {
        return;
    }
    let depth = stack_in_use().unwrap_or(DEFAULT_SCRUB).min(MAX_SCRUB);
    scrub(depth.div_ceil(CHUNK));
}

/// One frame of zeros per call, `chunks` frames deep. The zeroing is
/// volatile and the block is used after the recursive call, so neither the
/// writes nor the frames can be optimised away.
#[inline(never)]
fn scrub(chunks: usize) {
    let mut block = [0xA5u8; CHUNK];
    block.zeroize();
    std::hint::black_box(&mut block);
    if chunks > 1 {
        scrub(chunks - 1);
    }
    std::hint::black_box(&block);
}

/// The size of the main thread's stack mapping, which grows as deep as the
/// stack has been used and never shrinks (`VmStk` in `/proc/self/status`).
fn stack_in_use() -> Option<usize> {
    let mut status = String::new();
    File::open("/proc/self/status")
        .ok()?
        .take(64 * 1024)
        .read_to_string(&mut status)
        .ok()?;
    let line = status.lines().find(|l| l.starts_with("VmStk:"))?;
    let kib: usize = line
        .trim_start_matches("VmStk:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

/// Overwrites the value of `name` in the environment block the kernel gave
/// the process (Linux), by writing `/proc/self/mem`: unsafe in effect, see
/// the module docs for why it is sound here and where it is refused. Best
/// effort: `false` when it could not be done. Call it only once the value
/// has been copied out, from the main thread with no other thread running;
/// afterwards the variable reads as empty.
pub fn wipe_env_value(name: &str) -> bool {
    wipe_env_value_inner(name).is_some()
}

fn wipe_env_value_inner(name: &str) -> Option<()> {
    // Fields 50 and 51 of /proc/self/stat: where the block starts and ends.
    let mut stat = String::new();
    File::open("/proc/self/stat")
        .ok()?
        .take(4096)
        .read_to_string(&mut stat)
        .ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // `after_comm` starts with field 3 (the state).
    let env_start: u64 = fields.get(50 - 3)?.parse().ok()?;
    let env_end: u64 = fields.get(51 - 3)?.parse().ok()?;
    // /proc/self/environ is that same memory, read through the kernel.
    let mut environ = zeroize::Zeroizing::new(Vec::new());
    File::open("/proc/self/environ")
        .ok()?
        .take(env_end.saturating_sub(env_start))
        .read_to_end(&mut environ)
        .ok()?;
    let mut mem = OpenOptions::new().write(true).open("/proc/self/mem").ok()?;
    let prefix = format!("{name}=");
    let mut offset = 0usize;
    let mut wiped = false;
    for entry in environ.split(|b| *b == 0) {
        if entry.starts_with(prefix.as_bytes()) {
            let value_at = env_start + u64::try_from(offset + prefix.len()).ok()?;
            let zeros = vec![0u8; entry.len() - prefix.len()];
            mem.seek(SeekFrom::Start(value_at)).ok()?;
            mem.write_all(&zeros).ok()?;
            wiped = true;
        }
        offset += entry.len() + 1;
    }
    wiped.then_some(())
}
