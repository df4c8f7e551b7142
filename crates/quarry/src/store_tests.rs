//! Tests of stored documents: round trips, block boundaries, copied
//! blocks and damage.

use super::*;

fn store(docs: &[(String, String, String)]) -> (Vec<u8>, Vec<u8>) {
    let mut w = StoreWriter::new();
    for (i, t, b) in docs {
        w.add(i, t, b);
    }
    w.finish()
}

#[test]
fn round_trips_across_many_blocks() {
    let docs: Vec<(String, String, String)> = (0..2000)
        .map(|i| {
            (
                format!("id{i}"),
                if i % 3 == 0 {
                    String::new()
                } else {
                    format!("Title {i}")
                },
                "body text ünïcode ".repeat(i % 50),
            )
        })
        .collect();
    let (index, data) = store(&docs);
    let r = StoreReader::new(&index, &data, 2000).unwrap();
    assert!(r.block_count() > 10, "{} blocks", r.block_count());
    assert_eq!(r.check_all(), Ok(2000));
    for (d, (i, t, b)) in docs.iter().enumerate() {
        let got = r.get(d as u32).unwrap();
        assert_eq!((&got.id, &got.title, &got.body), (i, t, b));
    }
    assert!(r.get(2000).is_err());
    assert!(
        data.len() < docs.iter().map(|d| d.2.len()).sum::<usize>() / 4,
        "repetitive text compresses"
    );
}

/// Documents of sizes from a few bytes to over a block.
fn varied(n: usize) -> Vec<(String, String, String)> {
    (0..n)
        .map(|i| {
            let body = "word ".repeat((i * 7919) % 1500 + (i % 97) * (i % 5 == 0) as usize * 80);
            (format!("doc-{i}"), format!("T{i}"), body)
        })
        .collect()
}

/// A store of `docs` written as parts cut at `cuts` and then copied
/// part after part as a merge does: whole blocks as written, the
/// other documents one by one.
fn copy_parts(docs: &[(String, String, String)], cuts: &[usize]) -> (Vec<u8>, Vec<u8>, usize) {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(docs.len());
    let mut out = StoreWriter::new();
    let mut copied = 0;
    for (p, w) in bounds.windows(2).enumerate() {
        let part = &docs[w[0]..w[1]];
        let (index, data) = store(part);
        let r = StoreReader::new(&index, &data, part.len() as u32).unwrap();
        let last = p + 2 == bounds.len();
        r.for_each_block_in(0..part.len() as u32, |block, all| {
            let ends = last && (block.first + block.count) as usize == part.len();
            if out.at_block_start() && block.as_written(ends) {
                out.add_block(block);
                copied += 1;
            } else {
                for (i, t, b) in all {
                    out.add(i, t, b);
                }
            }
        })
        .unwrap();
    }
    let (index, data) = out.finish();
    (index, data, copied)
}

/// The documents after which [`BlockCut`] says a block closes (the
/// count of documents up to and with each).
fn closes_after(docs: &[(String, String, String)]) -> Vec<usize> {
    let mut cut = BlockCut::default();
    docs.iter()
        .enumerate()
        .filter(|(_, (i, t, b))| cut.add(record_len(i, t, b)))
        .map(|(d, _)| d + 1)
        .collect()
}

#[test]
fn parts_cut_where_blocks_close_are_copied_block_for_block() {
    let docs = varied(400);
    let (index, data) = store(&docs);
    let blocks = StoreReader::new(&index, &data, 400).unwrap().block_count();
    // Where the writer closed its blocks, and where `BlockCut` says.
    let closed: Vec<usize> = (1..=blocks)
        .map(|b| LittleEndian::read_u32(&index[b * STORE_ENTRY_LEN..]) as usize)
        .collect();
    let said = closes_after(&docs);
    // The last block closes because the store ends, not by the rule.
    assert_eq!(said[..], closed[..said.len()]);
    assert!(closed.len() - said.len() <= 1 && blocks > 20);

    // Parts that end where blocks close: every block copied.
    let cuts = [said[3], said[10], said[11]];
    let (i2, d2, copied) = copy_parts(&docs, &cuts);
    assert!((i2, d2) == (index.clone(), data.clone()), "a copy differs");
    assert_eq!(copied, blocks);
    // Parts cut anywhere: the same bytes, fewer blocks copied.
    let (i3, d3, copied) = copy_parts(&docs, &[5, said[3] + 1, 200, 201]);
    assert!((i3, d3) == (index, data), "a mixed copy differs");
    assert!(copied > 0 && copied < blocks, "{copied} of {blocks}");
}

