//! Encodings and checksums, exact: base64 and base32 (standard alphabets, padded),
//! SHA-1, SHA-256 (hex) and Adler-32 (decimal), as sprig prints them.

use super::args::{exactly, string, text, FnResult};
use crate::{FuncMap, Value};
use base64::Engine as _;
use sha1::Digest as _;

pub fn register(m: &mut FuncMap) {
    m.insert("b64enc", |_, a| {
        one(a, "b64enc", |s| base64_std().encode(s))
    });
    m.insert("b64dec", |_, a| one(a, "b64dec", b64dec));
    m.insert("b32enc", |_, a| {
        one(a, "b32enc", |s| base32_encode(s.as_bytes()))
    });
    m.insert("b32dec", |_, a| one(a, "b32dec", b32dec));
    m.insert("sha1sum", |_, a| {
        one(a, "sha1sum", |s| {
            hex::encode(sha1::Sha1::digest(s.as_bytes()))
        })
    });
    m.insert("sha256sum", |_, a| {
        one(a, "sha256sum", |s| {
            hex::encode(sha2::Sha256::digest(s.as_bytes()))
        })
    });
    m.insert("adler32sum", |_, a| {
        one(a, "adler32sum", |s| adler32(s.as_bytes()).to_string())
    });
}

fn one(a: &[Value], name: &str, f: impl Fn(&str) -> String) -> FnResult {
    exactly(a, 1, name)?;
    text(f(string(&a[0])?))
}

pub fn base64_std() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Go's `base64.StdEncoding.DecodeString`; on failure sprig returns the error text.
/// Go skips `\r` and `\n` in the input.
pub fn b64_decode(s: &str) -> Result<Vec<u8>, String> {
    let clean: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    base64_std().decode(clean.as_bytes()).map_err(|e| {
        let at = match e {
            base64::DecodeError::InvalidByte(at, _) => at,
            _ => clean.len() - clean.len() % 4,
        };
        format!("illegal base64 data at input byte {at}")
    })
}

fn b64dec(s: &str) -> String {
    match b64_decode(s) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => e,
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = buf.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(char::from(BASE32[((bits >> (35 - 5 * i)) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString`, with its error wording.
pub fn base32_decode(s: &str) -> Result<Vec<u8>, String> {
    let clean: Vec<u8> = s.bytes().filter(|c| *c != b'\r' && *c != b'\n').collect();
    if clean.len() % 8 != 0 {
        let at = clean.len() - clean.len() % 8;
        return Err(format!("illegal base32 data at input byte {at}"));
    }
    let mut out = Vec::with_capacity(clean.len() / 8 * 5);
    for (n, chunk) in clean.chunks(8).enumerate() {
        let pad = chunk.iter().rev().take_while(|c| **c == b'=').count();
        let data_len = 8 - pad;
        let bytes = match data_len {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            2 => 1,
            _ => {
                return Err(format!(
                    "illegal base32 data at input byte {}",
                    n * 8 + data_len
                ))
            }
        };
        if pad > 0 && n != clean.len() / 8 - 1 {
            return Err(format!(
                "illegal base32 data at input byte {}",
                n * 8 + data_len
            ));
        }
        let mut bits = 0u64;
        for (i, &c) in chunk.iter().enumerate() {
            let v = if i < data_len {
                match BASE32.iter().position(|&b| b == c) {
                    Some(v) => v as u64,
                    None => return Err(format!("illegal base32 data at input byte {}", n * 8 + i)),
                }
            } else {
                0
            };
            bits = (bits << 5) | v;
        }
        for i in 0..bytes {
            out.push((bits >> (32 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

fn b32dec(s: &str) -> String {
    match base32_decode(s) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => e,
    }
}

pub fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}
