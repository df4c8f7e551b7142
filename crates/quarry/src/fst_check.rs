//! A structural check of an `fst` map's bytes, run once before the `fst`
//! crate reads them. The crate trusts its input: a node whose sizes or
//! addresses point outside the map makes it index out of bounds or fail an
//! assertion, so a forged dictionary whose checksums were recomputed would
//! crash a search. This module decodes every node itself, with checked
//! arithmetic, and accepts the map only if every read the crate can make
//! stays inside the node it belongs to.
//!
//! The layout checked is the `fst` crate's format version 3, as
//! `fst::MapBuilder` writes it: a 16-byte header (version, type), the
//! compiled nodes back to back, then the key count, the root address and a
//! CRC-32C. A node's address is its last byte (its state byte); its other
//! bytes lie below that, and every transition leads to a lower address, so
//! the nodes tile the bytes from 16 to the root and can be decoded one after
//! another walking down from the root.
//!
//! Accepted maps satisfy, for every node: its encoded sizes are within the
//! crate's limits (1 to 8 bytes per address, 0 to 8 per output); it lies
//! wholly within the node area; every transition leads to address 0 (the
//! implicit empty final node) or to the first byte of another node, which
//! is below this one; its inputs are strictly increasing, and its lookup
//! table (nodes of more than 32 transitions) names exactly those inputs;
//! every output is small enough that no path's sum can overflow 64 bits.
//! Nothing here decides what the keys mean: that the keys are well formed
//! and their values right is [`crate::Index::verify`]'s work.

use byteorder::{ByteOrder, LittleEndian};

mod reader;
#[cfg(test)]
pub(crate) use reader::get;
pub(crate) use reader::{add, CheckedFst, FstNode, LookupPath};

/// What is wrong with a map's bytes, and at which byte of the map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fault {
    what: &'static str,
    at: usize,
}

impl Fault {
    fn new(what: &'static str, at: usize) -> Self {
        Fault { what, at }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (byte {} of the map)", self.what, self.at)
    }
}

/// Bytes before the first node: version and type.
const HEADER: usize = 16;
/// Bytes after the root node: key count, root address, checksum.
const FOOTER: usize = 20;
/// The one `fst` format version the dictionaries are written in.
const FST_VERSION: u64 = 3;
/// Nodes of more than this many transitions carry a 256-byte lookup table.
const INDEX_THRESHOLD: usize = 32;

/// The node area of a map (its bytes before the footer) and the root's
/// address, 0 for the map whose only key is the empty one.
fn layout(bytes: &[u8]) -> Result<(&[u8], usize), Fault> {
    if bytes.len() < HEADER + FOOTER {
        return Err(Fault::new("the map is too short", bytes.len()));
    }
    let version = LittleEndian::read_u64(bytes);
    if version != FST_VERSION {
        return Err(Fault::new("the map is not of fst version 3", 0));
    }
    let root = LittleEndian::read_u64(&bytes[bytes.len() - 12..]);
    let nodes_end = bytes.len() - FOOTER;
    let area = &bytes[..nodes_end];
    if root == 0 {
        // The root is the implicit empty final node: there are no nodes.
        return if nodes_end == HEADER {
            Ok((area, 0))
        } else {
            Err(Fault::new(
                "a map without a root node has node bytes",
                HEADER,
            ))
        };
    }
    if root != nodes_end as u64 - 1 {
        return Err(Fault::new(
            "the root address is not the last node byte",
            nodes_end,
        ));
    }
    Ok((area, nodes_end - 1))
}