#[test]
fn writers_of_parts_cut_where_blocks_close_append_to_the_whole_store() {
    let docs = varied(400);
    let whole = store(&docs);
    let said = closes_after(&docs);
    // The last part ends inside a block, which the appended writer goes on.
    let bounds = [0, said[2], said[3], said[9], docs.len()];
    let mut out = StoreWriter::new();
    for w in bounds.windows(2) {
        let mut part = StoreWriter::new();
        for (i, t, b) in &docs[w[0]..w[1]] {
            part.add(i, t, b);
        }
        out.append(part);
    }
    out.add("one-more", "", "after the appended parts");
    let mut more = docs.clone();
    more.push((
        "one-more".into(),
        String::new(),
        "after the appended parts".into(),
    ));
    assert!(out.finish() == store(&more), "appended parts differ");
    assert_ne!(whole, store(&more));
}

/// A store of one block holding `raw` (the records of `docs`
/// documents), compressed by this encoder.
fn one_block(raw: &[u8], docs: u32) -> (Vec<u8>, Vec<u8>) {
    let data = lz4_flex::block::compress(raw);
    let mut index = vec![0u8; 2 * STORE_ENTRY_LEN];
    LittleEndian::write_u32(&mut index[4..8], raw.len() as u32);
    LittleEndian::write_u32(&mut index[16..20], docs);
    LittleEndian::write_u64(&mut index[24..32], data.len() as u64);
    (index, data)
}

/// Whether the single block of a store is taken as written, with the
/// store ending there or not.
fn taken_as_written(index: &[u8], data: &[u8], docs: u32) -> [bool; 2] {
    let r = StoreReader::new(index, data, docs).unwrap();
    let mut seen = Vec::new();
    r.for_each_block_in(0..docs, |block, all| {
        assert_eq!(all.len(), docs as usize);
        seen.push([block.as_written(false), block.as_written(true)]);
    })
    .unwrap();
    assert_eq!(seen.len(), 1);
    seen[0]
}

#[test]
fn a_block_another_writer_closed_late_is_not_taken_as_written() {
    // A 20 KiB document and a small one in one block: this writer
    // closes a block after the first, so copying this one would not
    // give its bytes.
    let mut raw = Vec::new();
    for (id, body) in [("a", "x".repeat(20 << 10)), ("b", "y".to_string())] {
        for s in [id, "", body.as_str()] {
            crate::format::write_vint(&mut raw, s.len() as u64);
            raw.extend_from_slice(s.as_bytes());
        }
    }
    let (index, data) = one_block(&raw, 2);
    assert_eq!(taken_as_written(&index, &data, 2), [false, false]);
}

#[test]
fn a_block_with_a_longer_length_than_needed_is_not_taken_as_written() {
    // What this writer writes for a 20 KiB document, taken as written...
    let body = "x".repeat(20 << 10);
    let (index, data) = store(&[("a".into(), String::new(), body.clone())]);
    assert_eq!(taken_as_written(&index, &data, 1), [true, true]);
    // ...and the same document with its id's length in two bytes
    // (0x81 0x00 is 1 too): it reads the same, but is not this
    // writer's block, and a merge writes it again.
    let mut raw = vec![0x81, 0x00, b'a', 0];
    crate::format::write_vint(&mut raw, body.len() as u64);
    raw.extend_from_slice(body.as_bytes());
    let (index, data) = one_block(&raw, 1);
    assert_eq!(
        StoreReader::new(&index, &data, 1)
            .unwrap()
            .get(0)
            .unwrap()
            .body,
        body
    );
    assert_eq!(taken_as_written(&index, &data, 1), [false, false]);
}

/// A merge copies compressed blocks as they are (see
/// [`StoreBlock::as_written`]), so that a build and a merge write the
/// same bytes only while the LZ4 encoder's output stays the same. If
/// this fails after a dependency update, the encoder changed: that is
/// a format change (bump the version, so that old indexes are rebuilt
/// rather than merged with new ones), not a test to bless.
#[test]
fn the_lz4_encoder_is_pinned() {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut text = String::new();
    while text.len() < STORE_BLOCK_BYTES + 1000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let words = [
            "the",
            "index",
            "merge",
            "block",
            "stored",
            "ünïcode",
            "of",
            "a",
        ];
        text.push_str(words[(x % 8) as usize]);
        text.push(if x % 11 == 0 { '\n' } else { ' ' });
    }
    let compressed = lz4_flex::block::compress(text.as_bytes());
    assert_eq!(
        (compressed.len(), crate::format::crc32(&compressed)),
        (7088, 2_205_926_395),
        "the LZ4 encoder's output changed: see this test's documentation"
    );
}

