//! Writing an index file as a stream: the sections one after another,
//! each checksummed as it passes, the header written last over the space
//! kept for it. Nothing needs a whole section in memory, so a merge of any
//! size writes in bounded memory.

use std::io::{self, Seek, SeekFrom, Write};

use crate::format::{
    self, header_of, page_len, SectionKind, HEADER_LEN, PAGED, SECTION_ENTRY_LEN, TABLE,
};

/// Writes the sections of one index file, in [`SectionKind::ALL`] order,
/// through [`Write`]: [`SectionWriter::begin`] starts the next section,
/// whose bytes follow; [`SectionWriter::finish`] writes PAGESUMS (the
/// page checksums gathered as the bytes passed) and the header.
pub struct SectionWriter<W: Write + Seek> {
    out: W,
    /// Sections finished so far: kind, length, CRC-32.
    done: Vec<(SectionKind, u64, u32)>,
    /// The section being written.
    current: Option<(SectionKind, u64, crc32fast::Hasher)>,
    /// The PAGESUMS payload so far (since the last move to `spill`).
    page_sums: Vec<u8>,
    /// Where the payload goes as it grows, if anywhere: a file's page
    /// checksums are 1/128 of it.
    spill: Option<Box<dyn ScratchFile>>,
    /// The current page of a paged section: its checksum so far, and
    /// the section's page length.
    page: Option<(crc32fast::Hasher, usize)>,
}

/// A scratch file the page checksums can be kept in.
pub trait ScratchFile: io::Read + Write + Seek + Send {}

impl<T: io::Read + Write + Seek + Send> ScratchFile for T {}

/// Bytes of page checksums held before they go to the spill file.
const SUMS_HELD: usize = 1 << 16;

/// Bytes kept at the start of the file for the header and a table of
/// every section kind.
const RESERVED: usize = HEADER_LEN + TABLE.len() * SECTION_ENTRY_LEN;

impl<W: Write + Seek> SectionWriter<W> {
    /// Starts a file in `out` (at its start), keeping room for the header.
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.seek(SeekFrom::Start(0))?;
        out.write_all(&[0u8; RESERVED])?;
        Ok(SectionWriter {
            out,
            done: Vec::with_capacity(TABLE.len()),
            current: None,
            page_sums: Vec::new(),
            spill: None,
            page: None,
        })
    }

    /// [`SectionWriter::new`] that keeps the page checksums in `spill`
    /// (an empty file) as they are gathered, instead of in memory, so that
    /// a file of any size is written in bounded memory.
    ///
    /// # Errors
    /// Any error of `out`.
    pub fn with_spill(out: W, spill: Box<dyn ScratchFile>) -> io::Result<Self> {
        let mut w = Self::new(out)?;
        w.spill = Some(spill);
        Ok(w)
    }

    /// Moves the page checksums held to the spill file, if there is one
    /// and enough are held.
    fn spill_sums(&mut self) -> io::Result<()> {
        if let Some(f) = &mut self.spill {
            if self.page_sums.len() >= SUMS_HELD {
                f.write_all(&self.page_sums)?;
                self.page_sums.clear();
            }
        }
        Ok(())
    }

    /// Ends the section being written (if any) and starts `kind`.
    pub fn begin(&mut self, kind: SectionKind) {
        self.end_current();
        self.current = Some((kind, 0, format::crc32_hasher()));
        self.page = PAGED
            .contains(&kind)
            .then(|| (format::crc32_hasher(), page_len(kind)));
    }

    fn end_current(&mut self) {
        if let Some((kind, len, hasher)) = self.current.take() {
            self.done.push((kind, len, hasher.finalize()));
            if let Some((page, page_len)) = self.page.take() {
                if len % page_len as u64 != 0 {
                    self.page_sums
                        .extend_from_slice(&page.finalize().to_le_bytes());
                }
            }
        }
    }

    /// Copies everything `from` holds, from its start, into the current
    /// section.
    ///
    /// # Errors
    /// Any error of `from` or of the output.
    pub fn append(&mut self, from: &mut (impl io::Read + Seek)) -> io::Result<()> {
        // A buffer no larger than the source: small indexes are built often
        // (tests, fuzzing, updates of a few files) and a megabyte zeroed per
        // section was most of their cost.
        let len = from.seek(SeekFrom::End(0))?;
        from.seek(SeekFrom::Start(0))?;
        let mut buf = vec![0u8; len.clamp(1, 1 << 20) as usize];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.write_all(&buf[..n])?;
        }
    }

    /// Ends the last section, writes the header and returns the output
    /// (positioned at the end) and the file's size.
    ///
    /// # Errors
    /// Any error of the output; [`io::ErrorKind::InvalidInput`] unless
    /// every section kind was written once, in file order.
    pub fn finish(mut self) -> io::Result<(W, u64)> {
        self.end_current();
        // What went to the spill file, then what is still held.
        let sums = std::mem::take(&mut self.page_sums);
        let spilled = self.spill.take();
        self.begin(SectionKind::PageSums);
        if let Some(mut f) = spilled {
            self.append(&mut f)?;
        }
        self.write_all(&sums)?;
        self.end_current();
        let kinds: Vec<SectionKind> = self.done.iter().map(|d| d.0).collect();
        if kinds != TABLE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("sections written out of order: {kinds:?}"),
            ));
        }
        let header = header_of(&self.done);
        debug_assert_eq!(header.len(), RESERVED);
        let size = RESERVED as u64 + self.done.iter().map(|d| d.1).sum::<u64>();
        self.out.flush()?;
        self.out.seek(SeekFrom::Start(0))?;
        self.out.write_all(&header)?;
        self.out.seek(SeekFrom::Start(size))?;
        self.out.flush()?;
        Ok((self.out, size))
    }
}

