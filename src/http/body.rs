//! Where an answer's body goes: decoded (gzip, deflate, brotli) as it arrives,
//! then kept up to a cap or dropped.

use std::io::Write;

use super::exchange::{BodyUse, Failure, Want};
use crate::error_kind::ErrorKind;

/// A response's `Content-Encoding`, as far as stampede decodes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    #[default]
    Identity,
    Gzip,
    Deflate,
    Brotli,
}

impl Encoding {
    pub fn of(value: &[u8]) -> Encoding {
        let value = value.trim_ascii();
        if value.eq_ignore_ascii_case(b"gzip") || value.eq_ignore_ascii_case(b"x-gzip") {
            Encoding::Gzip
        } else if value.eq_ignore_ascii_case(b"deflate") {
            Encoding::Deflate
        } else if value.eq_ignore_ascii_case(b"br") {
            Encoding::Brotli
        } else {
            // Not asked for: passed through as it is.
            Encoding::Identity
        }
    }
}

/// Receives the body as it arrives.
pub struct Sink {
    decoder: Decoder,
}

enum Decoder {
    Identity(Out),
    // Boxed: a decoder's state is large, and most answers need none.
    Gzip(Box<flate2::write::GzDecoder<Out>>),
    Deflate(Box<flate2::write::ZlibDecoder<Out>>),
    Brotli(Box<brotli_decompressor::DecompressorWriter<Out>>),
}

/// The decoded body: kept up to `max` bytes, or counted and dropped.
struct Out {
    kept: Option<Vec<u8>>,
    /// Decoded bytes that came, kept or not.
    size: u64,
    max: u64,
    /// Keep only the first `max` bytes and drop the rest, no failure: the
    /// excerpt of an error answer whose body the step does not use.
    excerpt: bool,
}

/// How much of an error answer's body (4xx, 5xx) is kept when the step keeps
/// no body, for its failure example: a 401's or a 503's few words say why (a
/// framework's 403 page says it after 1 KiB of `<head>` and styles).
pub const ERROR_EXCERPT: u64 = 4096;

/// A kept body went past its cap.
#[derive(Debug)]
struct TooLong(u64);

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "body longer than max_body ({}): the rest was not read",
            crate::units::show_size(self.0)
        )
    }
}

impl std::error::Error for TooLong {}

/// The most a kept body's buffer is sized for up front, whatever length the
/// answer announces: a longer one grows as it arrives.
const PRESIZE_MAX: u64 = 1 << 20;

impl Write for Out {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.size += data.len() as u64;
        if let Some(kept) = &mut self.kept {
            if (kept.len() + data.len()) as u64 > self.max {
                if !self.excerpt {
                    return Err(std::io::Error::other(TooLong(self.max)));
                }
                let room = (self.max as usize).saturating_sub(kept.len());
                kept.extend_from_slice(&data[..room.min(data.len())]);
                return Ok(data.len());
            }
            kept.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    /// Where a body goes; a kept plain one's buffer is sized for the `length`
    /// the answer announced (up to [`PRESIZE_MAX`]), so that it is not grown and
    /// copied as the body arrives.
    pub fn new(body: BodyUse, encoding: Encoding, length: Option<u64>) -> Sink {
        let out = match body {
            BodyUse::Drain => Out {
                kept: None,
                size: 0,
                max: 0,
                excerpt: false,
            },
            BodyUse::Excerpt => Out {
                kept: Some(Vec::new()),
                size: 0,
                max: ERROR_EXCERPT,
                excerpt: true,
            },
            BodyUse::Keep { max } => {
                let size = match (encoding, length) {
                    (Encoding::Identity, Some(length)) => length.min(max).min(PRESIZE_MAX),
                    _ => 0,
                };
                Out {
                    kept: Some(Vec::with_capacity(size as usize)),
                    size: 0,
                    max,
                    excerpt: false,
                }
            }
        };
        let decoder = match encoding {
            Encoding::Identity => Decoder::Identity(out),
            Encoding::Gzip => Decoder::Gzip(Box::new(flate2::write::GzDecoder::new(out))),
            Encoding::Deflate => Decoder::Deflate(Box::new(flate2::write::ZlibDecoder::new(out))),
            Encoding::Brotli => Decoder::Brotli(Box::new(
                brotli_decompressor::DecompressorWriter::new(out, 4096),
            )),
        };
        Sink { decoder }
    }

    pub fn write(&mut self, data: &[u8]) -> Result<(), Failure> {
        if data.is_empty() {
            return Ok(());
        }
        let written = match &mut self.decoder {
            Decoder::Identity(out) => out.write_all(data),
            Decoder::Gzip(d) => d.write_all(data),
            Decoder::Deflate(d) => d.write_all(data),
            Decoder::Brotli(d) => d.write_all(data),
        };
        written.map_err(|e| failure(&e))
    }

    /// `failure` of a body that failed as it came, with the start of what came
    /// (decoded, up to [`ERROR_EXCERPT`] bytes): a body kept, or an error
    /// answer's excerpt; nothing of a body drained.
    pub fn came(&self, failure: Failure) -> Failure {
        let out = match &self.decoder {
            Decoder::Identity(out) => out,
            Decoder::Gzip(d) => d.get_ref(),
            Decoder::Deflate(d) => d.get_ref(),
            Decoder::Brotli(d) => d.get_ref(),
        };
        let kept = out.kept.as_deref().unwrap_or_default();
        let start = &kept[..kept.len().min(ERROR_EXCERPT as usize)];
        Failure {
            body: bytes::Bytes::copy_from_slice(start),
            ..failure
        }
    }

    /// The body, once the last byte came (kept, or empty when dropped), and
    /// its decoded size: an encoded one must end where its encoding says it does.
    pub fn finish(self) -> Result<(bytes::Bytes, u64), Failure> {
        let out = match self.decoder {
            Decoder::Identity(out) => Ok(out),
            Decoder::Gzip(d) => d.finish(),
            Decoder::Deflate(d) => d.finish(),
            Decoder::Brotli(d) => d.into_inner().map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "brotli stream incomplete")
            }),
        };
        let out = out.map_err(|e| failure(&e))?;
        Ok((
            out.kept.map(bytes::Bytes::from).unwrap_or_default(),
            out.size,
        ))
    }
}

