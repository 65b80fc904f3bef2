//! The tables that describe a unit of compiled code (its functions and their names, trap
//! sites, exception call sites, stack maps and the code of functions inlined into others) as
//! one flat array of 32-bit words, read in place: from memory when the code was just compiled,
//! and straight from the mapped file when it was loaded from a precompiled module, so that
//! loading a large module reads only the entries its run looks up.
//!
//! Layout (every number a little-endian `u32`, the byte order of every target wasmfx runs on): a header of [`HEADER_WORDS`] words (a format
//! tag, the code length, then the count of each section below), then the sections in this
//! order: functions (start, length, name start, name length), name bytes (packed four to a
//! word), trap offsets (sorted), trap codes (one byte each, packed), exception call sites
//! (return address, frame offset, vmctx offset, first handler), handlers (tag offset plus one
//! or 0 for `catch_all`, target), stack maps at calls and at switches (return address, first
//! distance, reference count, continuation count), the distances they list, inlined code
//! ranges (start, end, first function, function count; sorted, disjoint) and the functions
//! they list (defined function indices, innermost first).

use crate::{ExnCallSite, ExnHandler, StackMapSite, StackMaps, Trap};
use anyhow::{bail, Result};
use std::ops::Range;
use std::sync::Arc;

/// Words of the header.
pub const HEADER_WORDS: usize = 12;

/// The first word of every table array ("CTB2").
const FORMAT: u32 = u32::from_le_bytes(*b"CTB2");

/// A function's name start that means "no name" (trampolines).
const NO_NAME: u32 = u32::MAX;

/// Where the words of a [`CodeTables`] live: owned memory, or a mapped file.
pub trait WordSource: Send + Sync {
    /// The words.
    fn words(&self) -> &[u32];
}

impl WordSource for Vec<u32> {
    fn words(&self) -> &[u32] {
        self
    }
}

/// A function of the code, as [`CodeTables::encode`] takes it: start offset, length, name.
pub type FuncEntry = (u32, u32, Option<String>);

/// A range of machine code translated from functions inlined into the function containing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinedRange {
    /// First code offset of the range.
    pub start: u32,
    /// One past its last code offset.
    pub end: u32,
    /// The inlined functions (defined function indices), innermost first: the first was
    /// inlined into the second, and so on, the last into the function containing the range.
    pub funcs: Vec<u32>,
}

/// The sections' word ranges, computed from the header.
#[derive(Debug, Clone)]
struct Layout {
    code_len: u32,
    funcs: Range<usize>,
    names: Range<usize>,
    name_bytes: usize,
    trap_offsets: Range<usize>,
    trap_codes: Range<usize>,
    exn_sites: Range<usize>,
    handlers: Range<usize>,
    call_maps: Range<usize>,
    switch_maps: Range<usize>,
    distances: Range<usize>,
    inlined: Range<usize>,
    inlined_funcs: Range<usize>,
}

impl Layout {
    /// The layout the header of `words` describes, if it fits `words` exactly.
    fn read(words: &[u32]) -> Option<Layout> {
        let header = words.get(..HEADER_WORDS)?;
        if header[0] != FORMAT {
            return None;
        }
        let count = |i: usize| header[i] as usize;
        let mut at = HEADER_WORDS;
        let mut take = |len: Option<usize>| -> Option<Range<usize>> {
            let start = at;
            at = at.checked_add(len?)?;
            Some(start..at)
        };
        let name_bytes = count(3);
        let funcs = take(count(2).checked_mul(4))?;
        let names = take(Some(name_bytes.div_ceil(4)))?;
        let trap_offsets = take(Some(count(4)))?;
        let trap_codes = take(Some(count(4).div_ceil(4)))?;
        let exn_sites = take(count(5).checked_mul(4))?;
        let handlers = take(count(6).checked_mul(2))?;
        let call_maps = take(count(7).checked_mul(4))?;
        let switch_maps = take(count(8).checked_mul(4))?;
        let distances = take(Some(count(9)))?;
        let inlined = take(count(10).checked_mul(4))?;
        let inlined_funcs = take(Some(count(11)))?;
        (at == words.len()).then_some(Layout {
            code_len: header[1],
            funcs,
            names,
            name_bytes,
            trap_offsets,
            trap_codes,
            exn_sites,
            handlers,
            call_maps,
            switch_maps,
            distances,
            inlined,
            inlined_funcs,
        })
    }
}

