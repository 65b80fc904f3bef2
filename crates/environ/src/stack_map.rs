//! Stack maps of compiled code: for every call site at which GC references are live in the
//! calling frame, where the frame keeps them, so that the collector finds them precisely
//! (Cranelift's user stack maps, made relative to the frame pointer).

/// The GC references live in a frame while it waits at one call site.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
        let ok = |d: &u32, size: u32| {
            d.is_multiple_of(8) && *d >= size && *d <= StackMapSite::MAX_DISTANCE
        };
        self.refs.iter().all(|d| ok(d, 8)) && self.conts.iter().all(|d| ok(d, 16))
    }
}
