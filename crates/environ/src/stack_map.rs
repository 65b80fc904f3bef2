//! Stack maps of compiled code: for every call site at which GC references are live in the
//! calling frame, where the frame keeps them, so that the collector finds them precisely
//! (Cranelift's user stack maps, made relative to the frame pointer).

/// The GC references live in a frame while it waits at one call site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackMapSite {
    /// Code offset of the call's return address.
    pub ret_addr: u32,
    /// The reference words live across the call (`anyref`, `externref` and their subtypes):
    /// each at the frame pointer minus this distance.
    pub refs: Vec<u32>,
    /// The continuation references live across the call (16 bytes, the object's address
    /// first): each at the frame pointer minus this distance.
    pub conts: Vec<u32>,
}

impl StackMapSite {
    /// Distances from the frame pointer that no frame comes near: a stack map with a larger
    /// one (in a damaged precompiled file) is refused.
    pub const MAX_DISTANCE: u32 = 1 << 24;

    /// Whether every distance is 8-aligned and below [`StackMapSite::MAX_DISTANCE`] (and
    /// leaves room for the value below the frame pointer).
    pub fn is_well_formed(&self) -> bool {
        crate::StackMap {
            refs: &self.refs,
            conts: &self.conts,
        }
        .is_well_formed()
    }
}

/// The stack maps of a unit of compiled code: at calls, and at stack switches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackMaps {
    /// Call sites with GC references live in the calling frame, sorted by return address.
    pub calls: Vec<StackMapSite>,
    /// Every stack switch, keyed by the code offset where it starts (in `ret_addr`), sorted:
    /// a frame stopped at a switch resumes right behind it.
    pub switches: Vec<StackMapSite>,
}

impl StackMaps {
    /// The longest machine code of one stack switch: a resume address further than this
    /// behind the last switch start is no switch's.
    pub const MAX_SWITCH_LEN: u32 = 128;

    /// Appends `other`, whose code starts at offset `base` of this unit's.
    pub fn append(&mut self, other: &StackMaps, base: u32) {
        let moved = |site: &StackMapSite| StackMapSite {
            ret_addr: base + site.ret_addr,
            ..site.clone()
        };
        self.calls.extend(other.calls.iter().map(moved));
        self.switches.extend(other.switches.iter().map(moved));
    }
}
