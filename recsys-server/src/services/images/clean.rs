//! What a picture is, read from its bytes (never from its name or the request's content type),
//! and the same picture without what it tells about where and how it was taken.
//!
//! JPEG, PNG and WebP are taken. The pixels are never decoded or re-encoded: the file's own
//! structure is walked and checked (JPEG segments, PNG chunks with their CRCs, WebP's RIFF
//! chunks), its size in pixels read from its header, and the metadata left out: JPEG's EXIF
//! (camera, time, GPS position), XMP, Photoshop/IPTC and comment segments, PNG's text, time and
//! EXIF chunks, WebP's EXIF and XMP chunks. A JPEG's EXIF orientation is kept as a minimal EXIF
//! block of that one tag, so a phone photo is not shown on its side. Colour profiles are kept
//! (they change how the picture looks). Bytes after the end of the picture are dropped.

/// The formats taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    /// The extension of a stored image of this format (one of the store's `IMAGE_EXTENSIONS`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }

    pub fn of_extension(extension: &str) -> Option<Format> {
        [Format::Jpeg, Format::Png, Format::Webp]
            .into_iter()
            .find(|f| f.extension() == extension)
    }
}

/// Pixels on a side a picture may have at most (a product picture; larger is a mistake or a
/// picture made to exhaust the memory of whoever decodes it).
pub const MAX_SIDE: u32 = 10_000;

/// A checked picture without its metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub format: Format,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a format taken (what it seems to be instead).
    Unsupported(String),
    /// A JPEG, PNG or WebP that is damaged, cut short or too large in pixels.
    Broken(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Unsupported(m) | Refused::Broken(m) => f.write_str(m),
        }
    }
}

/// `bytes` checked and without metadata.
pub fn clean(bytes: &[u8]) -> Result<Cleaned, Refused> {
    let cleaned = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        png(bytes)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)
    } else {
        return Err(Refused::Unsupported(unsupported(bytes)));
    }
    .map_err(Refused::Broken)?;
    let (w, h) = (cleaned.width, cleaned.height);
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(Refused::Broken(format!(
            "the {} picture is {w} x {h} pixels; each side must be 1 to {MAX_SIDE}",
            cleaned.format.extension().to_uppercase()
        )));
    }
    Ok(cleaned)
}

fn unsupported(bytes: &[u8]) -> String {
    let seems = if bytes.is_empty() {
        "the file is empty".to_string()
    } else if bytes.starts_with(b"GIF8") {
        "it is a GIF".to_string()
    } else if bytes.starts_with(b"BM") {
        "it is a BMP".to_string()
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "it is an HEIC/AVIF or another ISO media file".to_string()
    } else if bytes.starts_with(b"<") || bytes.starts_with(b"\xEF\xBB\xBF<") {
        "it looks like SVG, HTML or XML text".to_string()
    } else {
        let head: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("its first bytes are {}", head.join(" "))
    };
    format!("not a JPEG, PNG or WebP picture ({seems}); the type is read from the content")
}

fn be16(b: &[u8], at: usize) -> u32 {
    u32::from(u16::from_be_bytes([b[at], b[at + 1]]))
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le24(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], 0])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

// ---- JPEG ----

fn jpeg(b: &[u8]) -> Result<Cleaned, String> {
    let mut out = vec![0xFF, 0xD8];
    let mut size = None;
    let mut oriented = false;
    let mut i = 2;
    loop {
        if i >= b.len() {
            return Err("the JPEG ends before its image data (it is cut short)".into());
        }
        if b[i] != 0xFF {
            return Err(format!(
                "the JPEG is damaged: a marker was expected at byte {i}"
            ));
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1; // fill bytes
        }
        let Some(&marker) = b.get(i) else {
            return Err("the JPEG ends before its image data (it is cut short)".into());
        };
        i += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue, // markers without a segment
            0xD8 | 0xD9 | 0x00 => {
                return Err(format!(
                    "the JPEG is damaged: marker {marker:02X} at byte {} before its image data",
                    i - 1
                ));
            }
            _ => {}
        }
        if i + 2 > b.len() {
            return Err("the JPEG is cut short inside a segment".into());
        }
        let length = be16(b, i) as usize;
        if length < 2 || i + length > b.len() {
            return Err(format!(
                "the JPEG is damaged or cut short: segment {marker:02X} at byte {} claims {length} bytes",
                i - 2
            ));
        }
        let segment = &b[i..i + length];
        let body = &segment[2..];
        if marker == 0xDA {
            let (width, height) =
                size.ok_or("the JPEG has image data before its frame header (SOF)")?;
            // the entropy-coded data and everything up to the end marker, as they are
            let rest = &b[i - 2..];
            let end = rest
                .windows(2)
                .rposition(|w| w == [0xFF, 0xD9])
                .ok_or("the JPEG has no end marker (it is cut short)")?;
            out.extend(&rest[..end + 2]);
            return Ok(Cleaned {
                format: Format::Jpeg,
                bytes: out,
                width,
                height,
            });
        }
        let is_frame = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_frame {
            if body.len() < 6 {
                return Err("the JPEG's frame header (SOF) is too short".into());
            }
            size = Some((be16(body, 3), be16(body, 1)));
        }
        let keep = match marker {
            0xE0 => true,                               // JFIF
            0xE2 => body.starts_with(b"ICC_PROFILE\0"), // colour profile
            0xEE => true,                               // Adobe colour transform
            0xE1 => {
                // EXIF (camera, time, GPS) or XMP: only the orientation stays, where it was
                let orientation = body.strip_prefix(b"Exif\0\0").and_then(read_orientation);
                if let Some(o) = orientation.filter(|_| !oriented) {
                    out.extend(exif_orientation(o));
                    oriented = true;
                }
                false
            }
            0xE3..=0xEF | 0xFE => false, // other application data, comments
            _ => true,                   // tables, frame, restart interval
        };
        if keep {
            out.extend([0xFF, marker]);
            out.extend(segment);
        }
        i += length;
    }
}

