//! Stored documents: the external id, title and body of every document,
//! for display and snippets.
//!
//! STORE_INDEX holds `doc_count + 1` little-endian `u64` offsets into
//! STORE_DATA; document `d` occupies `offset[d]..offset[d + 1]` and is its
//! id, title and body, each a LEB128 byte length followed by UTF-8.

use byteorder::{ByteOrder, LittleEndian};

use crate::format::{read_vint, write_vint};

/// A document as stored.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StoredDocument {
    /// The external id given at indexing time.
    pub id: String,
    /// The title (may be empty).
    pub title: String,
    /// The body.
    pub body: String,
}

/// Encodes stored documents. Add them in document-id order.
pub struct StoreWriter {
    index: Vec<u8>,
    data: Vec<u8>,
}

impl Default for StoreWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl StoreWriter {
    /// An empty store.
    pub fn new() -> Self {
        let mut w = StoreWriter {
            index: Vec::new(),
            data: Vec::new(),
        };
        w.push_offset();
        w
    }

    fn push_offset(&mut self) {
        let mut b = [0u8; 8];
        LittleEndian::write_u64(&mut b, self.data.len() as u64);
        self.index.extend_from_slice(&b);
    }

    /// Appends the next document.
    pub fn add(&mut self, id: &str, title: &str, body: &str) {
        for s in [id, title, body] {
            write_vint(&mut self.data, s.len() as u64);
            self.data.extend_from_slice(s.as_bytes());
        }
        self.push_offset();
    }

    /// Bytes of the data section so far.
    pub fn data_len(&self) -> usize {
        self.data.len()
    }

    /// The STORE_INDEX and STORE_DATA section bytes.
    pub fn finish(self) -> (Vec<u8>, Vec<u8>) {
        (self.index, self.data)
    }
}

/// Reads stored documents.
#[derive(Clone, Copy)]
pub struct StoreReader<'a> {
    index: &'a [u8],
    data: &'a [u8],
}

impl<'a> StoreReader<'a> {
    /// A reader; `None` if the index does not hold `doc_count + 1` offsets.
    pub fn new(index: &'a [u8], data: &'a [u8], doc_count: u32) -> Option<Self> {
        (index.len() == (doc_count as usize + 1) * 8).then_some(StoreReader { index, data })
    }

    /// Document `doc`; `Err` says what is malformed.
    pub fn get(&self, doc: u32) -> Result<StoredDocument, String> {
        let at = doc as usize * 8;
        let (start, end) = match (self.index.get(at..at + 8), self.index.get(at + 8..at + 16)) {
            (Some(a), Some(b)) => (LittleEndian::read_u64(a), LittleEndian::read_u64(b)),
            _ => return Err(format!("no stored document {doc}")),
        };
        let bytes = usize::try_from(start)
            .ok()
            .zip(usize::try_from(end).ok())
            .and_then(|(s, e)| self.data.get(s..e))
            .ok_or_else(|| format!("stored document {doc} lies outside the store"))?;
        let mut at = 0;
        let mut field = || -> Result<String, String> {
            let len = read_vint(bytes, &mut at)
                .and_then(|l| usize::try_from(l).ok())
                .ok_or_else(|| format!("stored document {doc} is cut short"))?;
            let s = bytes
                .get(at..at.saturating_add(len))
                .ok_or_else(|| format!("stored document {doc} is cut short"))?;
            at += len;
            String::from_utf8(s.to_vec()).map_err(|_| format!("stored document {doc} is not UTF-8"))
        };
        let id = field()?;
        let title = field()?;
        let body = field()?;
        if at != bytes.len() {
            return Err(format!("stored document {doc} has trailing bytes"));
        }
        Ok(StoredDocument { id, title, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reports_damage() {
        let mut w = StoreWriter::new();
        w.add("a.txt", "Title", "Body text");
        w.add("b", "", "ünïcode");
        let (index, data) = w.finish();
        let r = StoreReader::new(&index, &data, 2).unwrap();
        assert_eq!(
            r.get(1).unwrap(),
            StoredDocument {
                id: "b".into(),
                title: "".into(),
                body: "ünïcode".into()
            }
        );
        assert_eq!(r.get(0).unwrap().title, "Title");
        assert!(r.get(2).is_err());
        let short = StoreReader::new(&index, &data[..data.len() - 2], 2).unwrap();
        assert!(short.get(1).is_err());
        assert!(StoreReader::new(&index, &data, 3).is_none());
    }
}
