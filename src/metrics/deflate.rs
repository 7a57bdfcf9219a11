//! HdrHistogram's compressed V2 encoding at DEFLATE's fastest level. The
//! crate's own serializer compresses at the default level, which cost the run
//! ~1% of its CPU for the interval log written every second; any zlib level
//! decodes the same, so readers (ours, HdrHistogram's in other languages) are
//! unaffected.

use std::io::Write;

use flate2::{Compress, Compression, FlushCompress, Status};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializeError, V2Serializer};

/// The compressed V2 cookie (HdrHistogram's `V2_COMPRESSED_COOKIE`).
const COOKIE: u32 = 0x1c84_9304 | 0x10;

/// A V2 + DEFLATE serializer at [`Compression::fast`]. It keeps its
/// compressor: making one clears ~300 KiB of tables, more than compressing a
/// histogram costs.
pub struct FastDeflate {
    plain: Vec<u8>,
    packed: Vec<u8>,
    v2: V2Serializer,
    zlib: Compress,
}

impl Default for FastDeflate {
    fn default() -> FastDeflate {
        FastDeflate {
            plain: Vec::new(),
            packed: Vec::new(),
            v2: V2Serializer::new(),
            zlib: Compress::new(Compression::fast(), true),
        }
    }
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
        self.zlib.reset();
        loop {
            // Room for the rest: DEFLATE grows incompressible input by a few bytes per block.
            self.packed.reserve(self.plain.len() / 2 + 64);
            let read = usize::try_from(self.zlib.total_in()).unwrap_or(usize::MAX);
            let status = self
                .zlib
                .compress_vec(&self.plain[read..], &mut self.packed, FlushCompress::Finish)
                .map_err(std::io::Error::other)?;
            if status == Status::StreamEnd {
                break;
            }
        }
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
    /// framing (cookie, length) — so any HdrHistogram reader takes it; one
    /// serializer, kept, writes each of several histograms as a new one would.
    #[test]
    fn reads_back_exactly_and_frames_as_the_crate_does() {
        let histogram = |n: u64, m: u64| {
            let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3).unwrap();
            for v in (1..n).map(|i| i * i % m + 1) {
                h.record(v).unwrap();
            }
            h
        };
        let mut kept = FastDeflate::default();
        for h in [
            histogram(50_000, 2_000_003),
            histogram(3, 7),
            histogram(50_000, 2_000_003),
        ] {
            let (mut fast, mut default, mut fresh) = (Vec::new(), Vec::new(), Vec::new());
            kept.serialize(&h, &mut fast).unwrap();
            FastDeflate::default().serialize(&h, &mut fresh).unwrap();
            V2DeflateSerializer::new()
                .serialize(&h, &mut default)
                .unwrap();
            assert_eq!(fast, fresh, "a kept serializer writes what a new one does");
            assert_eq!(fast[..4], default[..4], "the cookie");
            let len = u32::from_be_bytes(fast[4..8].try_into().unwrap()) as usize;
            assert_eq!(len, fast.len() - 8);
            let back: Histogram<u64> = Deserializer::new().deserialize(&mut &fast[..]).unwrap();
            assert_eq!(back, h);
        }
    }
}