#[test]
fn record_len_is_what_a_block_holds() {
    for (i, t, b) in varied(50) {
        let (index, _) = store(&[(i.clone(), t.clone(), b.clone())]);
        let raw_len = LittleEndian::read_u32(&index[4..8]) as usize;
        assert_eq!(raw_len, record_len(&i, &t, &b));
    }
    let long = "x".repeat(300);
    assert_eq!(record_len("", &long, ""), 1 + 2 + 300 + 1);
}

#[test]
fn a_huge_document_closes_the_block_it_joins() {
    let big = "x".repeat(3 * STORE_BLOCK_BYTES);
    let docs = vec![
        ("a".to_string(), String::new(), "small".to_string()),
        ("b".to_string(), String::new(), big.clone()),
        ("c".to_string(), String::new(), "small".to_string()),
    ];
    let (index, data) = store(&docs);
    let r = StoreReader::new(&index, &data, 3).unwrap();
    assert_eq!(r.block_count(), 2);
    assert_eq!(r.get(1).unwrap().body, big);
    assert_eq!(r.get(2).unwrap().id, "c");
}

#[test]
fn empty_store_and_damage() {
    let (index, data) = store(&[]);
    let r = StoreReader::new(&index, &data, 0).unwrap();
    assert_eq!(r.check_all(), Ok(0));
    assert!(r.get(0).is_err());

    let docs = vec![("a".to_string(), "T".to_string(), "B".repeat(100))];
    let (index, data) = store(&docs);
    assert!(StoreReader::new(&index, &data, 2).is_none());
    assert!(StoreReader::new(&index, &data[..data.len() - 1], 1).is_none());
    let mut bad = data.clone();
    bad[0] ^= 0xff;
    let r = StoreReader::new(&index, &bad, 1).unwrap();
    assert!(r
        .get(0)
        .unwrap_err()
        .contains("stored block 0 is malformed"));
    assert!(r.check_all().is_err());
    // A raw length beyond what LZ4 can expand to is refused before allocating.
    let mut huge = index.clone();
    LittleEndian::write_u32(&mut huge[4..8], u32::MAX);
    let r = StoreReader::new(&huge, &data, 1).unwrap();
    assert!(r.get(0).is_err());
}

#[test]
fn a_paged_index_serves_sound_pages_and_refuses_damaged_ones() {
    use crate::pages::TestPages;
    let docs = varied(3000);
    let (index, data) = store(&docs);
    let entries_per_page = 512 / STORE_ENTRY_LEN;
    let r = StoreReader::new(&index, &data, 3000).unwrap();
    assert!(
        r.block_count() > 3 * entries_per_page,
        "{} blocks",
        r.block_count()
    );
    let first_of = |b: usize| LittleEndian::read_u32(&index[b * STORE_ENTRY_LEN..]);
    // Damage the first entry of the second page. The blocks before the
    // page are served; the ones it opens or ends are refused; the later
    // ones are refused where the search for them reads the page. None is
    // ever served from a wrong block.
    let mut pages = TestPages::new(index.clone(), 9);
    pages.damage(entries_per_page * STORE_ENTRY_LEN + 9);
    let r = StoreReader::checked(pages.section(), &data, 3000, pages.guard()).unwrap();
    let sound = StoreReader::new(&index, &data, 3000).unwrap();
    let mut served_after = 0;
    for doc in 0..3000 {
        let b = (0..r.block_count()).rfind(|&b| first_of(b) <= doc).unwrap();
        let got = r.block_span(doc);
        if b + 1 < entries_per_page {
            assert_eq!(got, sound.block_span(doc), "document {doc} in block {b}");
        } else if b < 2 * entries_per_page {
            assert_eq!(got, None, "document {doc} in block {b}");
        } else if got.is_some() {
            assert_eq!(got, sound.block_span(doc), "document {doc} in block {b}");
            served_after += 1;
        }
    }
    assert!(served_after > 0);
    // A damaged sentinel refuses the reader.
    let mut pages = TestPages::new(index.clone(), 9);
    pages.damage(index.len() - 1);
    assert!(StoreReader::checked(pages.section(), &data, 3000, pages.guard()).is_none());
}
