//! The checked reader: a map read node by node, each node decoded by the
//! parent module's checked decoder and its pages checked before use.

use super::{decode, layout, Fault, Kind, Node, FOOTER, HEADER};
use crate::pages::PageGuard;

/// A map read node by node with every offset checked, for the walks that
/// visit only part of it (lookups, prefix and fuzzy walks): nothing is
/// trusted but the nodes a walk decodes, so it needs no [`check_fst`] over
/// the whole map. On a map [`check_fst`] accepts it reads what the `fst`
/// crate reads; on any other bytes a walk gets answers or errors, and never
/// reads out of bounds. Transitions always lead to lower addresses, so no
/// walk can cycle.
#[derive(Clone, Copy)]
pub(crate) struct CheckedFst<'a> {
    area: &'a [u8],
    root: usize,
    /// Checks the pages of each node before it is used, when the map is
    /// an index file's section.
    guard: Option<PageGuard<'a>>,
}

/// One decoded node of a [`CheckedFst`].
#[derive(Clone, Copy)]
pub(crate) struct FstNode<'a> {
    area: &'a [u8],
    node: Node,
}

/// One transition: input byte, output, and the node it leads to.
#[derive(Clone, Copy)]
pub(crate) struct FstTransition {
    pub(crate) input: u8,
    pub(crate) output: u64,
    pub(crate) target: usize,
}

impl<'a> CheckedFst<'a> {
    /// The map in `bytes`, no page checks (for tests of maps in memory).
    #[cfg(test)]
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Self, Fault> {
        Self::with_guard(bytes, None)
    }

    /// The map in `bytes`, whose pages `guard` checks: the header and the
    /// footer now, each node as a walk reaches it.
    pub(crate) fn with_guard(bytes: &'a [u8], guard: Option<PageGuard<'a>>) -> Result<Self, Fault> {
        let n = bytes.len();
        if guard
            .is_some_and(|g| !g.check(0, n.min(HEADER)) || !g.check(n.saturating_sub(FOOTER), n))
        {
            return Err(Fault::new("a page of the map fails its checksum", 0));
        }
        let (area, root) = layout(bytes)?;
        Ok(CheckedFst { area, root, guard })
    }

    pub(crate) fn root(&self) -> Result<FstNode<'a>, Fault> {
        self.node(self.root)
    }

    /// The node at `addr`, an address a transition of this map gave.
    #[inline]
    pub(crate) fn node(&self, addr: usize) -> Result<FstNode<'a>, Fault> {
        if addr >= self.area.len() {
            return Err(Fault::new(
                "a node address is past the end of the map",
                addr,
            ));
        }
        let node = decode(self.area, addr)?;
        // Decoding only found the node's extent; nothing of it is used
        // before its pages are checked.
        if addr != 0
            && self
                .guard
                .as_ref()
                .is_some_and(|g| !g.check(node.end, addr + 1))
        {
            return Err(Fault::new("a page of the map fails its checksum", addr));
        }
        Ok(FstNode {
            area: self.area,
            node,
        })
    }

    /// The node `prefix` leads to from the root, with the outputs on the
    /// way; `None` if no key starts with `prefix`.
    fn descend(&self, prefix: &[u8]) -> Result<Option<(FstNode<'a>, u64)>, Fault> {
        let mut node = self.root()?;
        let mut value = 0u64;
        for &b in prefix {
            let Some(t) = node.find(b)? else {
                return Ok(None);
            };
            value = add(value, t.output)?;
            node = self.node(t.target)?;
        }
        Ok(Some((node, value)))
    }

    /// The value of `key`, if the map holds it.
    pub(crate) fn get(&self, key: &[u8]) -> Result<Option<u64>, Fault> {
        match self.descend(key)? {
            Some((node, value)) if node.is_final() => add(value, node.final_output()).map(Some),
            _ => Ok(None),
        }
    }

    /// The value of the first key (in key order) that starts with `prefix`.
    pub(crate) fn first_with_prefix(&self, prefix: &[u8]) -> Result<Option<u64>, Fault> {
        let Some((mut node, mut value)) = self.descend(prefix)? else {
            return Ok(None);
        };
        while !node.is_final() {
            if node.is_empty() {
                return Ok(None);
            }
            let t = node.transition(0)?;
            value = add(value, t.output)?;
            node = self.node(t.target)?;
        }
        add(value, node.final_output()).map(Some)
    }
}

/// The path of the last key a run of lookups found its way along, so the
/// next lookup resumes where the two keys part ([`CheckedFst::get_along`]):
/// an expansion's terms, looked up in key order, share most of their
/// path through the dictionary. Kept for one map only.
pub(crate) struct LookupPath {
    /// The key bytes the path follows: `key[..len]`.
    key: [u8; PATH_MAX],
    len: usize,
    /// `nodes[d]` for `d <= len`: the address of the node `key[..d]` leads
    /// to, and the outputs on the way (`nodes[0]` the root); none before
    /// the first lookup.
    nodes: [(usize, u64); PATH_MAX + 1],
    started: bool,
}

