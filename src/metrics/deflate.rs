//! HdrHistogram's compressed V2 encoding at DEFLATE's fastest level. The
//! crate's own serializer compresses at the default level, which cost the run
//! ~1% of its CPU for the interval log written every second; any zlib level
//! decodes the same, so readers (ours, HdrHistogram's in other languages) are
//! unaffected.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializeError, V2Serializer};

/// The compressed V2 cookie (HdrHistogram's `V2_COMPRESSED_COOKIE`).
const COOKIE: u32 = 0x1c84_9304 | 0x10;

/// A V2 + DEFLATE serializer at [`Compression::fast`].
#[derive(Default)]
pub struct FastDeflate {
    plain: Vec<u8>,
    packed: Vec<u8>,
    v2: V2Serializer,
}

impl Serializer for FastDeflate {
    type SerializeError = V2DeflateSerializeError;

    fn serialize<T: hdrhistogram::Counter, W: Write>(
        &mut self,
        h: &Histogram<T>,
        writer: &mut W,
    ) -> Result<usize, V2DeflateSerializeError> {
        self.plain.clear();
        self.packed.clear();
        self.v2
            .serialize(h, &mut self.plain)
            .map_err(V2DeflateSerializeError::InternalSerializationError)?;
        self.packed.extend_from_slice(&COOKIE.to_be_bytes());
        self.packed.extend_from_slice(&[0; 4]);
        let mut zlib = ZlibEncoder::new(&mut self.packed, Compression::fast());
        zlib.write_all(&self.plain)?;
        zlib.finish()?;
        let len = u32::try_from(self.packed.len() - 8).map_err(std::io::Error::other)?;
        self.packed[4..8].copy_from_slice(&len.to_be_bytes());
        writer.write_all(&self.packed)?;
        Ok(self.packed.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};

    /// What it writes reads back as the same histogram, and has the crate's own
    /// framing (cookie, length) — so any HdrHistogram reader takes it.
    #[test]
    fn reads_back_exactly_and_frames_as_the_crate_does() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
        for v in (1..50_000u64).map(|i| i * i % 2_000_003 + 1) {
            h.record(v).unwrap();
        }
        let (mut fast, mut default) = (Vec::new(), Vec::new());
        FastDeflate::default().serialize(&h, &mut fast).unwrap();
        V2DeflateSerializer::new()
            .serialize(&h, &mut default)
            .unwrap();
        assert_eq!(fast[..4], default[..4], "the cookie");
        let len = u32::from_be_bytes(fast[4..8].try_into().unwrap()) as usize;
        assert_eq!(len, fast.len() - 8);
        let back: Histogram<u64> = Deserializer::new().deserialize(&mut &fast[..]).unwrap();
        assert_eq!(back, h);
    }
}