/// Checks `bytes` as described in the module documentation.
///
/// # Errors
/// A short description of the first fault found.
pub(crate) fn check_fst(bytes: &[u8]) -> Result<(), Fault> {
    let (area, root) = layout(bytes)?;
    if root == 0 {
        return Ok(());
    }
    let nodes_end = area.len();
    // One pass downwards from the root: every node decodes within the area
    // and the next one starts right below it. Node starts are marked, and
    // so are the addresses transitions lead to; every one of those must be
    // a start, which is known only once the pass has gone below it.
    let words = nodes_end.div_ceil(64);
    let mut starts = vec![0u64; words];
    let mut targets = vec![0u64; words];
    let mut count = 0u64;
    let mut max_output = 0u64;
    let mut addr = nodes_end - 1;
    loop {
        let node = decode(area, addr)?;
        starts[addr / 64] |= 1 << (addr % 64);
        count += 1;
        if let Kind::OneNext { .. } = node.kind {
            // Its transition leads to the node right below, the next one
            // this pass decodes (decode checked that there is one).
            addr = node.end - 1;
            continue;
        }
        let mut previous: Option<u8> = None;
        for i in 0..node.ntrans() {
            let t = node.transition(area, i)?;
            if t.target != 0 {
                targets[t.target / 64] |= 1 << (t.target % 64);
            }
            if previous.is_some_and(|p| p >= t.input) {
                return Err(Fault::new(
                    "a node has transitions out of input order",
                    addr,
                ));
            }
            previous = Some(t.input);
            max_output = max_output.max(t.output);
        }
        max_output = max_output.max(node.final_output);
        if node.ntrans() > INDEX_THRESHOLD {
            node.check_lookup_table(area)?;
        }
        if node.end == HEADER {
            break;
        }
        addr = node.end - 1;
    }
    if let Some(w) = (0..words).find(|&w| targets[w] & !starts[w] != 0) {
        let at = w * 64 + (targets[w] & !starts[w]).trailing_zeros() as usize;
        return Err(Fault::new("a transition leads inside a node", at));
    }
    // No path visits a node twice (addresses strictly fall), so a sum of
    // outputs has at most `count + 1` terms.
    if max_output > u64::MAX / (count + 1) {
        return Err(Fault::new("an output is too large to add up", 0));
    }
    Ok(())
}

/// What the `fst` crate reads of one node, with every offset checked.
#[derive(Clone, Copy)]
struct Node {
    /// Address of the state byte (the node's last byte).
    addr: usize,
    /// First byte of the node.
    end: usize,
    kind: Kind,
    ntrans: u16,
    /// Bytes per transition address and per output.
    tsize: u8,
    osize: u8,
    is_final: bool,
    final_output: u64,
}

impl Node {
    fn ntrans(&self) -> usize {
        usize::from(self.ntrans)
    }

    fn tsize(&self) -> usize {
        usize::from(self.tsize)
    }

    fn osize(&self) -> usize {
        usize::from(self.osize)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One transition to the node just below, no output.
    OneNext { input: u8 },
    /// One transition with an address and maybe an output.
    One { input: u8 },
    /// Any number of transitions, maybe final.
    Any {
        /// Bytes of the transition count after the state byte (0 or 1).
        count_len: u8,
        /// Bytes of the lookup table (0 or 256).
        table_len: u16,
    },
}

struct Transition {
    input: u8,
    output: u64,
    target: usize,
}

/// `addr - sub`, or the fault if that falls below the node area.
#[inline]
fn below(addr: usize, sub: usize, at: usize) -> Result<usize, Fault> {
    addr.checked_sub(sub)
        .filter(|&a| a >= HEADER)
        .ok_or(Fault::new("a node runs below the start of the map", at))
}

/// `nbytes` little-endian bytes at `at` as an integer.
#[inline]
fn uint(area: &[u8], at: usize, nbytes: usize) -> u64 {
    match area.get(at..at + 8) {
        // One load of eight bytes, the ones past `nbytes` masked off.
        Some(word) if nbytes > 0 => {
            LittleEndian::read_u64(word) & (u64::MAX >> (64 - 8 * nbytes as u32))
        }
        _ if nbytes == 0 => 0,
        _ => LittleEndian::read_uint(&area[at..at + nbytes], nbytes),
    }
}

/// The input of a one-transition node: one of the `fst` crate's common
/// bytes, coded in the state byte, or else the byte below it. Without a
/// table of the codes (while the table itself is being read), the code
/// stands in for the byte.
fn one_input(area: &[u8], addr: usize, state: u8, codes: bool) -> Result<(u8, usize), Fault> {
    match (state & 0x3f, codes) {
        (0, _) => Ok((area[below(addr, 1, addr)?], 1)),
        (code, false) => Ok((code, 0)),
        (code, true) => common_inputs()[usize::from(code)]
            .map(|b| (b, 0))
            .ok_or(Fault::new("a node has an unknown input code", addr)),
    }
}

/// The byte each input code (1 to 63) of a one-transition state stands for.
type Codes = [Option<u8>; 64];

include!(concat!(env!("OUT_DIR"), "/fst_codes.rs"));

/// The `fst` crate's table of input codes, read from the crate at build
/// time (`build.rs`).
#[inline]
fn common_inputs() -> &'static Codes {
    &COMMON_INPUTS
}

