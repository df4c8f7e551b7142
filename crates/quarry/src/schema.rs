//! The document schema and the collection statistics stored in the META section.

use byteorder::{ByteOrder, LittleEndian};

use crate::analysis::{Language, MAX_TOKEN_BYTES};

/// A text field of a document. Every document has all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The title: indexed and stored.
    Title = 0,
    /// The body: indexed and stored.
    Body = 1,
}

impl Field {
    /// All fields, in id order.
    pub const ALL: [Field; 2] = [Field::Title, Field::Body];

    /// The one-byte id that prefixes this field's terms in the dictionary.
    pub fn id(self) -> u8 {
        self as u8
    }

    /// The field's name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Body => "body",
        }
    }

    /// The field with this id.
    pub fn from_id(id: u8) -> Option<Field> {
        Field::ALL.get(id as usize).copied()
    }
}

/// The dictionary key of `term` in `field`: the field id byte, then the term's UTF-8.
pub fn term_key(field: Field, term: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(term.len() + 1);
    key.push(field.id());
    key.extend_from_slice(term.as_bytes());
    key
}

/// Collection statistics and schema, as stored in the META section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Number of documents.
    pub doc_count: u32,
    /// The stemming language of the analyzer that built the index.
    pub language: Language,
    /// Total kept tokens per field, in [`Field::ALL`] order.
    pub total_tokens: [u64; 2],
}

impl Meta {
    /// The bytes of the META section.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut b4 = [0u8; 4];
        LittleEndian::write_u32(&mut b4, self.doc_count);
        out.extend_from_slice(&b4);
        let lang = self.language.name().as_bytes();
        out.push(lang.len() as u8);
        out.extend_from_slice(lang);
        LittleEndian::write_u32(&mut b4, MAX_TOKEN_BYTES as u32);
        out.extend_from_slice(&b4);
        out.push(Field::ALL.len() as u8);
        for (field, total) in Field::ALL.iter().zip(self.total_tokens) {
            out.push(field.name().len() as u8);
            out.extend_from_slice(field.name().as_bytes());
            let mut b8 = [0u8; 8];
            LittleEndian::write_u64(&mut b8, total);
            out.extend_from_slice(&b8);
        }
        out
    }

    /// Parses the META section; `Err` says what is wrong.
    pub fn decode(bytes: &[u8]) -> Result<Meta, String> {
        let mut r = Reader { bytes, at: 0 };
        let doc_count = r.u32()?;
        let lang_len = r.u8()? as usize;
        let lang =
            std::str::from_utf8(r.take(lang_len)?).map_err(|_| "language name is not UTF-8")?;
        let language = Language::from_name(lang)
            .ok_or_else(|| format!("unknown analyzer language {lang:?}"))?;
        let max_token = r.u32()?;
        if max_token as usize != MAX_TOKEN_BYTES {
            return Err(format!(
                "analyzer drops tokens of {max_token} bytes, this build of {MAX_TOKEN_BYTES}"
            ));
        }
        let field_count = r.u8()? as usize;
        if field_count != Field::ALL.len() {
            return Err(format!(
                "schema has {field_count} fields, expected {}",
                Field::ALL.len()
            ));
        }
        let mut total_tokens = [0u64; 2];
        for (field, total) in Field::ALL.iter().zip(total_tokens.iter_mut()) {
            let len = r.u8()? as usize;
            if r.take(len)? != field.name().as_bytes() {
                return Err(format!("schema field {} is misnamed", field.id()));
            }
            *total = r.u64()?;
        }
        if r.at != bytes.len() {
            return Err("meta section has trailing bytes".into());
        }
        Ok(Meta {
            doc_count,
            language,
            total_tokens,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let s = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or("meta section ends early")?;
        self.at += n;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(LittleEndian::read_u32(self.take(4)?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(LittleEndian::read_u64(self.take(8)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_round_trips_and_rejects_damage() {
        let m = Meta {
            doc_count: 7,
            language: Language::English,
            total_tokens: [12, 3456],
        };
        let bytes = m.encode();
        assert_eq!(Meta::decode(&bytes), Ok(m));
        for cut in 0..bytes.len() {
            assert!(Meta::decode(&bytes[..cut]).is_err());
        }
        let mut bad = bytes.clone();
        bad[5] = b'x';
        assert!(Meta::decode(&bad).unwrap_err().contains("language"));
    }

    #[test]
    fn term_keys_sort_by_field_then_term() {
        assert!(term_key(Field::Title, "zebra") < term_key(Field::Body, "apple"));
        assert_eq!(term_key(Field::Body, "ab"), vec![1, b'a', b'b']);
    }
}
