//! The inverter's map from a token's raw form to its term and surface ids
//! (also its maps from term to term id and from surface form to surface
//! id, with the second id unused: keys held in the table's slots need no
//! allocation of their own, which made a million new words cost a million
//! allocations and frees).
//!
//! It is looked up once per token of the input (twice for a form first
//! seen while an earlier occurrence was on its way: see
//! `FieldIndex::add`), and on a large chunk it
//! holds a million forms or more, far past the caches: most of what a
//! lookup costs is waiting for memory. So each short form is held in its
//! own 32-byte slot, key and value together, and a lookup reads one slot
//! (where a general map reads a control byte, then its bucket: two misses).
//! Slots are found by linear probing from the form's hash; the hash is
//! seeded per process, so crafted collisions do not carry from one run to
//! the next. Forms too long for a slot (rare) go to an ordinary map.
//!
//! A large table sits in memory of its own, marked for huge pages where
//! the system gives them on request: with 4 KiB pages nearly every lookup
//! of a large table also misses the address-translation cache.
//!
//! Iteration order never reaches the output: ids are handed out in the
//! order forms are first seen.

use std::hash::BuildHasher;

type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Bytes per slot: length, form, term id, surface id.
const SLOT: usize = 32;
/// The longest form held in a slot.
const SHORT: usize = 23;
/// Slots of a new table (a power of two).
const FIRST_SLOTS: usize = 1 << 10;
/// Tables of at least this many bytes get memory of their own, advised
/// for huge pages (smaller ones come from the allocator).
const MAPPED_BYTES: usize = 4 << 20;

/// Raw form → (term id, surface id).
pub(crate) struct Forms {
    slots: Slots,
    /// Slots in use.
    len: usize,
    hasher: foldhash::fast::RandomState,
    long: HashMap<Box<str>, (u32, u32)>,
    /// Bytes of the `long` forms.
    long_bytes: usize,
}

impl Default for Forms {
    fn default() -> Self {
        Forms {
            slots: Slots::zeroed(FIRST_SLOTS * SLOT),
            len: 0,
            hasher: foldhash::fast::RandomState::default(),
            long: HashMap::default(),
            long_bytes: 0,
        }
    }
}

impl Forms {
    /// Bytes the table holds: its slots, and the long forms' entries
    /// (about 48 bytes each besides the form).
    pub(crate) fn held_bytes(&self) -> usize {
        self.slots.bytes().len() + self.long.capacity() * 48 + self.long_bytes
    }

