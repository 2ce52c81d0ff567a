//! Versioned, checksummed model files.
//!
//! Layout (all integers little-endian):
//!
//! | bytes | content |
//! | --- | --- |
//! | 8 | magic `RECSYS\0M` |
//! | 4 | container format version (currently 1) |
//! | 1 + k | model kind: length `k`, then UTF-8 (`implicit_als`, `popularity`, ...) |
//! | 4 | model payload version |
//! | 8 | payload length `n` |
//! | n | payload: the model serialized with postcard |
//! | 4 | CRC-32 of every byte before it |
//!
//! Loading checks, in order: magic, length, checksum, container version, kind, payload version,
//! then decodes and lets the model check its own invariants. A truncated, corrupted or
//! future-version file is an error, never a panic or a half-read model. Floats are stored as
//! their exact bits, so a round trip is bit-exact.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"RECSYS\0M";
const CONTAINER_VERSION: u32 = 1;

/// A model that can be written to and read from the versioned file format.
pub trait Persist: Serialize + DeserializeOwned {
    /// The kind written into the file; loading a file of another kind is an error.
    const KIND: &'static str;
    /// The payload version this build writes and the newest it reads.
    const VERSION: u32;

    /// Checks invariants after decoding (shapes agree, params valid).
    fn check_loaded(&self) -> Result<()> {
        Ok(())
    }

    /// Serializes to bytes.
    fn to_bytes(&self) -> Result<Vec<u8>> {
        to_bytes(self)
    }

    /// Reads bytes written by [`to_bytes`](Self::to_bytes).
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        from_bytes(bytes)
    }

    /// Writes the model to `path` (through a temporary file renamed into place, so a crash
    /// never leaves a half-written model under the final name).
    fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write_atomically(path.as_ref(), &self.to_bytes()?)
    }

    /// Reads a model written by [`save`](Self::save).
    fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_bytes(&bytes)
    }
}

/// The fitted part of a model as files have always held it, an optional value: written as
/// present, and a file where it is absent (written by a release that could save unfitted
/// models) is refused, since every model value is fitted. Use with
/// `#[serde(with = "crate::persist::fitted")]`.
pub(crate) mod fitted {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        Some(value).serialize(s)
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        Option::<T>::deserialize(d)?.ok_or_else(|| {
            serde::de::Error::custom("the file holds an unfitted model (nothing to load)")
        })
    }
}

/// Writes `bytes` to `path` through a temporary file renamed into place, so a crash never
/// leaves a half-written file under the final name.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn to_bytes<M: Persist>(model: &M) -> Result<Vec<u8>> {
    let payload = postcard::to_allocvec(model)
        .map_err(|e| Error::CorruptModel(format!("cannot encode model: {e}")))?;
    let kind = M::KIND.as_bytes();
    let mut out = Vec::with_capacity(payload.len() + kind.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&CONTAINER_VERSION.to_le_bytes());
    out.push(kind.len() as u8);
    out.extend_from_slice(kind);
    out.extend_from_slice(&M::VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// A cursor that turns running out of bytes into a "truncated" error.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                Error::CorruptModel(format!("truncated: the data ends inside the {what}"))
            })?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }
}