/// The orientation tag (0x0112) of IFD0 of a TIFF-structured EXIF block, when it is 2..=8
/// (1 is the default and needs no block).
fn read_orientation(tiff: &[u8]) -> Option<u16> {
    if tiff.len() < 8 {
        return None;
    }
    let big = match &tiff[..2] {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at + 2)?;
        Some(if big {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b = tiff.get(at..at + 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(512)).find_map(|k| {
        let entry = ifd + 2 + 12 * k;
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (2..=8).contains(o))
    })
}

/// An APP1 EXIF segment holding only the orientation tag.
fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend(b"MM\0\x2a");
    tiff.extend(8u32.to_be_bytes()); // IFD0 right after the header
    tiff.extend(1u16.to_be_bytes()); // one entry
    tiff.extend(0x0112u16.to_be_bytes()); // Orientation
    tiff.extend(3u16.to_be_bytes()); // SHORT
    tiff.extend(1u32.to_be_bytes()); // one value
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0]); // the value's padding
    tiff.extend(0u32.to_be_bytes()); // no next IFD
    let mut segment = vec![0xFF, 0xE1];
    let length = 2 + 6 + tiff.len();
    segment.extend((length as u16).to_be_bytes());
    segment.extend(b"Exif\0\0");
    segment.extend(tiff);
    segment
}