    /// Every form and its ids, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, (u32, u32))> {
        self.slots
            .bytes()
            .chunks_exact(SLOT)
            .filter(|slot| slot[0] != 0)
            // Slots hold whole `str`s: the check never fails.
            .filter_map(|slot| {
                Some((
                    std::str::from_utf8(&slot[1..=slot[0] as usize]).ok()?,
                    ids(slot),
                ))
            })
            .chain(self.long.iter().map(|(form, &ids)| (&**form, ids)))
    }

    /// The ids of `raw`, if it was inserted.
    #[inline]
    pub(crate) fn get(&self, raw: &str) -> Option<(u32, u32)> {
        self.get_hashed(raw, self.hash(raw))
    }

    /// The hash of `raw` that [`Forms::get_hashed`] takes, having asked
    /// the processor to fetch the slot where its lookup starts (0, and
    /// nothing fetched, for a form too long for a slot).
    #[inline]
    pub(crate) fn hash_and_prefetch(&self, raw: &str) -> u64 {
        if !fits(raw.as_bytes()) {
            return 0;
        }
        let hash = self.hash(raw);
        let slots = self.slots.bytes();
        crate::prefetch::prefetch(&slots[probe_start(slots, hash).0 * SLOT]);
        hash
    }

    /// The hash of `raw` in this table.
    #[inline]
    fn hash(&self, raw: &str) -> u64 {
        self.hasher.hash_one(raw.as_bytes())
    }

    /// [`Forms::get`] given `raw`'s hash in this table (from
    /// [`Forms::hash_and_prefetch`]; a form too long for a slot ignores
    /// it). Any other hash may miss a form the table holds.
    #[inline]
    pub(crate) fn get_hashed(&self, raw: &str, hash: u64) -> Option<(u32, u32)> {
        let key = raw.as_bytes();
        if !fits(key) {
            return self.long.get(raw).copied();
        }
        let slots = self.slots.bytes();
        let (mut i, mask) = probe_start(slots, hash);
        loop {
            let slot = &slots[i * SLOT..][..SLOT];
            match slot[0] as usize {
                0 => return None,
                n if n == key.len() && &slot[1..=n] == key => return Some(ids(slot)),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Records the ids of `raw` (not inserted before).
    pub(crate) fn insert(&mut self, raw: &str, ids: (u32, u32)) {
        debug_assert!(self.get(raw).is_none(), "{raw:?} inserted twice");
        if !fits(raw.as_bytes()) {
            self.long_bytes += raw.len();
            self.long.insert(raw.into(), ids);
            return;
        }
        // At most 5/8 full, so probes stay short.
        if (self.len + 1) * 8 > self.slots.bytes().len() / SLOT * 5 {
            self.grow();
        }
        place(self.slots.bytes_mut(), &self.hasher, raw.as_bytes(), ids);
        self.len += 1;
    }

    /// Doubles the table and places every form again.
    fn grow(&mut self) {
        let doubled = Slots::zeroed(self.slots.bytes().len() * 2);
        let old = std::mem::replace(&mut self.slots, doubled);
        let new = self.slots.bytes_mut();
        for slot in old.bytes().chunks_exact(SLOT) {
            let n = slot[0] as usize;
            if n != 0 {
                place(new, &self.hasher, &slot[1..=n], ids(slot));
            }
        }
    }
}

/// Whether `key` is held in a slot (a zero length marks a free slot).
#[inline]
fn fits(key: &[u8]) -> bool {
    (1..=SHORT).contains(&key.len())
}

/// The ids held in `slot`.
#[inline]
fn ids(slot: &[u8]) -> (u32, u32) {
    let word = |at: usize| u32::from_le_bytes(slot[at..at + 4].try_into().expect("4 bytes"));
    (word(24), word(28))
}

/// The slot where the probe for a form of `hash` starts in `slots` (a
/// power of two of them), and the mask that wraps the probe around.
#[inline]
fn probe_start(slots: &[u8], hash: u64) -> (usize, usize) {
    let mask = slots.len() / SLOT - 1;
    (hash as usize & mask, mask)
}

/// Writes `key` and `ids` into the first free slot from `key`'s hash.
fn place(slots: &mut [u8], hasher: &foldhash::fast::RandomState, key: &[u8], ids: (u32, u32)) {
    let (mut i, mask) = probe_start(slots, hasher.hash_one(key));
    while slots[i * SLOT] != 0 {
        i = (i + 1) & mask;
    }
    let slot = &mut slots[i * SLOT..][..SLOT];
    slot[0] = key.len() as u8;
    slot[1..=key.len()].copy_from_slice(key);
    slot[24..28].copy_from_slice(&ids.0.to_le_bytes());
    slot[28..32].copy_from_slice(&ids.1.to_le_bytes());
}

/// Zeroed bytes for a table: from the allocator, or mapped and advised
/// for huge pages when large.
enum Slots {
    Heap(Vec<u8>),
    Mapped(memmap2::MmapMut),
}

impl Slots {
    fn zeroed(len: usize) -> Slots {
        if len >= MAPPED_BYTES {
            if let Ok(map) = memmap2::MmapMut::map_anon(len) {
                // Advice only: where huge pages are not given, the table
                // works the same on small ones.
                let _ = map.advise(memmap2::Advice::HugePage);
                return Slots::Mapped(map);
            }
        }
        Slots::Heap(vec![0; len])
    }

    #[inline]
    fn bytes(&self) -> &[u8] {
        match self {
            Slots::Heap(v) => v,
            Slots::Mapped(m) => m,
        }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        match self {
            Slots::Heap(v) => v,
            Slots::Mapped(m) => m,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_found_after_growing_and_absent_ones_are_not() {
        let mut forms = Forms::default();
        let words: Vec<String> = (0..20_000).map(|i| format!("w{i}")).collect();
        for (i, w) in words.iter().enumerate() {
            assert_eq!(forms.get(w), None);
            forms.insert(w, (i as u32, 7));
        }
        let long = "a-form-longer-than-a-slot-holds";
        forms.insert(long, (1, 2));
        for (i, w) in words.iter().enumerate() {
            assert_eq!(forms.get(w), Some((i as u32, 7)));
        }
        assert_eq!(forms.get(long), Some((1, 2)));
        assert_eq!(forms.get("w20000"), None);
        // A prefix of a held form, and a form one byte from the slot limit.
        assert_eq!(forms.get("w1999"), Some((1999, 7)));
        assert_eq!(forms.get("w"), None);
        let edge = "x".repeat(SHORT);
        forms.insert(&edge, (9, 9));
        assert_eq!(forms.get(&edge), Some((9, 9)));
        assert_eq!(forms.get(&"x".repeat(SHORT + 1)), None);
        assert_eq!(forms.get(""), None);
        forms.insert("", (4, 4));
        assert_eq!(forms.get(""), Some((4, 4)));
        // Iteration yields every form once, with its ids: slot-held, long
        // and empty ones alike.
        let mut all: Vec<(String, (u32, u32))> =
            forms.iter().map(|(f, ids)| (f.to_string(), ids)).collect();
        all.sort();
        let mut want: Vec<(String, (u32, u32))> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), (i as u32, 7)))
            .chain([
                (long.to_string(), (1, 2)),
                (edge.clone(), (9, 9)),
                (String::new(), (4, 4)),
            ])
            .collect();
        want.sort();
        assert_eq!(all, want);
    }

    #[test]
    fn a_large_table_lives_in_mapped_memory() {
        let mut forms = Forms::default();
        let n = MAPPED_BYTES / SLOT;
        for i in 0..n {
            forms.insert(&format!("{i}"), (i as u32, 0));
        }
        assert!(matches!(forms.slots, Slots::Mapped(_)));
        assert_eq!(forms.get(&format!("{}", n - 1)), Some((n as u32 - 1, 0)));
    }
}
