//! sprig's random and cryptographic functions, made reproducible. Rendering must give the
//! same bytes on every run and ferry has no crypto library, so:
//! - `randAlpha`, `randAlphaNum`, `randNumeric`, `randAscii`, `randBytes`, `uuidv4` return
//!   strings of the right length and alphabet drawn from a stream seeded by the arguments;
//! - `genPrivateKey`, `genCA`, `genSelfSignedCert`, `genSignedCert` (and `…WithKey`) return
//!   PEM-shaped text (right BEGIN/END lines, base64 body) whose body decodes to the words
//!   "ferry placeholder, not a key/certificate": never usable, never secret;
//! - `bcrypt` and `htpasswd` return `$2a$10$…` strings of bcrypt's shape;
//! - `derivePassword` returns a fixed-shape password seeded by its arguments;
//! - `encryptAES` returns base64 of a marked, reversible wrapping that `decryptAES` undoes.
//!
//! Only the images in rendered objects matter to ferry, and none of these feed an image.

use super::args::{exactly, int, string, text, FnResult};
use super::det::Stream;
use super::encoding::{b64_decode, base64_std};
use crate::bound::check_text_size;
use crate::{FuncError, FuncMap, Value};
use base64::Engine as _;

pub fn register(m: &mut FuncMap) {
    m.insert("randAlphaNum", |_, a| random_text(a, "randAlphaNum", ALNUM));
    m.insert("randAlpha", |_, a| random_text(a, "randAlpha", ALPHA));
    m.insert("randNumeric", |_, a| {
        random_text(a, "randNumeric", b"0123456789")
    });
    m.insert("randAscii", |_, a| {
        random_text(a, "randAscii", &ASCII_PRINTABLE)
    });
    m.insert("randBytes", |_, a| {
        exactly(a, 1, "randBytes")?;
        let n = int(&a[0])?.max(0);
        let n = check_text_size("randBytes", usize::try_from(n).ok())?;
        text(base64_std().encode(Stream::new(&format!("randBytes {n}")).bytes(n)))
    });
    m.insert("uuidv4", |_, a| {
        exactly(a, 0, "uuidv4")?;
        text(uuid_v4(&mut Stream::new("uuidv4")))
    });
    m.insert("bcrypt", |_, a| {
        exactly(a, 1, "bcrypt")?;
        text(bcrypt_shaped(string(&a[0])?))
    });
    m.insert("htpasswd", htpasswd);
    m.insert("derivePassword", derive_password);
    m.insert("genPrivateKey", |_, a| {
        exactly(a, 1, "genPrivateKey")?;
        let typ = string(&a[0])?;
        match key_block(typ) {
            Some(block) => text(placeholder_pem(block, "key", typ)),
            None => text(format!("Unknown type {typ}")),
        }
    });
    m.insert("genCA", |_, a| {
        exactly(a, 2, "genCA")?;
        let cn = string(&a[0])?;
        int(&a[1])?;
        Ok(cert_pair(cn, None, "ca"))
    });
    m.insert("genCAWithKey", |_, a| {
        exactly(a, 3, "genCAWithKey")?;
        int(&a[1])?;
        Ok(cert_pair(string(&a[0])?, Some(string(&a[2])?), "ca"))
    });
    m.insert("genSelfSignedCert", |_, a| {
        exactly(a, 4, "genSelfSignedCert")?;
        int(&a[3])?;
        Ok(cert_pair(string(&a[0])?, None, "self-signed"))
    });
    m.insert("genSelfSignedCertWithKey", |_, a| {
        exactly(a, 5, "genSelfSignedCertWithKey")?;
        int(&a[3])?;
        Ok(cert_pair(
            string(&a[0])?,
            Some(string(&a[4])?),
            "self-signed",
        ))
    });
    m.insert("genSignedCert", |_, a| {
        exactly(a, 5, "genSignedCert")?;
        int(&a[3])?;
        Ok(cert_pair(string(&a[0])?, None, "signed"))
    });
    m.insert("genSignedCertWithKey", |_, a| {
        exactly(a, 6, "genSignedCertWithKey")?;
        int(&a[3])?;
        Ok(cert_pair(string(&a[0])?, Some(string(&a[5])?), "signed"))
    });
    m.insert("buildCustomCert", |_, a| {
        exactly(a, 2, "buildCustomCert")?;
        let decode = |v: &Value| -> Result<String, FuncError> {
            let bytes = b64_decode(string(v)?).map_err(FuncError)?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        };
        Ok(certificate(decode(&a[0])?, decode(&a[1])?))
    });
    m.insert("encryptAES", |_, a| {
        exactly(a, 2, "encryptAES")?;
        let (_password, plain) = (string(&a[0])?, string(&a[1])?);
        text(base64_std().encode(format!("{AES_MARK}{plain}")))
    });
    m.insert("decryptAES", |_, a| {
        exactly(a, 2, "decryptAES")?;
        let bytes = b64_decode(string(&a[1])?).map_err(FuncError)?;
        let s = String::from_utf8_lossy(&bytes).into_owned();
        match s.strip_prefix(AES_MARK) {
            Some(plain) => text(plain),
            None => Err(FuncError::new(
                "ferry cannot decrypt: only its own encryptAES placeholders round-trip",
            )),
        }
    });
}

