//! Strict base64url without padding (RFC 4648 §5, RFC 7515 §2): the
//! alphabet `A-Z a-z 0-9 - _` only, no `=`, no whitespace, a length that is
//! not 1 mod 4, and zero unused bits in the last character — what the
//! `base64` crate's `URL_SAFE_NO_PAD` accepts (a test holds the two to the
//! same answers), about 1.4 times as fast on a token's payload: after the
//! HMAC it is the largest cost of verification. Four 1 KiB tables, one per
//! position in a group, so a group is four loads and three ors; one table
//! shifted into place measured 30% slower.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Set in a table entry for a byte outside the alphabet.
const INVALID: u32 = 0xFF00_0000;

/// A character's six bits, shifted into place in a 24-bit group.
const fn table(shift: u32) -> [u32; 256] {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = (i as u32) << shift;
        i += 1;
    }
    t
}

static T0: [u32; 256] = table(18);
static T1: [u32; 256] = table(12);
static T2: [u32; 256] = table(6);
static T3: [u32; 256] = table(0);

/// The decoded length of `len` characters (the length must also be
/// accepted by [`decode`]).
pub(super) fn decoded_len(len: usize) -> usize {
    len / 4 * 3 + [0, 0, 1, 2][len % 4]
}

fn group(c: &[u8]) -> u32 {
    T0[usize::from(c[0])] | T1[usize::from(c[1])] | T2[usize::from(c[2])] | T3[usize::from(c[3])]
}

/// Decodes `text` into the start of `out`; the number of bytes, or
/// `None` when `text` is not strict base64url or `out` is too short.
pub(super) fn decode(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let n = decoded_len(text.len());
    if text.len() % 4 == 1 || out.len() < n {
        return None;
    }
    let mut bad = 0u32;
    let mut eights = text.chunks_exact(8);
    let mut sixes = out.chunks_exact_mut(6);
    for (c, o) in (&mut eights).zip(&mut sixes) {
        let a = group(&c[..4]);
        let b = group(&c[4..]);
        bad |= a | b;
        let w = (u64::from(a) << 24 | u64::from(b)).to_be_bytes();
        o.copy_from_slice(&w[2..]);
    }
    let rest = eights.remainder();
    let done = (text.len() - rest.len()) / 4 * 3;
    let out = &mut out[done..n];
    let (rest, out) = if rest.len() >= 4 {
        let a = group(&rest[..4]);
        bad |= a;
        out[..3].copy_from_slice(&a.to_be_bytes()[1..]);
        (&rest[4..], &mut out[3..])
    } else {
        (rest, out)
    };
    match *rest {
        [] => {}
        [c0, c1] => {
            let v = T0[usize::from(c0)] | T1[usize::from(c1)];
            // The last character's four unused bits must be zero.
            bad |= v | (v & 0xF000) << 16;
            out[0] = (v >> 16) as u8;
        }
        [c0, c1, c2] => {
            let v = T0[usize::from(c0)] | T1[usize::from(c1)] | T2[usize::from(c2)];
            // The last character's two unused bits must be zero.
            bad |= v | (v & 0xC0) << 24;
            out[0] = (v >> 16) as u8;
            out[1] = (v >> 8) as u8;
        }
        _ => return None,
    }
    if bad & INVALID == 0 { Some(n) } else { None }
}
