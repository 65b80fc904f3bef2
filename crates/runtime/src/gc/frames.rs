//! Finding the references in wasm frames, for the collector: walking a stack's frames by their
//! frame-pointer chain and reading, in each frame waiting at a call or stopped at a stack
//! switch, the slots its stack map names; and finding where each stack of a suspended
//! continuation segment is stopped.
//!
//! A frame record is a frame pointer: the caller's frame pointer is saved there and the return
//! address into the caller just above it. A walk ends at a return address outside wasm code
//! (an entry from the host) or at the bottom of a continuation stack. Contexts saved by running
//! code are current and walked as they are; those of suspended segments are walked within the
//! bounds of the continuation stack they belong to, so that even a context that is no longer
//! current (a continuation reached through a stale reference) cannot lead outside it.

use super::collector::Marker;
use crate::continuations::cont_start_return_address;
use crate::vm::{VMContRef, VMStackContext};
use wasmfx_environ::StackMap;

/// The bounds `[bottom, top)` of a continuation stack, when a walk must stay within them.
pub(super) type Bounds = Option<(usize, usize)>;

/// Whether `[start, start + len)` lies within `bounds` (always, without bounds).
fn within(bounds: Bounds, start: usize, len: usize) -> bool {
    bounds.is_none_or(|(bottom, top)| start >= bottom && start <= top.saturating_sub(len))
}

impl Marker<'_, '_> {
    /// Marks the references of the frame with frame pointer `fp` waiting at the call that
    /// returns to `ra`, as its stack map says (none if the call site has none).
    ///
    /// # Safety
    ///
    /// Without bounds, `fp` must be the frame pointer of a live wasm frame waiting at that call.
    unsafe fn frame(&mut self, ra: usize, fp: usize, bounds: Bounds) {
        let code = self.code;
        if let Some(Some(site)) = code.stack_map(ra) {
            // SAFETY: per the contract.
            unsafe { self.site(site, fp, bounds) };
        }
    }

    /// Marks the references the frame with frame pointer `fp` holds where `site` says.
    ///
    /// # Safety
    ///
    /// As for `frame`, with `site` the map of the place where the frame waits.
    unsafe fn site(&mut self, site: StackMap<'_>, fp: usize, bounds: Bounds) {
        let read = |distance: u32| {
            let at = fp.checked_sub(distance as usize)?;
            // SAFETY: a slot of the live frame (or, with bounds, a word of the stack).
            within(bounds, at, 8).then(|| unsafe { (at as *const usize).read() })
        };
        for word in site.refs.iter().filter_map(|&d| read(d)) {
            self.reference(word);
        }
        for word in site.conts.iter().filter_map(|&d| read(d)) {
            self.continuation(word);
        }
    }

    /// Marks the references of the frames from the one whose record is at `record` outwards.
    ///
    /// # Safety
    ///
    /// Without bounds, `record` must be the frame record of a live frame whose callers are
    /// live wasm frames up to the end of the walk.
    pub(super) unsafe fn walk(&mut self, mut record: usize, bounds: Bounds) {
        let bottom = cont_start_return_address();
        loop {
            if !record.is_multiple_of(8) || !within(bounds, record, 16) {
                return;
            }
            // SAFETY: a frame record: the caller's frame pointer, then the return address.
            let (fp, ra) = unsafe { (*(record as *const usize), *((record + 8) as *const usize)) };
            let code = self.code;
            // One lookup tells whether `ra` is in wasm code and finds its stack map.
            let site = match code.stack_map(ra) {
                Some(site) if ra != bottom => site,
                _ => return,
            };
            if let Some(site) = site {
                // SAFETY: the caller's frame, waiting at the call returning to `ra`.
                unsafe { self.site(site, fp, bounds) };
            }
            // Frames lie above their callees; anything else ends a walk.
            if fp <= record {
                return;
            }
            record = fp;
        }
    }

