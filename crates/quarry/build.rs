//! Reads the `fst` crate's table of input codes at build time.
//!
//! A one-transition node of an `fst` map may give its input byte as a
//! 6-bit code in its state byte instead of a byte of its own; which byte
//! each code stands for is a table the crate keeps to itself. The checked
//! dictionary reader (`src/fst_check.rs`) needs it, so it is read back
//! here from a map the crate builds: the map of the one key
//! `[0, 1, …, 255]` is a chain of one-transition nodes, each leading to the
//! node right below it, the `k`-th on byte `k`, with `k`'s code in its
//! state byte when `k` has one (else `k` is the byte below the state
//! byte). Building that map takes the crate's builder about half a million
//! instructions, which every process paid on its first lookup when this
//! was done at run time.

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let key: Vec<u8> = (0..=255).collect();
    let map = fst::Map::from_iter([(key, 0u64)]).expect("a map of one key");
    let bytes = map.as_fst().as_bytes();
    let len = bytes.len();
    let root = u64::from_le_bytes(bytes[len - 12..len - 4].try_into().expect("8 bytes"));
    let mut addr = usize::try_from(root).expect("an address");
    let mut table = [None::<u8>; 64];
    for k in 0..=255u8 {
        let state = bytes[addr];
        // Every node leads to the one right below it (state 0b11...),
        // but the last, which leads to the final empty node (0b10...).
        let last = k == 255;
        assert_eq!(
            state >> 6,
            if last { 0b10 } else { 0b11 },
            "fst's map of one key is not a chain of one-transition nodes at byte {addr}: \
             the checked reader must be revisited for this fst version"
        );
        let code = usize::from(state & 0x3f);
        if code == 0 {
            assert_eq!(bytes[addr - 1], k, "the byte below a state without a code");
            addr -= 2;
        } else {
            table[code] = Some(k);
            addr -= 1;
        }
    }
    let mut code = String::from(
        "/// The byte each input code (1 to 63) of a one-transition state stands for,\n\
         /// read from the `fst` crate at build time (`build.rs`).\n\
         const COMMON_INPUTS: [Option<u8>; 64] = [\n",
    );
    for entry in table {
        writeln!(code, "    {entry:?},").expect("write to a string");
    }
    code.push_str("];\n");
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("fst_codes.rs"), code).expect("write to OUT_DIR");
}
