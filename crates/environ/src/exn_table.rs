//! Exception-handling metadata of compiled code: for every call site inside a `try_table`, where
//! the catching frame keeps its vmctx and which handlers it has, so the runtime can find the
//! landing pad of a thrown exception by walking frames.

/// One catch clause in effect at a call site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExnHandler {
    /// The offset in the catching frame's `VMContext` of the pointer identifying the tag it
    /// catches, or `None` for `catch_all` clauses.
    pub tag: Option<u32>,
    /// Code offset of the landing pad.
    pub target: u32,
}

/// A call site with exception handlers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExnCallSite {
    /// Code offset of the call's return address.
    pub ret_addr: u32,
    /// Distance from the frame pointer down to the stack pointer at the call: the landing pad
    /// runs with `sp = fp - frame_offset`.
    pub frame_offset: u32,
    /// Where the catching frame's `VMContext` is saved, as an offset from that stack pointer.
    pub vmctx_sp_offset: u32,
    /// The handlers, innermost first; the first that matches catches.
    pub handlers: Vec<ExnHandler>,
}