    /// Marks the references of the innermost wasm frames: the frame that called a builtin
    /// with stack pointer `sp` and frame pointer `fp` at the call, and its callers.
    ///
    /// # Safety
    ///
    /// A builtin that may collect must be running, called by that frame.
    pub(super) unsafe fn innermost(&mut self, sp: usize, fp: usize) {
        // SAFETY: the call pushed its return address just below the caller's stack pointer.
        let ra = unsafe { *((sp - 8) as *const usize) };
        // SAFETY: per the contract.
        unsafe {
            self.frame(ra, fp, None);
            self.walk(fp, None);
        }
    }

    /// Marks the references of a stack stopped at a stack switch whose context was saved at
    /// `ctx`: the stopped frame's, as the switch's stack map says (or all its words, were the
    /// switch unknown), then the frames above it.
    ///
    /// # Safety
    ///
    /// `ctx` must be readable; without bounds, it must be current (its stack is stopped there).
    pub(super) unsafe fn stopped(&mut self, ctx: *const VMStackContext, bounds: Bounds) {
        // SAFETY: per the contract.
        let (sp, fp, ip) = unsafe { ((*ctx).sp, (*ctx).fp, (*ctx).ip) };
        if sp == 0 || fp < sp || !within(bounds, sp, fp + 16 - sp) {
            return;
        }
        let code = self.code;
        // SAFETY: the stopped frame, from its stack pointer to its frame record.
        unsafe {
            match code.switch_map(ip) {
                Some(site) => self.site(site, fp, bounds),
                None => self.range(sp, fp + 16),
            }
            self.walk(fp, bounds);
        }
    }

    /// Marks `member`, a continuation of a suspended segment other than its head, as reached
    /// (its stack's frames are marked with the segment's), with its payload buffers. It is not
    /// traced as a segment of its own: its last-ancestor link dates from when it was a head.
    ///
    /// # Safety
    ///
    /// `member` must be a continuation object of the store that is not free.
    unsafe fn segment_member(&mut self, member: *mut VMContRef) {
        let Some(info) = self.conts.get_mut(&(member as usize)) else {
            return;
        };
        if std::mem::replace(&mut info.reached, true) {
            return;
        }
        // SAFETY: per the contract, a live continuation of the store.
        unsafe { self.payload_buffers(member) };
    }

    /// The bounds of the stack of continuation `c`, if it is one of the store's (not free).
    fn stack_of(&self, c: *mut VMContRef) -> Option<Bounds> {
        let info = self.conts.get(&(c as usize))?;
        Some(Some((info.bottom, c as usize)))
    }

    /// Marks the references of the frames of suspended continuation `c`'s segment: the
    /// innermost stack is stopped at its own saved context, each other one where it resumed
    /// the next inner one (that one's parent context). Every continuation of the segment is
    /// reached with `c`: were one not, its stack would be recycled while the segment can
    /// still be resumed.
    ///
    /// # Safety
    ///
    /// `c` must be a continuation object of the store that is not free.
    pub(super) unsafe fn suspended_segment(&mut self, c: *mut VMContRef) {
        // SAFETY: per the contract, and every object of the segment is one of the store's.
        unsafe {
            let innermost = (*c).last_ancestor;
            let Some(bounds) = self.stack_of(innermost) else {
                return;
            };
            let fresh = (*innermost).ctx.sp == (*innermost).fresh_ctx.sp;
            if innermost == c && fresh {
                // Never started: no frames.
                return;
            }
            if innermost != c {
                self.segment_member(innermost);
            }
            self.stopped(&(*innermost).ctx, bounds);
            let mut inner = innermost;
            let mut steps = self.conts.len();
            while inner != c && steps > 0 {
                steps -= 1;
                let outer = (*inner).parent;
                let Some(bounds) = self.stack_of(outer) else {
                    return;
                };
                if outer != c {
                    self.segment_member(outer);
                }
                self.stopped((*inner).parent_ctx, bounds);
                inner = outer;
            }
        }
    }
}