/// Longest path kept: longer keys are looked up from the root (analysis
/// drops tokens of 40 bytes or more, so dictionary keys are shorter).
const PATH_MAX: usize = 48;

impl Default for LookupPath {
    fn default() -> Self {
        LookupPath {
            key: [0; PATH_MAX],
            len: 0,
            nodes: [(0, 0); PATH_MAX + 1],
            started: false,
        }
    }
}

impl CheckedFst<'_> {
    /// [`CheckedFst::get`], resuming from `path` (the last lookup's, in
    /// this map) where `key` parts from it, and leaving `key`'s path in it.
    pub(crate) fn get_along(
        &self,
        key: &[u8],
        path: &mut LookupPath,
    ) -> Result<Option<u64>, Fault> {
        if key.len() > PATH_MAX {
            return self.get(key);
        }
        if !path.started {
            path.started = true;
            path.len = 0;
            path.nodes[0] = (self.root, 0);
        }
        let shared = path.key[..path.len]
            .iter()
            .zip(key)
            .take_while(|(a, b)| a == b)
            .count();
        let (addr, mut value) = path.nodes[shared];
        path.len = shared;
        let mut node = self.node(addr)?;
        for &b in &key[shared..] {
            let Some(t) = node.find(b)? else {
                return Ok(None);
            };
            value = add(value, t.output)?;
            node = self.node(t.target)?;
            path.key[path.len] = b;
            path.len += 1;
            path.nodes[path.len] = (t.target, value);
        }
        if node.is_final() {
            add(value, node.final_output()).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// `a + b`, or the fault of a map whose outputs overflow.
#[inline]
pub(crate) fn add(a: u64, b: u64) -> Result<u64, Fault> {
    a.checked_add(b)
        .ok_or(Fault::new("outputs add up past 64 bits", 0))
}

impl FstNode<'_> {
    pub(crate) fn len(&self) -> usize {
        self.node.ntrans()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.node.ntrans() == 0
    }

    pub(crate) fn is_final(&self) -> bool {
        self.node.is_final
    }

    pub(crate) fn final_output(&self) -> u64 {
        self.node.final_output
    }

    /// Transition `i`, for `i` below [`FstNode::len`].
    #[inline(always)]
    pub(crate) fn transition(&self, i: usize) -> Result<FstTransition, Fault> {
        if i >= self.node.ntrans() {
            return Err(Fault::new("a node has no such transition", self.node.addr));
        }
        let t = self.node.transition(self.area, i)?;
        Ok(FstTransition {
            input: t.input,
            output: t.output,
            target: t.target,
        })
    }

    /// The input byte of transition `i`, for `i` below [`FstNode::len`]:
    /// cheaper than the whole transition when most are not followed.
    #[inline]
    pub(crate) fn input(&self, i: usize) -> Result<u8, Fault> {
        if i >= self.node.ntrans() {
            return Err(Fault::new("a node has no such transition", self.node.addr));
        }
        Ok(self.node.input(self.area, i))
    }

    /// The transition on byte `b`, if there is one.
    #[inline]
    pub(crate) fn find(&self, b: u8) -> Result<Option<FstTransition>, Fault> {
        if self.node.ntrans() == 0 {
            return Ok(None);
        }
        if let Kind::Any {
            count_len,
            table_len,
        } = self.node.kind
        {
            let top = self.node.addr - usize::from(count_len) - 1 - usize::from(table_len);
            if table_len == 256 {
                // The lookup table under the sizes byte names the transition.
                let i = usize::from(self.area[top + usize::from(b)]);
                if i >= self.node.ntrans() {
                    return Ok(None);
                }
                let t = self.transition(i)?;
                return if t.input == b {
                    Ok(Some(t))
                } else {
                    Err(Fault::new(
                        "a lookup table disagrees with its node's inputs",
                        self.node.addr,
                    ))
                };
            }
            // The inputs are bytes side by side, the first transition's on top.
            let inputs = &self.area[top - self.node.ntrans()..top];
            return match inputs.iter().rposition(|&x| x == b) {
                Some(at) => self.transition(inputs.len() - 1 - at).map(Some),
                None => Ok(None),
            };
        }
        // One transition: its input, known from the state byte, decides
        // before the rest of it is read.
        if self.node.input(self.area, 0) == b {
            self.transition(0).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// The value of `key` in the map `bytes` ([`CheckedFst::get`]).
#[cfg(test)]
pub(crate) fn get(bytes: &[u8], key: &[u8]) -> Result<Option<u64>, Fault> {
    CheckedFst::new(bytes)?.get(key)
}
