//! How the archive is compressed, as named on the command line.

use std::fmt;
use std::str::FromStr;

/// zstd worker threads, fixed so that output is byte-identical on every machine: zstd's
/// multi-threaded format depends on its parameters, never on the cores available.
pub const ZSTD_WORKERS: u32 = 2;
pub const DEFAULT_ZSTD_LEVEL: i32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Zstd { level: i32 },
}

impl Default for Compression {
    fn default() -> Self {
        Self::Zstd {
            level: DEFAULT_ZSTD_LEVEL,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("compression {0:?} is not one of none, zstd, zstd:LEVEL (LEVEL 1 to 19)")]
pub struct CompressionParseError(pub String);

impl FromStr for Compression {
    type Err = CompressionParseError;
    /// `none`, `zstd` or `zstd:LEVEL`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CompressionParseError(s.to_owned());
        match s.split_once(':') {
            None if s == "none" => Ok(Self::None),
            None if s == "zstd" => Ok(Self::default()),
            Some(("zstd", level)) => {
                let level: i32 = level.parse().map_err(|_| bad())?;
                if (1..=19).contains(&level) {
                    Ok(Self::Zstd { level })
                } else {
                    Err(bad())
                }
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("none"),
            Self::Zstd { level } => write!(f, "zstd:{level}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!("none".parse(), Ok(Compression::None));
        assert_eq!("zstd".parse(), Ok(Compression::Zstd { level: 3 }));
        assert_eq!("zstd:19".parse(), Ok(Compression::Zstd { level: 19 }));
        for bad in ["", "gzip", "zstd:", "zstd:0", "zstd:20", "zstd:x", "none:1"] {
            assert!(bad.parse::<Compression>().is_err(), "{bad}");
        }
        assert_eq!(
            Compression::Zstd { level: 7 }.to_string().parse(),
            Ok(Compression::Zstd { level: 7 })
        );
    }
}
