//! `VMGcRun`: the free slots of one GC size class that allocation bumps through, in
//! generated code's fast path and in the runtime alike.

/// A run of free slots of one size class: `[cursor, limit)`. Every slot of the run is already
/// allocated as far as the collector knows; the runtime takes the unused rest back before it
/// marks (`GcHeap::retire_runs`). The slots are not zeroed: generated code writes the header
/// and every field of an object it takes. An empty run has `cursor == limit`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VMGcRun {
    /// The next free slot.
    pub cursor: usize,
    /// The end of the run.
    pub limit: usize,
}

#[cfg(test)]
mod tests {
    use super::VMGcRun;
    use crate::vm::assert_offsets;
    use wasmfx_environ::gc_run;

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMGcRun {
            cursor => gc_run::CURSOR,
            limit => gc_run::LIMIT,
        });
        assert_eq!(std::mem::size_of::<VMGcRun>() as u32, gc_run::SIZE);
    }
}
