//! Stack maps: where the GC references live across each call sit in the calling frame
//! (Cranelift's user stack maps, which the translator asks for by declaring every reference
//! value as needing one), turned into `StackMapSite`s relative to the frame pointer.
//!
//! `stack_switch` is a call to Cranelift's frontend, which therefore keeps references in stack
//! slots across it too, but no safepoint to its code generator, which would refuse the stack
//! map; the frame stopped at a switch is scanned whole by the collector instead.

use anyhow::{bail, Result};
use cranelift_codegen::ir::{self, types, Function};
use wasmfx_environ::StackMapSite;

/// Replaces each `stack_switch` of `func` that has stack map entries with an identical
/// instruction that has none (the entries stay attached to the instruction removed).
pub(crate) fn detach_from_switches(func: &mut Function) {
    let mut switches = Vec::new();
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            if func.dfg.insts[inst].opcode() == ir::Opcode::StackSwitch
                && func.dfg.user_stack_map_entries(inst).is_some()
            {
                switches.push(inst);
            }
        }
    }
    for old in switches {
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
    }
}

/// The stack map sites of compiled code, from Cranelift's `(return address, frame size from
/// the stack pointer up to the frame pointer, stack map)` triples; return addresses moved by
/// `start`.
pub(crate) fn sites(
    maps: &[(u32, u32, ir::UserStackMap)],
    start: u32,
) -> Result<Vec<StackMapSite>> {
    let mut sites = Vec::with_capacity(maps.len());
    for (ret_addr, span, map) in maps {
        let mut site = StackMapSite {
            ret_addr: start + ret_addr,
            refs: Vec::new(),
            conts: Vec::new(),
        };
        for (ty, sp_offset) in map.entries() {
            // The value is at sp + sp_offset, and the frame pointer at sp + span.
            let Some(distance) = span.checked_sub(sp_offset) else {
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
        sites.push(site);
    }
    Ok(sites)
}