fn from_bytes<M: Persist>(bytes: &[u8]) -> Result<M> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(MAGIC.len(), "header")? != MAGIC {
        return Err(Error::CorruptModel(
            "not a recsys model (bad magic bytes)".into(),
        ));
    }
    let container = r.u32("header")?;
    let kind_len = r.take(1, "header")?[0] as usize;
    let kind = r.take(kind_len, "header")?;
    let version = r.u32("header")?;
    let len = r.u64("header")?;
    let payload = r.take(usize::try_from(len).unwrap_or(usize::MAX), "payload")?;
    let body_end = r.at;
    let stored_crc = r.u32("checksum")?;
    if r.at != bytes.len() {
        return Err(Error::CorruptModel(format!(
            "{} unexpected bytes after the checksum",
            bytes.len() - r.at
        )));
    }
    if crc32fast::hash(&bytes[..body_end]) != stored_crc {
        return Err(Error::CorruptModel(
            "checksum mismatch: the data was altered or damaged".into(),
        ));
    }
    if container > CONTAINER_VERSION {
        return Err(Error::UnsupportedVersion {
            what: "container format",
            found: container,
            supported: CONTAINER_VERSION,
        });
    }
    if kind != M::KIND.as_bytes() {
        return Err(Error::WrongModelKind {
            expected: M::KIND,
            found: String::from_utf8_lossy(kind).into_owned(),
        });
    }
    if version > M::VERSION || version == 0 {
        return Err(Error::UnsupportedVersion {
            what: "model payload",
            found: version,
            supported: M::VERSION,
        });
    }
    let (model, rest): (M, &[u8]) = postcard::take_from_bytes(payload)
        .map_err(|e| Error::CorruptModel(format!("cannot decode model: {e}")))?;
    if !rest.is_empty() {
        return Err(Error::CorruptModel(format!(
            "{} undecoded payload bytes",
            rest.len()
        )));
    }
    model.check_loaded()?;
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Toy {
        xs: Vec<f32>,
        name: String,
    }
    impl Persist for Toy {
        const KIND: &'static str = "toy";
        const VERSION: u32 = 2;
    }
    #[derive(Serialize, Deserialize, Debug)]
    struct Other;
    impl Persist for Other {
        const KIND: &'static str = "other";
        const VERSION: u32 = 1;
    }

    fn toy() -> Toy {
        Toy {
            xs: vec![1.5, f32::MIN_POSITIVE, -0.0, 3.25e-9],
            name: "t".into(),
        }
    }

    #[test]
    fn a_file_without_the_fitted_part_is_refused() {
        #[derive(Serialize, Deserialize, Debug)]
        struct Model {
            #[serde(with = "super::fitted")]
            state: Vec<f32>,
        }
        impl Persist for Model {
            const KIND: &'static str = "model";
            const VERSION: u32 = 1;
        }
        // the layout of a model that an earlier release saved unfitted
        #[derive(Serialize, Deserialize)]
        struct Unfitted {
            state: Option<Vec<f32>>,
        }
        impl Persist for Unfitted {
            const KIND: &'static str = "model";
            const VERSION: u32 = 1;
        }
        let fitted = Unfitted {
            state: Some(vec![1.0, 2.0]),
        };
        let back = Model::from_bytes(&fitted.to_bytes().unwrap()).unwrap();
        assert_eq!(back.state, [1.0, 2.0]);
        // and the layout is unchanged: what Model writes, the optional form reads
        let again = Unfitted::from_bytes(&back.to_bytes().unwrap()).unwrap();
        assert_eq!(again.state.as_deref(), Some(&[1.0, 2.0][..]));
        // (postcard keeps no custom message: the error says the payload does not decode)
        let err = Model::from_bytes(&Unfitted { state: None }.to_bytes().unwrap()).unwrap_err();
        assert!(matches!(err, Error::CorruptModel(_)), "{err}");
    }

    #[test]
    fn round_trip_is_bit_exact() {
        let b = toy().to_bytes().unwrap();
        let back = Toy::from_bytes(&b).unwrap();
        assert_eq!(back, toy());
        assert_eq!(back.xs[2].to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn every_truncation_and_bit_flip_is_rejected() {
        let b = toy().to_bytes().unwrap();
        for n in 0..b.len() {
            assert!(
                matches!(Toy::from_bytes(&b[..n]), Err(Error::CorruptModel(_))),
                "prefix {n}"
            );
        }
        for i in 0..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x10;
            assert!(Toy::from_bytes(&c).is_err(), "flip at {i}");
        }
    }

    fn rewrite(mut b: Vec<u8>, at: usize, value: u32) -> Vec<u8> {
        b[at..at + 4].copy_from_slice(&value.to_le_bytes());
        let n = b.len() - 4;
        let crc = crc32fast::hash(&b[..n]);
        b[n..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    #[test]
    fn future_versions_and_other_kinds_are_named() {
        let b = toy().to_bytes().unwrap();
        let e = Toy::from_bytes(&rewrite(b.clone(), 8, 9)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsupported container format version 9 (this build reads up to 1)"
        );
        let payload_version_at = 8 + 4 + 1 + 3;
        let e = Toy::from_bytes(&rewrite(b.clone(), payload_version_at, 3)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unsupported model payload version 3 (this build reads up to 2)"
        );
        let e = Other::from_bytes(&b).unwrap_err();
        assert_eq!(
            e.to_string(),
            "this file holds a 'toy' model, not a 'other' model"
        );
    }
}
