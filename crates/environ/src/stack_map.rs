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

/// The stack maps of a unit of compiled code: at calls, and at stack switches.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

    /// Whether every site is well formed, within `code_len` bytes of code, and sorted.
    pub fn is_well_formed(&self, code_len: usize) -> bool {
        [&self.calls, &self.switches].iter().all(|sites| {
            sites.is_sorted_by_key(|site| site.ret_addr)
                && sites
                    .iter()
                    .all(|site| (site.ret_addr as usize) < code_len && site.is_well_formed())
        })
    }

    /// The site of the call returning to code offset `offset`, if it has one.
    pub fn at_call(&self, offset: u32) -> Option<&StackMapSite> {
        let i = self
            .calls
            .binary_search_by_key(&offset, |site| site.ret_addr)
            .ok()?;
        Some(&self.calls[i])
    }

    /// The site of the stack switch a frame stopped at resumes behind, from its resume
    /// address's code offset `offset`.
    pub fn at_switch(&self, offset: u32) -> Option<&StackMapSite> {
        let after = self.switches.partition_point(|site| site.ret_addr < offset);
        let site = self.switches.get(after.checked_sub(1)?)?;
        (offset - site.ret_addr <= Self::MAX_SWITCH_LEN).then_some(site)
    }
}
