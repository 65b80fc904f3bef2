//! GC objects from the runtime's side: writing fields and elements from their bits, and the
//! builtins that allocate and fill arrays from segments (`array.new_data`, `array.new_elem`,
//! `array.init_data`, `array.init_elem`) and copy between arrays.

use crate::builtins::{catching_panics, instance};
use crate::instance::range;
use crate::traps::{set_deferred_trap, set_host_error, TrapReason};
use wasmfx_environ::{gc_header, ArrayLayout, GcStorage, Trap};

/// Reads the bits of the value stored as `storage` at `addr` (packed integers zero-extended),
/// as a table element or value slot holds them.
///
/// # Safety
///
/// `addr` must be a field or element of a live GC object stored as `storage`.
pub unsafe fn load_bits(addr: usize, storage: GcStorage) -> u128 {
    // SAFETY: per the contract, `addr` holds such a value, aligned for it.
    unsafe {
        match storage {
            GcStorage::I8 => u128::from(*(addr as *const u8)),
            GcStorage::I16 => u128::from(*(addr as *const u16)),
            GcStorage::I32 | GcStorage::F32 => u128::from(*(addr as *const u32)),
            GcStorage::I64 | GcStorage::F64 | GcStorage::Ref => u128::from(*(addr as *const u64)),
            GcStorage::V128 | GcStorage::ContRef => (addr as *const u128).read_unaligned(),
        }
    }
}

/// Writes `bits` (a value's bits, as in a table element or value slot) at `addr`, stored as
/// `storage`.
///
/// # Safety
///
/// `addr` must be a field or element of a live GC object stored as `storage`.
pub unsafe fn store_bits(addr: usize, storage: GcStorage, bits: u128) {
    // SAFETY: per the contract, `addr` has room for the value, aligned for it.
    unsafe {
        match storage {
            GcStorage::I8 => *(addr as *mut u8) = bits as u8,
            GcStorage::I16 => *(addr as *mut u16) = bits as u16,
            GcStorage::I32 | GcStorage::F32 => *(addr as *mut u32) = bits as u32,
            GcStorage::I64 | GcStorage::F64 | GcStorage::Ref => *(addr as *mut u64) = bits as u64,
            GcStorage::V128 | GcStorage::ContRef => (addr as *mut u128).write_unaligned(bits),
        }
    }
}

/// The length of the array at `array`.
///
/// # Safety
///
/// `array` must be a live array object.
unsafe fn array_len(array: usize) -> u32 {
    // SAFETY: per the contract, the header is readable.
    unsafe { *((array + gc_header::LENGTH as usize) as *const u32) }
}

/// The address of element `index` of `array`, laid out as `layout`.
pub fn element(array: usize, layout: &ArrayLayout, index: usize) -> usize {
    array + layout.elements_offset as usize + index * layout.elem.size() as usize
}

/// A new array of module type `ty` of `len` zeroed elements, or 0 with the trap recorded.
fn new_array(vmctx: *mut u8, ty: u32, len: u32) -> usize {
    let instance = instance(vmctx);
    let module = instance.module().clone();
    let Some(layout) = module.info.array_layout(ty) else {
        set_host_error(TrapReason::Host(anyhow::anyhow!(
            "type {ty} is not an array type"
        )));
        return 0;
    };
    let Some(size) = layout.size(len) else {
        set_deferred_trap(Trap::GcHeapExhausted);
        return 0;
    };
    match instance
        .store_state()
        .gc_alloc(module.type_ids[ty as usize], size, len, true)
    {
        Ok(Some(array)) => array,
        Ok(None) => {
            set_deferred_trap(Trap::GcHeapExhausted);
            0
        }
        Err(e) => {
            set_host_error(TrapReason::Host(e));
            0
        }
    }
}

/// Copies the elements `src` of the segment items `items` (as value bits) to `array` from
/// element `dst`.
///
/// # Safety
///
/// `array` must be a live array laid out as `layout` with `dst + items.len()` elements.
pub(crate) unsafe fn write_items(array: usize, layout: &ArrayLayout, dst: usize, items: &[u128]) {
    for (i, &bits) in items.iter().enumerate() {
        // SAFETY: per the contract, element `dst + i` exists.
        unsafe { store_bits(element(array, layout, dst + i), layout.elem, bits) };
    }
}

/// The bits of each element of an array of `layout` read from `bytes` (packed,
/// little-endian, as `array.new_data` reads them).
fn data_items(layout: &ArrayLayout, bytes: &[u8]) -> Vec<u128> {
    bytes
        .chunks_exact(layout.elem.size() as usize)
        .map(|chunk| {
            let mut word = [0u8; 16];
            word[..chunk.len()].copy_from_slice(chunk);
            u128::from_le_bytes(word)
        })
        .collect()
}

/// A data or element segment of an instance.
#[derive(Clone, Copy)]
enum Segment {
    Data(u32),
    Elem(u32),
}