impl<W: Write + Seek> Write for SectionWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some((_, len, hasher)) = &mut self.current else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "bytes written before any section began",
            ));
        };
        let n = self.out.write(buf)?;
        hasher.update(&buf[..n]);
        if let Some((page, page_len)) = &mut self.page {
            let page_len = *page_len;
            // Split the bytes where pages end.
            let mut at = 0;
            let mut filled = (*len % page_len as u64) as usize;
            while at < n {
                let take = (page_len - filled).min(n - at);
                page.update(&buf[at..at + take]);
                at += take;
                filled += take;
                if filled == page_len {
                    let done = std::mem::replace(page, format::crc32_hasher());
                    self.page_sums
                        .extend_from_slice(&done.finalize().to_le_bytes());
                    filled = 0;
                }
            }
        }
        *len += n as u64;
        self.spill_sums()?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::assemble;

    #[test]
    fn streams_the_bytes_assemble_gives() {
        let payloads: Vec<(SectionKind, Vec<u8>)> = SectionKind::ALL
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, (0..i * 37).map(|b| (b * 7 + i) as u8).collect()))
            .collect();
        let refs: Vec<(SectionKind, &[u8])> =
            payloads.iter().map(|(k, b)| (*k, b.as_slice())).collect();
        let mut w = SectionWriter::new(io::Cursor::new(Vec::new())).unwrap();
        for (kind, bytes) in &payloads {
            w.begin(*kind);
            // In two pieces, the second through a scratch copy.
            let (a, b) = bytes.split_at(bytes.len() / 2);
            w.write_all(a).unwrap();
            w.append(&mut io::Cursor::new(b.to_vec())).unwrap();
        }
        let (out, size) = w.finish().unwrap();
        let expected = assemble(&refs);
        assert_eq!(size, expected.len() as u64);
        assert_eq!(out.into_inner(), expected);
    }

    #[test]
    fn page_sums_kept_in_a_spill_file_give_the_same_bytes() {
        // Paged sections long enough that the page checksums are moved to
        // the spill file several times over.
        let payloads: Vec<(SectionKind, Vec<u8>)> = SectionKind::ALL
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let len = if PAGED.contains(&k) { 3 << 20 } else { 100 };
                (k, (0..len).map(|b| (b * 131 + i) as u8).collect())
            })
            .collect();
        let write = |mut w: SectionWriter<io::Cursor<Vec<u8>>>| {
            for (kind, bytes) in &payloads {
                w.begin(*kind);
                for piece in bytes.chunks(100_003) {
                    w.write_all(piece).unwrap();
                }
            }
            w.finish().unwrap().0.into_inner()
        };
        let held = write(SectionWriter::new(io::Cursor::new(Vec::new())).unwrap());
        let spill = Box::new(io::Cursor::new(Vec::new()));
        let spilled = write(SectionWriter::with_spill(io::Cursor::new(Vec::new()), spill).unwrap());
        let sums: usize = payloads
            .iter()
            .filter(|(k, _)| PAGED.contains(k))
            .map(|(k, b)| b.len().div_ceil(page_len(*k)) * 4)
            .sum();
        assert!(sums > 2 * SUMS_HELD);
        assert_eq!(spilled, held);
    }

    #[test]
    fn refuses_a_missing_section() {
        let mut w = SectionWriter::new(io::Cursor::new(Vec::new())).unwrap();
        for kind in &SectionKind::ALL[..8] {
            w.begin(*kind);
        }
        assert_eq!(w.finish().unwrap_err().kind(), io::ErrorKind::InvalidInput);
    }
}