const AES_MARK: &str = "ferry placeholder, not encrypted: ";
const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ASCII_PRINTABLE: [u8; 95] = {
    let mut a = [0u8; 95];
    let mut i = 0;
    while i < 95 {
        a[i] = 32 + i as u8;
        i += 1;
    }
    a
};
const BCRYPT_ALPHABET: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn random_text(a: &[Value], name: &str, alphabet: &[u8]) -> FnResult {
    exactly(a, 1, name)?;
    let n = int(&a[0])?;
    if n < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let len = check_text_size(name, usize::try_from(n).ok())?;
    text(Stream::new(&format!("{name} {n}")).string_from(alphabet, len))
}

fn uuid_v4(s: &mut Stream) -> String {
    let mut b = s.bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn bcrypt_shaped(input: &str) -> String {
    let body = Stream::new(&format!("bcrypt {input}")).string_from(BCRYPT_ALPHABET, 53);
    format!("$2a$10${body}")
}

/// `htpasswd USER PASSWORD` (sprig 3.3, as Helm 3 has it: bcrypt only).
fn htpasswd(_: &mut dyn crate::Runtime, a: &[Value]) -> FnResult {
    exactly(a, 2, "htpasswd")?;
    let (user, pass) = (string(&a[0])?, string(&a[1])?);
    if user.contains(':') {
        return text(format!("invalid username: {user}"));
    }
    text(format!("{user}:{}", bcrypt_shaped(pass)))
}

fn derive_password(_: &mut dyn crate::Runtime, a: &[Value]) -> FnResult {
    exactly(a, 5, "derivePassword")?;
    let counter = int(&a[0])?;
    let (kind, password, user, site) = (
        string(&a[1])?,
        string(&a[2])?,
        string(&a[3])?,
        string(&a[4])?,
    );
    let len = match kind {
        "maximum" => 20,
        "long" => 14,
        "medium" => 8,
        "short" => 4,
        "basic" => 8,
        "pin" => 4,
        _ => return Err(FuncError(format!("cannot find password template {kind}"))),
    };
    let alphabet: &[u8] = if kind == "pin" { b"0123456789" } else { ALNUM };
    let mut s = Stream::new(&format!(
        "derivePassword {counter} {kind} {password} {user} {site}"
    ));
    text(s.string_from(alphabet, len))
}

fn key_block(typ: &str) -> Option<&'static str> {
    match typ {
        "rsa" => Some("RSA PRIVATE KEY"),
        "dsa" => Some("DSA PRIVATE KEY"),
        "ecdsa" => Some("EC PRIVATE KEY"),
        "ed25519" => Some("PRIVATE KEY"),
        _ => None,
    }
}

/// A PEM block whose base64 body decodes to a statement that it is a placeholder.
fn placeholder_pem(block: &str, what: &str, seed: &str) -> String {
    let mut body = format!("ferry placeholder, not a {what} ({seed}); ").into_bytes();
    body.extend(Stream::new(&format!("pem {block} {seed}")).bytes(48));
    let b64 = base64_std().encode(body);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {block}-----\n{}\n-----END {block}-----\n",
        lines.join("\n")
    )
}

fn certificate(cert: String, key: String) -> Value {
    Value::map_from([
        ("Cert".to_string(), Value::String(cert)),
        ("Key".to_string(), Value::String(key)),
    ])
}

fn cert_pair(cn: &str, key: Option<&str>, kind: &str) -> Value {
    let seed = format!("{kind} {cn}");
    let key = match key {
        Some(k) => k.to_string(),
        None => placeholder_pem("RSA PRIVATE KEY", "key", &seed),
    };
    certificate(placeholder_pem("CERTIFICATE", "certificate", &seed), key)
}