/// The tables of one unit of compiled code (see the module documentation). Cheap to clone.
#[derive(Clone)]
pub struct CodeTables {
    source: Arc<dyn WordSource>,
    layout: Layout,
}

impl std::fmt::Debug for CodeTables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeTables")
            .field("code_len", &self.layout.code_len)
            .field("funcs", &self.func_count())
            .finish_non_exhaustive()
    }
}

/// An exception call site read from the tables.
#[derive(Debug, Clone, Copy)]
pub struct ExnSite<'a> {
    /// Distance from the frame pointer down to the stack pointer at the call.
    pub frame_offset: u32,
    /// Where the catching frame's `VMContext` is saved, as an offset from that stack pointer.
    pub vmctx_sp_offset: u32,
    handlers: &'a [[u32; 2]],
    code_len: u32,
}

impl ExnSite<'_> {
    /// The handlers, innermost first. A handler whose landing pad lies outside the code (only
    /// in a damaged file) is left out.
    pub fn handlers(&self) -> impl Iterator<Item = ExnHandler> + '_ {
        self.handlers
            .iter()
            .filter(|[_, target]| *target < self.code_len)
            .map(|&[tag, target]| ExnHandler {
                tag: tag.checked_sub(1),
                target,
            })
    }
}

/// The GC references a waiting frame holds, as distances below its frame pointer.
#[derive(Debug, Clone, Copy)]
pub struct StackMap<'a> {
    /// Reference words (`anyref`, `externref` and their subtypes).
    pub refs: &'a [u32],
    /// Continuation references (16 bytes, the object's address first).
    pub conts: &'a [u32],
}

impl StackMap<'_> {
    /// Whether every distance is 8-aligned, leaves room for its value below the frame
    /// pointer, and stays within [`StackMapSite::MAX_DISTANCE`].
    pub fn is_well_formed(&self) -> bool {
        let ok = |d: &u32, size: u32| {
            d.is_multiple_of(8) && *d >= size && *d <= StackMapSite::MAX_DISTANCE
        };
        self.refs.iter().all(|d| ok(d, 8)) && self.conts.iter().all(|d| ok(d, 16))
    }
}

impl CodeTables {
    /// The tables in `source`, after checking that their header fits and that every stack
    /// map is well formed (what generated code reads relative to a frame pointer must stay
    /// near it); the other entries are checked where they are used.
    pub fn new(source: Arc<dyn WordSource>) -> Result<CodeTables> {
        let Some(layout) = Layout::read(source.words()) else {
            bail!("corrupt code tables: their header does not match their length");
        };
        let tables = CodeTables { source, layout };
        let maps_ok = [&tables.layout.call_maps, &tables.layout.switch_maps]
            .into_iter()
            .all(|range| {
                tables
                    .records::<4>(range)
                    .iter()
                    .all(|&site| tables.stack_map(site).is_some_and(|m| m.is_well_formed()))
            });
        if !maps_ok {
            bail!("corrupt code tables: a stack map reaches outside its frame");
        }
        Ok(tables)
    }

    /// Tables owned in memory, from [`CodeTables::encode`]'s output.
    pub fn from_words(words: Vec<u32>) -> Result<CodeTables> {
        CodeTables::new(Arc::new(words))
    }

