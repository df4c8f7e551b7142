//! Many growable byte streams kept in one pool of large pages: how the
//! builder holds every term's postings while it inverts a chunk.
//!
//! A stream is a chain of slices. Its first slice is small and each next
//! one larger (up to [`SLICE_SIZES`]' last), so the many terms seen once or
//! twice cost a few bytes each while frequent terms grow in few steps. The
//! last 8 bytes of a slice hold the address of the next, once there is
//! one. Slices never cross a page, and pages are never moved or copied, so
//! growing costs no reallocation of what was written; appending touches
//! only the stream's tail. Compared with three vectors per term, this is
//! one allocation per [`PAGE_BYTES`] instead of several per term, and
//! about half the random memory accesses per token.

/// Bytes per page of the pool.
const PAGE_BYTES: usize = 1 << 20;

/// Slice sizes by level: a stream's `n`-th slice has the `n`-th size (the
/// last repeats). Each includes the 8-byte link to the next slice.
const SLICE_SIZES: [usize; 8] = [16, 32, 64, 128, 256, 512, 1024, 4096];

/// Bytes at the end of a slice that hold the next slice's address.
const LINK: usize = 8;

/// The level of the slice after one of `level`.
fn next_level(level: u8) -> u8 {
    (level as usize + 1).min(SLICE_SIZES.len() - 1) as u8
}

/// Where the link of a slice of `level` at `start` begins.
fn link_at(start: u64, level: u8) -> u64 {
    start + (SLICE_SIZES[level as usize] - LINK) as u64
}

/// Where a stream starts and where its next byte goes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stream {
    start: u64,
    at: u64,
    /// Where the current slice's link begins.
    limit: u64,
    level: u8,
}

/// The pool that holds every stream's bytes.
#[derive(Default)]
pub(crate) struct StreamPool {
    /// Each page is allocated at its full size but zeroed only as far as
    /// slices are handed out (its length), so a small build touches a few
    /// bytes instead of a megabyte; within its capacity a page never moves.
    pages: Vec<Vec<u8>>,
    /// Next free byte of the last page.
    used: usize,
}

impl StreamPool {
    /// A new, empty stream.
    pub(crate) fn stream(&mut self) -> Stream {
        let start = self.slice(0);
        Stream {
            start,
            at: start,
            limit: link_at(start, 0),
            level: 0,
        }
    }

    /// Bytes held by the pool's pages.
    pub(crate) fn bytes(&self) -> usize {
        self.pages.len() * PAGE_BYTES
    }

    /// A new slice of level `level`; returns its address.
    fn slice(&mut self, level: u8) -> u64 {
        let size = SLICE_SIZES[level as usize];
        if self.pages.is_empty() || self.used + size > PAGE_BYTES {
            self.pages.push(Vec::with_capacity(PAGE_BYTES));
            self.used = 0;
        }
        let addr = ((self.pages.len() - 1) * PAGE_BYTES + self.used) as u64;
        self.used += size;
        let page = self.pages.last_mut().expect("a page was pushed above");
        debug_assert!(self.used <= page.capacity());
        page.resize(self.used, 0);
        addr
    }

    #[inline]
    fn byte_mut(&mut self, addr: u64) -> &mut u8 {
        let addr = addr as usize;
        &mut self.pages[addr / PAGE_BYTES][addr % PAGE_BYTES]
    }

    /// Appends `byte` to `stream`.
    #[inline]
    pub(crate) fn push(&mut self, stream: &mut Stream, byte: u8) {
        if stream.at == stream.limit {
            let level = next_level(stream.level);
            let next = self.slice(level);
            let link = stream.limit as usize;
            self.pages[link / PAGE_BYTES][link % PAGE_BYTES..][..LINK]
                .copy_from_slice(&next.to_le_bytes());
            stream.level = level;
            stream.at = next;
            stream.limit = link_at(next, level);
        }
        *self.byte_mut(stream.at) = byte;
        stream.at += 1;
    }

    /// Asks the processor to fetch where `stream`'s next byte goes.
    #[inline]
    pub(crate) fn prefetch_tail(&self, stream: &Stream) {
        let addr = stream.at as usize;
        if let Some(b) = self
            .pages
            .get(addr / PAGE_BYTES)
            .and_then(|p| p.get(addr % PAGE_BYTES))
        {
            crate::prefetch::prefetch(b);
        }
    }

    /// Appends `v` to `stream` as LEB128.
    #[inline]
    pub(crate) fn push_vint(&mut self, stream: &mut Stream, mut v: u32) {
        while v >= 0x80 {
            self.push(stream, (v as u8) | 0x80);
            v >>= 7;
        }
        self.push(stream, v as u8);
    }