fn failure(e: &std::io::Error) -> Failure {
    let too_long = e.get_ref().is_some_and(|inner| inner.is::<TooLong>());
    let kind = if too_long {
        ErrorKind::Truncated
    } else {
        ErrorKind::Body
    };
    Failure::with(kind, e)
}

/// For an answer's head (status, Location, announced length, whether it has
/// a body): the redirect to follow, if any, and where the body goes. A kept
/// body announced longer than its cap fails before it is read.
pub fn plan(
    want: Want,
    status: u16,
    location: Option<String>,
    length: Option<u64>,
    encoding: Encoding,
) -> Result<(Option<String>, Sink), Failure> {
    let location =
        location.filter(|_| want.follow && matches!(status, 301 | 302 | 303 | 307 | 308));
    let body = match (&location, want.body) {
        (Some(_), _) => BodyUse::Drain,
        // An error answer's body says why it failed: its start is kept.
        (None, BodyUse::Drain) if status >= 400 => BodyUse::Excerpt,
        (None, body) => body,
    };
    if let (BodyUse::Keep { max }, Some(length)) = (body, length)
        && length > max
    {
        let what = format!(
            "body of {} announced, longer than max_body ({}): not read",
            crate::units::show_size(length),
            crate::units::show_size(max)
        );
        return Err(Failure::with(ErrorKind::Truncated, &what));
    }
    Ok((location, Sink::new(body, encoding, length)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_is_decoded_across_writes() {
        let text = b"<p id=\"greeting\">hello</p>".repeat(50);
        let packed = gzip(&text);
        let mut sink = Sink::new(BodyUse::Keep { max: 1 << 20 }, Encoding::Gzip, None);
        for piece in packed.chunks(7) {
            sink.write(piece).unwrap();
        }
        assert_eq!(sink.finish().unwrap(), (text.into(), 1300));
    }

    #[test]
    fn bad_or_cut_gzip_is_a_body_error() {
        let mut sink = Sink::new(BodyUse::Drain, Encoding::Gzip, None);
        let bad = sink
            .write(b"\x1f\x8bthis is not gzip at all")
            .and_then(|()| sink.finish().map(drop));
        assert_eq!(bad.err().map(|f| f.kind), Some(ErrorKind::Body));
        let packed = gzip(b"hello hello hello");
        let mut sink = Sink::new(BodyUse::Drain, Encoding::Gzip, None);
        sink.write(&packed[..packed.len() - 6]).unwrap();
        assert_eq!(sink.finish().err().map(|f| f.kind), Some(ErrorKind::Body));
    }

    #[test]
    fn a_kept_body_past_its_cap_is_truncated_and_a_drained_one_is_not_kept() {
        let mut sink = Sink::new(BodyUse::Keep { max: 4 }, Encoding::Identity, None);
        assert_eq!(
            sink.write(b"hello").err().map(|f| f.kind),
            Some(ErrorKind::Truncated)
        );
        let mut sink = Sink::new(BodyUse::Drain, Encoding::Identity, None);
        sink.write(&[b'x'; 100_000]).unwrap();
        let (kept, size) = sink.finish().unwrap();
        assert!(kept.is_empty());
        assert_eq!(size, 100_000, "a body dropped is counted as it came");
    }

    /// The capacity of a kept, plain body's buffer.
    fn kept_capacity(sink: &Sink) -> usize {
        match &sink.decoder {
            Decoder::Identity(out) => out.kept.as_ref().map_or(0, Vec::capacity),
            _ => panic!("not a plain body"),
        }
    }

    #[test]
    fn a_kept_body_of_announced_length_is_sized_once_and_capped() {
        let want = |max| Want {
            body: BodyUse::Keep { max },
            headers: false,
            follow: false,
        };
        let (_, mut sink) =
            plan(want(1 << 30), 200, None, Some(25_000), Encoding::Identity).unwrap();
        assert_eq!(kept_capacity(&sink), 25_000);
        for piece in [b'x'; 25_000].chunks(4096) {
            sink.write(piece).unwrap();
        }
        assert_eq!(kept_capacity(&sink), 25_000, "grown while the body arrived");
        assert_eq!(sink.finish().unwrap().0.len(), 25_000);
        // A length announced beyond the cap on sizing up front is not trusted.
        let (_, sink) = plan(want(1 << 30), 200, None, Some(1 << 29), Encoding::Identity).unwrap();
        assert_eq!(kept_capacity(&sink) as u64, PRESIZE_MAX);
        // Nothing to keep, nothing sized.
        let drain = Want {
            body: BodyUse::Drain,
            headers: false,
            follow: false,
        };
        let (_, sink) = plan(drain, 200, None, Some(25_000), Encoding::Identity).unwrap();
        assert!(matches!(&sink.decoder, Decoder::Identity(out) if out.kept.is_none()));
    }

    #[test]
    fn encodings_are_read_without_case() {
        assert_eq!(Encoding::of(b" GZIP "), Encoding::Gzip);
        assert_eq!(Encoding::of(b"br"), Encoding::Brotli);
        assert_eq!(Encoding::of(b"deflate"), Encoding::Deflate);
        assert_eq!(Encoding::of(b"zstd"), Encoding::Identity);
    }
}