/// The table read back from the crate at run time, as `build.rs` does,
/// through this module's own decoder: the two must agree.
#[cfg(test)]
fn common_inputs_read_now() -> Codes {
    let mut table = [None; 64];
    let key: Vec<u8> = (0..=255).collect();
    let map = fst::Map::from_iter([(key, 0u64)]).expect("a map of one key");
    let (area, mut addr) = layout(map.as_fst().as_bytes()).expect("a sound map");
    for k in 0..=255u8 {
        let node = decode_with(area, addr, false).expect("a sound node");
        let code = usize::from(area[addr] & 0x3f);
        if area[addr] >> 7 == 1 && code != 0 {
            table[code] = Some(k);
        }
        match node.transition(area, 0) {
            Ok(t) if t.target != 0 => addr = t.target,
            _ => break,
        }
    }
    table
}

fn sizes(byte: u8, at: usize) -> Result<(usize, usize), Fault> {
    let (tsize, osize) = (usize::from(byte >> 4), usize::from(byte & 0x0f));
    if tsize > 8 || osize > 8 {
        return Err(Fault::new("a node has pack sizes out of range", at));
    }
    Ok((tsize, osize))
}

fn decode(area: &[u8], addr: usize) -> Result<Node, Fault> {
    decode_with(area, addr, true)
}

/// The node at `addr`, which must be within `area`; address 0 is the
/// implicit empty final node.
fn decode_with(area: &[u8], addr: usize, codes: bool) -> Result<Node, Fault> {
    if addr == 0 {
        return Ok(Node {
            addr,
            end: 0,
            kind: Kind::Any {
                count_len: 0,
                table_len: 0,
            },
            ntrans: 0,
            tsize: 0,
            osize: 0,
            is_final: true,
            final_output: 0,
        });
    }
    let state = area[addr];
    let mut node = Node {
        addr,
        end: 0,
        kind: Kind::OneNext { input: 0 },
        ntrans: 1,
        tsize: 0,
        osize: 0,
        is_final: false,
        final_output: 0,
    };
    match state >> 6 {
        0b11 => {
            let (input, input_len) = one_input(area, addr, state, codes)?;
            node.kind = Kind::OneNext { input };
            node.end = below(addr, input_len, addr)?;
            // Its transition leads to the byte below it, which must be a node.
            below(node.end, 1, addr)?;
        }
        0b10 => {
            let (input, input_len) = one_input(area, addr, state, codes)?;
            let at = below(addr, input_len + 1, addr)?;
            let (tsize, osize) = sizes(area[at], addr)?;
            if tsize == 0 {
                return Err(Fault::new("a node has an empty transition address", addr));
            }
            node.kind = Kind::One { input };
            (node.tsize, node.osize) = (tsize as u8, osize as u8);
            node.end = below(at, tsize + osize, addr)?;
        }
        _ => {
            let is_final = state & 0x40 != 0;
            let (ntrans, count_len) = match usize::from(state & 0x3f) {
                0 => match area[below(addr, 1, addr)?] {
                    1 => (256, 1),
                    n => (usize::from(n), 1),
                },
                n => (n, 0),
            };
            let at = below(addr, count_len + 1, addr)?;
            let (tsize, osize) = sizes(area[at], addr)?;
            if tsize == 0 && ntrans > 0 {
                return Err(Fault::new("a node has an empty transition address", addr));
            }
            let table_len = if ntrans > INDEX_THRESHOLD { 256 } else { 0 };
            let body = ntrans * (1 + tsize + osize) + table_len + if is_final { osize } else { 0 };
            node.kind = Kind::Any {
                count_len: count_len as u8,
                table_len: table_len as u16,
            };
            node.is_final = is_final;
            (node.ntrans, node.tsize, node.osize) = (ntrans as u16, tsize as u8, osize as u8);
            node.end = below(at, body, addr)?;
            if is_final && osize > 0 {
                node.final_output = uint(area, node.end, osize);
            }
        }
    }
    Ok(node)
}