// ---- PNG ----

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks that only describe the picture: text, the time it was made, EXIF.
const PNG_METADATA: [&[u8; 4]; 5] = [b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf"];

fn png(b: &[u8]) -> Result<Cleaned, String> {
    let mut out = PNG_SIGNATURE.to_vec();
    let mut i = PNG_SIGNATURE.len();
    let mut size = None;
    loop {
        if i + 12 > b.len() {
            return Err("the PNG has no IEND chunk (it is cut short)".into());
        }
        let length = be32(b, i) as usize;
        let kind: [u8; 4] = b[i + 4..i + 8].try_into().expect("four bytes");
        let name = String::from_utf8_lossy(&kind); // for the messages
        let end = (i + 12).checked_add(length).filter(|&e| e <= b.len());
        let Some(end) = end else {
            return Err(format!("the PNG is cut short inside its {name} chunk"));
        };
        let data = &b[i + 8..i + 8 + length];
        let mut crc = flate2::Crc::new();
        crc.update(&kind);
        crc.update(data);
        if crc.sum() != be32(b, i + 8 + length) {
            return Err(format!(
                "the PNG's {name} chunk is damaged (its CRC does not match)"
            ));
        }
        if size.is_none() {
            if &kind != b"IHDR" || length != 13 {
                return Err("the PNG does not start with its header chunk (IHDR)".into());
            }
            size = Some((be32(data, 0), be32(data, 4)));
        }
        if !PNG_METADATA.contains(&&kind) {
            out.extend(&b[i..end]);
        }
        i = end;
        if &kind == b"IEND" {
            let (width, height) = size.expect("IHDR read first");
            return Ok(Cleaned {
                format: Format::Png,
                bytes: out,
                width,
                height,
            });
        }
    }
}

// ---- WebP ----

fn webp(b: &[u8]) -> Result<Cleaned, String> {
    let riff = le32(b, 4) as usize;
    let Some(end) = riff.checked_add(8).filter(|&e| e <= b.len()) else {
        return Err("the WebP is cut short (its RIFF header says it is longer)".into());
    };
    let mut chunks = Vec::new();
    let mut size = None;
    let mut i = 12;
    while i < end {
        if i + 8 > end {
            return Err("the WebP is damaged: a chunk header is cut short".into());
        }
        let kind: [u8; 4] = b[i..i + 4].try_into().expect("four bytes");
        let length = le32(b, i + 4) as usize;
        let padded = length + (length & 1);
        let Some(next) = (i + 8).checked_add(padded).filter(|&n| n <= end) else {
            return Err(format!(
                "the WebP is cut short inside its {} chunk",
                String::from_utf8_lossy(&kind)
            ));
        };
        let data = &b[i + 8..i + 8 + length];
        let chunk_size = match &kind {
            b"VP8X" if data.len() >= 10 => Some((1 + le24(data, 4), 1 + le24(data, 7))),
            b"VP8 " if data.len() >= 10 && data[3..6] == [0x9D, 0x01, 0x2A] => Some((
                u32::from(u16::from_le_bytes([data[6], data[7]]) & 0x3FFF),
                u32::from(u16::from_le_bytes([data[8], data[9]]) & 0x3FFF),
            )),
            b"VP8L" if data.len() >= 5 && data[0] == 0x2F => {
                let bits = le32(data, 1);
                Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
            }
            b"VP8X" | b"VP8 " | b"VP8L" => {
                return Err(format!(
                    "the WebP's {} chunk is damaged",
                    String::from_utf8_lossy(&kind)
                ));
            }
            _ => None,
        };
        size = size.or(chunk_size);
        if !matches!(&kind, b"EXIF" | b"XMP ") {
            chunks.push((kind, &b[i..next]));
        }
        i = next;
    }
    let (width, height) = size.ok_or("the WebP has no image chunk (VP8, VP8L or VP8X)")?;
    let mut out = Vec::with_capacity(b.len());
    out.extend(b"RIFF\0\0\0\0WEBP");
    for (kind, chunk) in chunks {
        let at = out.len();
        out.extend(chunk);
        if &kind == b"VP8X" {
            out[at + 8] &= !(0x08 | 0x04); // the EXIF and XMP flags: those chunks are gone
        }
    }
    let riff = (out.len() - 8) as u32;
    out[4..8].copy_from_slice(&riff.to_le_bytes());
    Ok(Cleaned {
        format: Format::Webp,
        bytes: out,
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk of a PNG with its CRC.
    pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend(kind);
        c.extend(data);
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        c.extend(crc.sum().to_be_bytes());
        c
    }

    fn png_file(width: u32, height: u32, extra: &[Vec<u8>]) -> Vec<u8> {
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([8, 2, 0, 0, 0]);
        let mut f = PNG_SIGNATURE.to_vec();
        f.extend(png_chunk(b"IHDR", &ihdr));
        for c in extra {
            f.extend(c);
        }
        f.extend(png_chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0, 0, 0, 1, 0, 1]));
        f.extend(png_chunk(b"IEND", &[]));
        f
    }

    #[test]
    fn a_png_loses_its_text_and_keeps_its_pixels() {
        let text = png_chunk(b"tEXt", b"Comment\0taken at 52.1N 4.3E");
        let gamma = png_chunk(b"gAMA", &[0, 0, 0xB1, 0x8F]);
        let file = png_file(3, 2, &[text, gamma.clone()]);
        let cleaned = clean(&file).unwrap();
        assert_eq!(
            (cleaned.format, cleaned.width, cleaned.height),
            (Format::Png, 3, 2)
        );
        assert_eq!(cleaned.bytes, png_file(3, 2, &[gamma]));
        assert!(!cleaned.bytes.windows(4).any(|w| w == b"tEXt"));
        // a flipped bit, a cut, a missing header
        let mut damaged = file.clone();
        let at = damaged.len() - 20;
        damaged[at] ^= 1;
        assert!(matches!(clean(&damaged), Err(Refused::Broken(m)) if m.contains("CRC")));
        assert!(
            matches!(clean(&file[..file.len() - 5]), Err(Refused::Broken(m)) if m.contains("cut short"))
        );
        let huge = png_file(20_000, 10, &[]);
        assert!(matches!(clean(&huge), Err(Refused::Broken(m)) if m.contains("20000 x 10")));
    }

    fn jpeg_file(app: &[Vec<u8>]) -> Vec<u8> {
        let mut f = vec![0xFF, 0xD8];
        for a in app {
            f.extend(a);
        }
        // a frame header: precision 8, 40 high, 60 wide, one component
        f.extend([0xFF, 0xC0, 0, 11, 8, 0, 40, 0, 60, 1, 1, 0x11, 0]);
        f.extend([0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0xFF, 0xD9]);
        f
    }

    fn segment(marker: u8, body: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend(((body.len() + 2) as u16).to_be_bytes());
        s.extend(body);
        s
    }

    fn exif_with(orientation: u16, little: bool) -> Vec<u8> {
        let mut tiff: Vec<u8> = if little {
            b"II\x2a\0".to_vec()
        } else {
            b"MM\0\x2a".to_vec()
        };
        let w16 = |v: u16| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let w32 = |v: u32| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        tiff.extend(w32(8));
        tiff.extend(w16(2));
        // a GPS pointer and the orientation
        tiff.extend(w16(0x8825));
        tiff.extend(w16(4));
        tiff.extend(w32(1));
        tiff.extend(w32(99));
        tiff.extend(w16(0x0112));
        tiff.extend(w16(3));
        tiff.extend(w32(1));
        tiff.extend(w16(orientation));
        tiff.extend([0, 0]);
        tiff.extend(w32(0));
        let mut body = b"Exif\0\0".to_vec();
        body.extend(tiff);
        body
    }

    #[test]
    fn a_jpeg_loses_exif_xmp_and_comments_and_keeps_its_orientation() {
        let jfif = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        let icc = segment(0xE2, b"ICC_PROFILE\0\x01\x01profile");
        for little in [true, false] {
            let file = jpeg_file(&[
                jfif.clone(),
                segment(0xE1, &exif_with(6, little)),
                segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"),
                icc.clone(),
                segment(0xFE, b"shot by someone"),
                segment(0xED, b"Photoshop 3.0\0IPTC"),
            ]);
            let cleaned = clean(&file).unwrap();
            assert_eq!(
                (cleaned.format, cleaned.width, cleaned.height),
                (Format::Jpeg, 60, 40)
            );
            let mut expected = vec![0xFF, 0xD8];
            expected.extend(&jfif);
            expected.extend(exif_orientation(6));
            expected.extend(&icc);
            expected.extend(&jpeg_file(&[])[2..]);
            assert_eq!(cleaned.bytes, expected, "little endian: {little}");
            assert_eq!(read_orientation(&exif_orientation(6)[10..]), Some(6));
        }
        // orientation 1 needs no block; trailing bytes after the end go
        let mut file = jpeg_file(&[segment(0xE1, &exif_with(1, false))]);
        file.extend(b"trailing");
        assert_eq!(clean(&file).unwrap().bytes, jpeg_file(&[]));
        let cut = jpeg_file(&[]);
        assert!(
            matches!(clean(&cut[..cut.len() - 2]), Err(Refused::Broken(m)) if m.contains("end marker"))
        );
        assert!(matches!(clean(&cut[..10]), Err(Refused::Broken(_))));
    }

    fn riff(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
        let mut body = b"WEBP".to_vec();
        for (kind, data) in chunks {
            body.extend(*kind);
            body.extend((data.len() as u32).to_le_bytes());
            body.extend(data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut f = b"RIFF".to_vec();
        f.extend((body.len() as u32).to_le_bytes());
        f.extend(body);
        f
    }

    #[test]
    fn a_webp_loses_exif_and_xmp_and_their_flags() {
        let mut vp8x = vec![0x08 | 0x04 | 0x10, 0, 0, 0];
        vp8x.extend(&(99u32).to_le_bytes()[..3]); // 100 wide
        vp8x.extend(&(49u32).to_le_bytes()[..3]); // 50 high
        let alpha = (b"ALPH", vec![1, 2, 3]);
        let lossless = (b"VP8L", vec![0x2F, 0x63, 0x40, 0x0C, 0x00, 7]);
        let file = riff(&[
            (b"VP8X", vp8x.clone()),
            (b"EXIF", b"Exif\0\0MM".to_vec()),
            alpha.clone(),
            lossless.clone(),
            (b"XMP ", b"<x/>".to_vec()),
        ]);
        let cleaned = clean(&file).unwrap();
        assert_eq!(
            (cleaned.format, cleaned.width, cleaned.height),
            (Format::Webp, 100, 50)
        );
        let mut flags = vp8x;
        flags[0] = 0x10;
        assert_eq!(
            cleaned.bytes,
            riff(&[(b"VP8X", flags), alpha, lossless.clone()])
        );
        // a simple lossless file: the size from VP8L (100 x 50 in its 14-bit fields)
        let simple = riff(&[lossless]);
        let c = clean(&simple).unwrap();
        assert_eq!((c.width, c.height, c.bytes == simple), (100, 50, true));
        assert!(matches!(
            clean(&simple[..simple.len() - 2]),
            Err(Refused::Broken(_))
        ));
    }

    #[test]
    fn other_files_are_named_for_what_they_seem() {
        for (file, seems) in [
            (&b"GIF89a\x01\0\x01\0"[..], "GIF"),
            (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "SVG"),
            (b"", "empty"),
            (b"\0\0\0\x18ftypheic\0\0\0\0", "HEIC"),
            (b"hello world", "68 65 6c 6c"),
        ] {
            match clean(file) {
                Err(Refused::Unsupported(m)) => assert!(m.contains(seems), "{m}"),
                other => panic!("{seems}: {other:?}"),
            }
        }
    }
}