    /// The words describing code of `code_len` bytes with these functions (sorted by start),
    /// trap sites, exception call sites, stack maps and inlined ranges (each sorted by offset).
    pub fn encode(
        code_len: u32,
        funcs: &[FuncEntry],
        traps: &[(u32, Trap)],
        exn_sites: &[ExnCallSite],
        stack_maps: &StackMaps,
        inlined: &[InlinedRange],
    ) -> Vec<u32> {
        let mut names = Vec::new();
        let mut func_words = Vec::with_capacity(funcs.len() * 4);
        for (start, len, name) in funcs {
            let (name_start, name_len) = match name {
                Some(name) => {
                    let at = names.len() as u32;
                    names.extend_from_slice(name.as_bytes());
                    (at, name.len() as u32)
                }
                None => (NO_NAME, 0),
            };
            func_words.extend([*start, *len, name_start, name_len]);
        }
        let handler_count: usize = exn_sites.iter().map(|s| s.handlers.len()).sum();
        let map_sites = |sites: &[StackMapSite], distances: &mut Vec<u32>| {
            let mut words = Vec::with_capacity(sites.len() * 4);
            for site in sites {
                words.extend([
                    site.ret_addr,
                    distances.len() as u32,
                    site.refs.len() as u32,
                    site.conts.len() as u32,
                ]);
                distances.extend(&site.refs);
                distances.extend(&site.conts);
            }
            words
        };
        let mut distances = Vec::new();
        let call_maps = map_sites(&stack_maps.calls, &mut distances);
        let switch_maps = map_sites(&stack_maps.switches, &mut distances);
        let mut inlined_funcs: Vec<u32> = Vec::new();
        let mut inlined_words = Vec::with_capacity(inlined.len() * 4);
        for range in inlined {
            inlined_words.extend([
                range.start,
                range.end,
                inlined_funcs.len() as u32,
                range.funcs.len() as u32,
            ]);
            inlined_funcs.extend(&range.funcs);
        }

        let mut words = vec![
            FORMAT,
            code_len,
            funcs.len() as u32,
            names.len() as u32,
            traps.len() as u32,
            exn_sites.len() as u32,
            handler_count as u32,
            stack_maps.calls.len() as u32,
            stack_maps.switches.len() as u32,
            distances.len() as u32,
            inlined.len() as u32,
            inlined_funcs.len() as u32,
        ];
        words.extend(func_words);
        words.extend(pack_bytes(&names));
        words.extend(traps.iter().map(|(offset, _)| *offset));
        let codes: Vec<u8> = traps.iter().map(|(_, trap)| *trap as u8).collect();
        words.extend(pack_bytes(&codes));
        let mut first_handler = 0u32;
        for site in exn_sites {
            words.extend([
                site.ret_addr,
                site.frame_offset,
                site.vmctx_sp_offset,
                first_handler,
            ]);
            first_handler += site.handlers.len() as u32;
        }
        for handler in exn_sites.iter().flat_map(|s| &s.handlers) {
            words.extend([handler.tag.map_or(0, |t| t + 1), handler.target]);
        }
        words.extend(call_maps);
        words.extend(switch_maps);
        words.extend(distances);
        words.extend(inlined_words);
        words.extend(inlined_funcs);
        words
    }

    /// All the words (what a precompiled module stores).
    pub fn all_words(&self) -> &[u32] {
        self.source.words()
    }

    fn words(&self, range: &Range<usize>) -> &[u32] {
        &self.source.words()[range.clone()]
    }

    fn records<const N: usize>(&self, range: &Range<usize>) -> &[[u32; N]] {
        self.words(range).as_chunks::<N>().0
    }

    /// Length of the code the tables describe.
    pub fn code_len(&self) -> u32 {
        self.layout.code_len
    }

    /// Number of functions.
    pub fn func_count(&self) -> usize {
        self.layout.funcs.len() / 4
    }

    /// Start offset and length of function `index`.
    pub fn func(&self, index: usize) -> (u32, u32) {
        let [start, len, _, _] = self.records::<4>(&self.layout.funcs)[index];
        (start, len)
    }

    /// The name of function `index`; `None` for trampolines (and damaged names).
    pub fn func_name(&self, index: usize) -> Option<String> {
        let [_, _, start, len] = self.records::<4>(&self.layout.funcs)[index];
        let (start, len) = (start as usize, len as usize);
        let end = start.checked_add(len)?;
        if start == NO_NAME as usize || end > self.layout.name_bytes {
            return None;
        }
        let words = self.words(&self.layout.names);
        let bytes: Vec<u8> = (start..end)
            .map(|i| words[i / 4].to_le_bytes()[i % 4])
            .collect();
        String::from_utf8(bytes).ok()
    }

    /// The function whose code contains `offset`, by index.
    pub fn func_at(&self, offset: u32) -> Option<usize> {
        let funcs = self.records::<4>(&self.layout.funcs);
        let i = funcs
            .partition_point(|[start, _, _, _]| *start <= offset)
            .checked_sub(1)?;
        let [start, len, _, _] = funcs[i];
        (offset - start < len).then_some(i)
    }