impl Node {
    /// The input byte of transition `i` alone (a walk that may not follow
    /// it needs no more). `i` is below [`Node::ntrans`].
    #[inline]
    fn input(&self, area: &[u8], i: usize) -> u8 {
        match self.kind {
            Kind::OneNext { input } | Kind::One { input } => input,
            Kind::Any {
                count_len,
                table_len,
            } => area[self.addr - usize::from(count_len) - 1 - usize::from(table_len) - i - 1],
        }
    }

    /// Transition `i`, read where the `fst` crate reads it. The offsets are
    /// within the node: [`decode`] checked the node's whole extent.
    #[inline(always)]
    fn transition(&self, area: &[u8], i: usize) -> Result<Transition, Fault> {
        let (input, delta, output) = match self.kind {
            Kind::OneNext { input } => {
                return Ok(Transition {
                    input,
                    output: 0,
                    target: self.end - 1,
                })
            }
            Kind::One { input } => {
                let input_len = usize::from(area[self.addr] & 0x3f == 0);
                let at = self.addr - input_len - 1 - self.tsize();
                let output = if self.osize() == 0 {
                    0
                } else {
                    uint(area, at - self.osize(), self.osize())
                };
                (input, uint(area, at, self.tsize()), output)
            }
            Kind::Any {
                count_len,
                table_len,
            } => {
                let inputs = self.addr - usize::from(count_len) - 1 - usize::from(table_len);
                let input = area[inputs - i - 1];
                let at = inputs - self.ntrans() - (i + 1) * self.tsize();
                let delta = uint(area, at, self.tsize());
                let output = if self.osize() == 0 {
                    0
                } else {
                    let outputs = inputs - self.ntrans() * (1 + self.tsize());
                    uint(area, outputs - (i + 1) * self.osize(), self.osize())
                };
                (input, delta, output)
            }
        };
        let target = if delta == 0 {
            0
        } else {
            usize::try_from(delta)
                .ok()
                .and_then(|d| self.end.checked_sub(d))
                .ok_or(Fault::new("a transition leads below the map", self.addr))?
        };
        Ok(Transition {
            input,
            output,
            target,
        })
    }

    /// A node with a lookup table: entry `b` holds the index of the
    /// transition on byte `b`, and every other entry is out of range.
    fn check_lookup_table(&self, area: &[u8]) -> Result<(), Fault> {
        let Kind::Any {
            count_len,
            table_len: 256,
        } = self.kind
        else {
            return Ok(());
        };
        let table_start = self.addr - usize::from(count_len) - 1 - 256;
        let table = &area[table_start..table_start + 256];
        let inputs = table_start;
        let mut expected = [u8::MAX; 256];
        let mut seen = [false; 256];
        for i in 0..self.ntrans() {
            let b = usize::from(area[inputs - i - 1]);
            expected[b] = i as u8;
            seen[b] = true;
        }
        for b in 0..256 {
            let entry = usize::from(table[b]);
            let right = if seen[b] {
                entry == usize::from(expected[b])
            } else {
                entry >= self.ntrans()
            };
            if !right {
                return Err(Fault::new(
                    "a lookup table disagrees with its node's inputs",
                    self.addr,
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "fst_check_tests.rs"]
mod tests;