/// The bits of `count` elements of an array of `layout` read from `segment` of `vmctx`'s
/// instance from element `src`, or `None` with the trap recorded when they are out of the
/// segment's bounds.
fn segment_items(
    vmctx: *mut u8,
    layout: &ArrayLayout,
    segment: Segment,
    src: u32,
    count: u32,
) -> Option<Vec<u128>> {
    let instance = instance(vmctx);
    match segment {
        Segment::Data(data) => {
            let bytes = instance.data_bytes(data);
            let width = u64::from(layout.elem.size());
            let source = range(u64::from(src), u64::from(count) * width, bytes.len());
            let Some(source) = source else {
                set_deferred_trap(Trap::MemoryOutOfBounds);
                return None;
            };
            Some(data_items(layout, &bytes[source]))
        }
        Segment::Elem(elem) => {
            let items = instance.elem_items(elem);
            let Some(source) = range(u64::from(src), u64::from(count), items.len()) else {
                set_deferred_trap(Trap::TableOutOfBounds);
                return None;
            };
            Some(items[source].to_vec())
        }
    }
}

/// `array.new_data` / `array.new_elem`: a new array of module type `ty` holding `len`
/// elements of `segment` from element `offset`, or 0 with the trap recorded.
fn array_new_segment(vmctx: *mut u8, ty: u32, segment: Segment, offset: u32, len: u32) -> usize {
    let module = instance(vmctx).module().clone();
    let Some(layout) = module.info.array_layout(ty) else {
        return 0;
    };
    let Some(items) = segment_items(vmctx, &layout, segment, offset, len) else {
        return 0;
    };
    let array = new_array(vmctx, ty, len);
    if array != 0 {
        // SAFETY: a new array of `len` elements.
        unsafe { write_items(array, &layout, 0, &items) };
    }
    array
}

pub(crate) extern "C" fn array_new_data(
    vmctx: *mut u8,
    ty: u32,
    data: u32,
    offset: u32,
    len: u32,
) -> usize {
    array_new_segment(vmctx, ty, Segment::Data(data), offset, len)
}

pub(crate) extern "C" fn array_new_elem(
    vmctx: *mut u8,
    ty: u32,
    elem: u32,
    offset: u32,
    len: u32,
) -> usize {
    array_new_segment(vmctx, ty, Segment::Elem(elem), offset, len)
}

/// Checks `array.init_*`'s array operand and destination range: the array's layout, or the
/// trap recorded.
fn init_target(vmctx: *mut u8, array: usize, ty: u32, dst: u32, count: u32) -> Option<ArrayLayout> {
    if array == 0 {
        set_deferred_trap(Trap::NullArrayReference);
        return None;
    }
    // SAFETY: generated code passes a live array of type `ty`.
    let len = unsafe { array_len(array) };
    if range(u64::from(dst), u64::from(count), len as usize).is_none() {
        set_deferred_trap(Trap::ArrayOutOfBounds);
        return None;
    }
    instance(vmctx).module().info.array_layout(ty)
}

/// `array.init_data` / `array.init_elem`: 0, or non-zero with the trap recorded.
fn array_init_segment(
    vmctx: *mut u8,
    array: usize,
    ty: u32,
    segment: Segment,
    (dst, src, count): (u32, u32, u32),
) -> u32 {
    let Some(layout) = init_target(vmctx, array, ty, dst, count) else {
        return 1;
    };
    let Some(items) = segment_items(vmctx, &layout, segment, src, count) else {
        return 1;
    };
    // SAFETY: the destination range was checked against the array's length.
    unsafe { write_items(array, &layout, dst as usize, &items) };
    0
}

pub(crate) extern "C" fn array_init_data(
    vmctx: *mut u8,
    array: usize,
    ty: u32,
    data: u32,
    dst: u32,
    src: u32,
    count: u32,
) -> u32 {
    array_init_segment(vmctx, array, ty, Segment::Data(data), (dst, src, count))
}

pub(crate) extern "C" fn array_init_elem(
    vmctx: *mut u8,
    array: usize,
    ty: u32,
    elem: u32,
    dst: u32,
    src: u32,
    count: u32,
) -> u32 {
    array_init_segment(vmctx, array, ty, Segment::Elem(elem), (dst, src, count))
}

pub(crate) extern "C" fn gc_alloc(vmctx: *mut u8, type_id: u32, size: u64, length: u32) -> usize {
    let state = instance(vmctx).store_state();
    // A panic in the collector must not unwind through generated code.
    let Some(allocated) = catching_panics(|| state.gc_alloc(type_id, size as usize, length, true))
    else {
        return 0;
    };
    match allocated {
        Ok(Some(object)) => object,
        Ok(None) => {
            set_deferred_trap(Trap::GcHeapExhausted);
            0
        }
        Err(e) => {
            set_host_error(TrapReason::Host(e));
            0
        }
    }
}

pub(crate) extern "C" fn gc_copy(_vmctx: *mut u8, dst: usize, src: usize, bytes: u64) {
    // SAFETY: generated code checked both ranges against their arrays' lengths; they may
    // overlap (a copy within one array).
    unsafe { std::ptr::copy(src as *const u8, dst as *mut u8, bytes as usize) };
}