    /// The trap raised by a fault at `offset`, if it is a trap site.
    pub fn trap_at(&self, offset: u32) -> Option<Trap> {
        let i = self
            .words(&self.layout.trap_offsets)
            .binary_search(&offset)
            .ok()?;
        let code = self.words(&self.layout.trap_codes)[i / 4].to_le_bytes()[i % 4];
        Trap::from_u8(code)
    }

    /// The exception call site whose return address is `offset`, if there is one.
    pub fn exn_site(&self, offset: u32) -> Option<ExnSite<'_>> {
        let sites = self.records::<4>(&self.layout.exn_sites);
        let i = sites.binary_search_by_key(&offset, |s| s[0]).ok()?;
        let [_, frame_offset, vmctx_sp_offset, first] = sites[i];
        let handlers = self.records::<2>(&self.layout.handlers);
        let end = sites.get(i + 1).map_or(handlers.len(), |s| s[3] as usize);
        Some(ExnSite {
            frame_offset,
            vmctx_sp_offset,
            handlers: handlers.get(first as usize..end).unwrap_or(&[]),
            code_len: self.layout.code_len,
        })
    }

    /// The stack map of the call whose return address is `offset`, if it has one.
    pub fn call_map(&self, offset: u32) -> Option<StackMap<'_>> {
        let sites = self.records::<4>(&self.layout.call_maps);
        let i = sites.binary_search_by_key(&offset, |s| s[0]).ok()?;
        self.stack_map(sites[i])
    }

    /// The stack map of the stack switch a frame stopped at resumes behind, from its resume
    /// address's code offset `offset`.
    pub fn switch_map(&self, offset: u32) -> Option<StackMap<'_>> {
        let sites = self.records::<4>(&self.layout.switch_maps);
        let after = sites.partition_point(|s| s[0] < offset);
        let site = *sites.get(after.checked_sub(1)?)?;
        (offset - site[0] <= StackMaps::MAX_SWITCH_LEN)
            .then(|| self.stack_map(site))
            .flatten()
    }

    /// The functions inlined at code offset `offset` (defined function indices, innermost
    /// first; empty where no inlined code is). Entries outside the function list (only in a
    /// damaged file) are left out.
    pub fn inlined_at(&self, offset: u32) -> impl Iterator<Item = usize> + '_ {
        let ranges = self.records::<4>(&self.layout.inlined);
        let i = ranges.partition_point(|r| r[0] <= offset);
        let funcs = match i.checked_sub(1).map(|i| ranges[i]) {
            Some([_, end, first, len]) if offset < end => {
                let words = self.words(&self.layout.inlined_funcs);
                let first = first as usize;
                let end = first.saturating_add(len as usize).min(words.len());
                words.get(first..end).unwrap_or(&[])
            }
            _ => &[],
        };
        let count = self.func_count();
        funcs
            .iter()
            .map(|&f| f as usize)
            .filter(move |&f| f < count)
    }

    /// The distances of a stack map site record (checked by `new`; `None` only if the
    /// words changed since, as a mapped file changed under the module could).
    fn stack_map(&self, [_, start, refs, conts]: [u32; 4]) -> Option<StackMap<'_>> {
        let words = self.words(&self.layout.distances);
        let start = start as usize;
        let refs_end = start.checked_add(refs as usize)?;
        let end = refs_end.checked_add(conts as usize)?;
        Some(StackMap {
            refs: words.get(start..refs_end)?,
            conts: words.get(refs_end..end)?,
        })
    }
}