    /// Reads `stream` from its start.
    pub(crate) fn reader(&self, stream: &Stream) -> StreamReader<'_> {
        StreamReader {
            pool: self,
            at: stream.start,
            limit: link_at(stream.start, 0),
            level: 0,
            end: stream.at,
        }
    }
}

/// Reads one stream back, in the order it was written.
pub(crate) struct StreamReader<'a> {
    pool: &'a StreamPool,
    at: u64,
    limit: u64,
    level: u8,
    end: u64,
}

impl StreamReader<'_> {
    /// Moves to the next slice if the current one is read to its link.
    #[inline]
    fn follow_link(&mut self) {
        if self.at == self.limit {
            let link = self.limit as usize;
            let page = &self.pool.pages[link / PAGE_BYTES];
            let mut b = [0u8; LINK];
            b.copy_from_slice(&page[link % PAGE_BYTES..][..LINK]);
            self.level = next_level(self.level);
            self.at = u64::from_le_bytes(b);
            self.limit = link_at(self.at, self.level);
        }
    }

    /// The stream's bytes from here to the end of the current slice (or
    /// of the stream), after following a link that is due.
    #[inline]
    fn run(&mut self) -> &[u8] {
        self.follow_link();
        let a = self.at as usize;
        let n = (self.limit.min(self.end) - self.at) as usize;
        &self.pool.pages[a / PAGE_BYTES][a % PAGE_BYTES..][..n]
    }

    /// The next byte, `None` at the end of the stream.
    #[inline]
    fn next_byte(&mut self) -> Option<u8> {
        if self.at == self.end {
            return None;
        }
        self.follow_link();
        let a = self.at as usize;
        self.at += 1;
        Some(self.pool.pages[a / PAGE_BYTES][a % PAGE_BYTES])
    }

    /// The next LEB128 value, `None` at the end of the stream.
    #[inline]
    pub(crate) fn next_vint(&mut self) -> Option<u32> {
        let mut v = 0u32;
        let mut shift = 0;
        loop {
            let b = self.next_byte()?;
            v |= u32::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
            shift += 7;
        }
    }

    /// Appends the bytes of the next `n` LEB128 values to `out`, as they
    /// are; `false` if the stream ends first.
    pub(crate) fn copy_vints(&mut self, mut n: u32, out: &mut Vec<u8>) -> bool {
        while n > 0 {
            if self.at == self.end {
                return false;
            }
            let run = self.run();
            // Up to and with the `n`-th last byte of a value in this run.
            let mut take = run.len();
            for (i, &b) in run.iter().enumerate() {
                if b < 0x80 {
                    n -= 1;
                    if n == 0 {
                        take = i + 1;
                        break;
                    }
                }
            }
            out.extend_from_slice(&run[..take]);
            self.at += take as u64;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleaved_streams_read_back_what_was_written() {
        let mut pool = StreamPool::default();
        let mut streams: Vec<(Stream, Vec<u32>)> =
            (0..300).map(|_| (pool.stream(), Vec::new())).collect();
        // Stream i gets about i * 40 values, interleaved with the others,
        // so short and long chains (and page changes) are all exercised.
        let mut x = 12345u32;
        for round in 0..12_000u32 {
            for (i, (s, want)) in streams.iter_mut().enumerate() {
                if round as usize % 300 < i {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    let v = x >> (x % 32);
                    pool.push_vint(s, v);
                    want.push(v);
                }
            }
        }
        assert!(pool.bytes() > PAGE_BYTES, "several pages");
        for (s, want) in &streams {
            let mut r = pool.reader(s);
            let got: Vec<u32> = std::iter::from_fn(|| r.next_vint()).collect();
            assert_eq!(&got, want);
        }
    }

    #[test]
    fn values_are_copied_as_written_across_slices() {
        let mut pool = StreamPool::default();
        let mut a = pool.stream();
        let mut other = pool.stream();
        let values: Vec<u32> = (0..3000u32)
            .map(|i| i.wrapping_mul(2_654_435_761) >> (i % 32))
            .collect();
        let mut want = Vec::new();
        for &v in &values {
            pool.push_vint(&mut a, v);
            pool.push_vint(&mut other, 1);
            quarry::format::write_vint(&mut want, u64::from(v));
        }
        let mut r = pool.reader(&a);
        let mut got = Vec::new();
        // In uneven counts: 1, 2, 3, ... values at a time.
        let mut left = values.len() as u32;
        for n in 1.. {
            let n = n.min(left);
            assert!(r.copy_vints(n, &mut got));
            left -= n;
            if left == 0 {
                break;
            }
        }
        assert_eq!(got, want);
        assert!(!r.copy_vints(1, &mut got), "past the end");
        assert!(r.copy_vints(0, &mut got));
    }

    #[test]
    fn an_empty_stream_reads_nothing() {
        let mut pool = StreamPool::default();
        let s = pool.stream();
        assert_eq!(pool.reader(&s).next_vint(), None);
    }
}
