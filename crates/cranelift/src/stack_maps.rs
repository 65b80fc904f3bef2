//! Stack maps: where the GC references live across each call sit in the calling frame
//! (Cranelift's user stack maps, which the translator asks for by declaring every reference
//! value as needing one), turned into `StackMapSite`s relative to the frame pointer.
//!
//! `stack_switch` is a call to Cranelift's frontend, which therefore keeps references in stack
//! slots across it too, but no safepoint to its code generator, which would refuse a stack map
//! there. So each switch's entries are detached from it, and the switch is marked with a debug
//! tag (its number in the function), whose code offset is the switch's start: the frame
//! stopped at a switch resumes right behind it, so the collector finds the switch as the last
//! one starting before the saved resume address, and its entries as a `StackMapSite` keyed by
//! that start.

use anyhow::{bail, Result};
use cranelift_codegen::ir::{self, types, Function};
use wasmfx_environ::StackMapSite;

/// The stack map entries of each `stack_switch` of a function, by its number (the debug tag
/// it carries).
pub(crate) type SwitchEntries = Vec<Vec<ir::UserStackMapEntry>>;

/// Numbers the `stack_switch`es of `func` with debug tags, and replaces each that has stack
/// map entries with an identical instruction that has none (the entries stay attached to the
/// instruction removed): the entries of each, by number.
pub(crate) fn detach_from_switches(func: &mut Function) -> SwitchEntries {
    let mut switches = Vec::new();
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            if func.dfg.insts[inst].opcode() == ir::Opcode::StackSwitch {
                switches.push(inst);
            }
        }
    }
    let mut entries = Vec::with_capacity(switches.len());
    for (number, old) in switches.into_iter().enumerate() {
        let switch = match func.dfg.user_stack_map_entries(old) {
            None => {
                entries.push(Vec::new());
                old
            }
            Some(old_entries) => {
                entries.push(old_entries.to_vec());
                let data = func.dfg.insts[old];
                let new = func.dfg.make_inst(data);
                let ctrl = func.dfg.ctrl_typevar(old);
                func.dfg.make_inst_results(new, ctrl);
                func.layout.insert_inst(new, old);
                func.layout.remove_inst(old);
                let old_result = func.dfg.first_result(old);
                let new_result = func.dfg.first_result(new);
                func.dfg.clear_results(old);
                func.dfg.change_to_alias(old_result, new_result);
                if let Some(loc) = func.srclocs.get(old).copied() {
                    func.srclocs[new] = loc;
                }
                new
            }
        };
        func.debug_tags
            .set(switch, [ir::DebugTag::User(number as u32)]);
    }
    entries
}

/// The stack map sites of the switches of compiled code (`SwitchEntries` of its function),
/// keyed by the code offset where each switch starts, moved by `start`.
pub(crate) fn switch_sites(
    code: &cranelift_codegen::CompiledCode,
    entries: &SwitchEntries,
    start: u32,
) -> Result<Vec<StackMapSite>> {
    let Some(layout) = code.buffer.frame_layout() else {
        bail!("no frame layout for a function with stack switches");
    };
    let mut sites = Vec::new();
    for tags in code.buffer.debug_tags() {
        for tag in tags.tags {
            let ir::DebugTag::User(number) = tag else {
                continue;
            };
            let Some(entries) = entries.get(*number as usize) else {
                bail!("a debug tag of no stack switch");
            };
            // Each slot is at sp + its offset, the frame pointer at sp + frame_to_fp.
            let entries = entries.iter().map(|entry| {
                let at = layout.stackslots[entry.slot].offset + entry.offset;
                (entry.ty, layout.frame_to_fp_offset, at)
            });
            sites.push(site(start + tags.offset, entries)?);
        }
    }
    // One site per switch: the tag is on every instruction the switch was lowered to; the
    // last of them is the switch itself.
    sites.sort_by_key(|site| site.ret_addr);
    Ok(sites)
}

/// The stack map sites of compiled code, from Cranelift's `(return address, frame size from
/// the stack pointer up to the frame pointer, stack map)` triples; return addresses moved by
/// `start`.
pub(crate) fn sites(
    maps: &[(u32, u32, ir::UserStackMap)],
    start: u32,
) -> Result<Vec<StackMapSite>> {
    maps.iter()
        .map(|(ret_addr, span, map)| {
            // Each value is at sp + its offset, and the frame pointer at sp + span.
            let entries = map.entries().map(|(ty, sp_offset)| (ty, *span, sp_offset));
            site(start + ret_addr, entries)
        })
        .collect()
}

/// The stack map site at `ret_addr` of the values `entries` describes: each a type, the
/// offset of the frame pointer from the stack pointer, and the value's.
fn site(
    ret_addr: u32,
    entries: impl Iterator<Item = (ir::Type, u32, u32)>,
) -> Result<StackMapSite> {
    let mut site = StackMapSite {
        ret_addr,
        refs: Vec::new(),
        conts: Vec::new(),
    };
    for (ty, fp_offset, offset) in entries {
        let Some(distance) = fp_offset.checked_sub(offset) else {
            bail!("a stack map entry above the frame pointer");
        };
        match ty {
            types::I64 => site.refs.push(distance),
            types::I128 => site.conts.push(distance),
            other => bail!("a stack map entry of type {other}"),
        }
    }
    if !site.is_well_formed() {
        bail!("a stack map entry outside the frame");
    }
    Ok(site)
}