/// `bytes` packed four to a word, little-endian, the last word padded with zeros.
fn pack_bytes(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes.chunks(4).map(|chunk| {
        let mut word = [0; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        u32::from_le_bytes(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CodeTables {
        let funcs = vec![
            (0, 16, Some("first".to_string())),
            (16, 32, None),
            (48, 8, Some("third function".to_string())),
        ];
        let traps = [
            (3, Trap::Unreachable),
            (20, Trap::StackOverflow),
            (50, Trap::OutOfFuel),
        ];
        let exn_sites = [
            ExnCallSite {
                ret_addr: 10,
                frame_offset: 32,
                vmctx_sp_offset: 8,
                handlers: vec![
                    ExnHandler {
                        tag: Some(0),
                        target: 12,
                    },
                    ExnHandler {
                        tag: None,
                        target: 14,
                    },
                ],
            },
            ExnCallSite {
                ret_addr: 30,
                frame_offset: 48,
                vmctx_sp_offset: 16,
                handlers: vec![ExnHandler {
                    tag: Some(64),
                    target: 40,
                }],
            },
        ];
        let site = |ret_addr, refs: &[u32], conts: &[u32]| StackMapSite {
            ret_addr,
            refs: refs.to_vec(),
            conts: conts.to_vec(),
        };
        let stack_maps = StackMaps {
            calls: vec![site(10, &[8, 16], &[32]), site(30, &[], &[48])],
            switches: vec![site(40, &[24], &[])],
        };
        let inlined = [
            InlinedRange {
                start: 2,
                end: 6,
                funcs: vec![2],
            },
            InlinedRange {
                start: 20,
                end: 24,
                funcs: vec![0, 2],
            },
        ];
        let words = CodeTables::encode(56, &funcs, &traps, &exn_sites, &stack_maps, &inlined);
        CodeTables::from_words(words).unwrap()
    }

    #[test]
    fn every_table_reads_back() {
        let t = sample();
        assert_eq!(t.code_len(), 56);
        assert_eq!(t.func_count(), 3);
        assert_eq!(t.func(1), (16, 32));
        assert_eq!(t.func_name(0).as_deref(), Some("first"));
        assert_eq!(t.func_name(1), None);
        assert_eq!(t.func_name(2).as_deref(), Some("third function"));
        assert_eq!(t.func_at(0), Some(0));
        assert_eq!(t.func_at(47), Some(1));
        assert_eq!(t.func_at(55), Some(2));
        assert_eq!(t.func_at(56), None);
        assert_eq!(t.trap_at(20), Some(Trap::StackOverflow));
        assert_eq!(t.trap_at(50), Some(Trap::OutOfFuel));
        assert_eq!(t.trap_at(21), None);

        let site = t.exn_site(10).unwrap();
        assert_eq!((site.frame_offset, site.vmctx_sp_offset), (32, 8));
        let handlers: Vec<_> = site.handlers().collect();
        assert_eq!(
            handlers[0],
            ExnHandler {
                tag: Some(0),
                target: 12
            }
        );
        assert_eq!(
            handlers[1],
            ExnHandler {
                tag: None,
                target: 14
            }
        );
        assert_eq!(t.exn_site(30).unwrap().handlers().count(), 1);
        assert!(t.exn_site(11).is_none());

        let map = t.call_map(10).unwrap();
        assert_eq!((map.refs, map.conts), (&[8, 16][..], &[32][..]));
        assert_eq!(t.call_map(30).unwrap().conts, &[48]);
        assert!(t.call_map(31).is_none());
        assert_eq!(t.switch_map(45).unwrap().refs, &[24]);
        assert!(t.switch_map(39).is_none());
        assert!(t.switch_map(40 + StackMaps::MAX_SWITCH_LEN + 1).is_none());

        let inlined = |offset| t.inlined_at(offset).collect::<Vec<_>>();
        assert_eq!(inlined(1), []);
        assert_eq!(inlined(2), [2]);
        assert_eq!(inlined(5), [2]);
        assert_eq!(inlined(6), []);
        assert_eq!(inlined(23), [0, 2]);
        assert_eq!(inlined(24), []);
    }

    #[test]
    fn damaged_tables_are_refused() {
        let mut words = sample().all_words().to_vec();
        words.pop();
        assert!(CodeTables::from_words(words).is_err());
        let mut words = sample().all_words().to_vec();
        // The last distance (of the switch map, before the two inlined ranges' 8 words and
        // their 3 functions) made unaligned.
        let last_distance = words.len() - 12;
        words[last_distance] = 12;
        assert!(CodeTables::from_words(words).is_err());
        assert!(CodeTables::from_words(vec![0; HEADER_WORDS]).is_err());
    }
}
