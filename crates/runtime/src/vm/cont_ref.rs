//! `VMContRef`: a continuation object, one per continuation stack, at the top of that stack.
//! Generated code reads and writes its fields (`wasmfx_environ::cont`); the launch area below
//! it is laid out as `wasmfx_environ::launch_area` says.

use super::{VMStackContext, VMVal};
use wasmfx_environ::{cont, launch_area};

/// Payload slots in the continuation object itself.
pub const INLINE_PAYLOAD_SLOTS: usize = cont::INLINE_PAYLOAD_SLOTS as usize;

/// A continuation object, shared with generated code (see `wasmfx_environ::cont`).
#[repr(C)]
#[derive(Debug)]
pub struct VMContRef {
    /// Revision: references carry the revision they are valid for.
    pub revision: u64,
    /// The continuation that resumed this one, or null; while the object is free, the next
    /// free object.
    pub parent: *mut VMContRef,
    /// The innermost continuation of the suspended segment this one heads.
    pub last_ancestor: *mut VMContRef,
    /// This stack's saved context while it is not running.
    pub ctx: VMStackContext,
    /// This stack's limit.
    pub stack_limit: usize,
    /// The resumer's stack limit.
    pub parent_stack_limit: usize,
    /// Tag identities handled by the resume that resumed this continuation.
    pub handlers: *const usize,
    /// Number of handlers.
    pub num_handlers: u32,
    /// Arguments bound by `cont.bind` so far.
    pub bound: u32,
    /// Argument/result/payload slots.
    pub payload: *mut VMVal,
    /// Capacity of `payload` in slots.
    pub payload_capacity: u32,
    /// Padding.
    pub _pad: u32,
    /// The resumer's saved context, in the launch area at the top of this stack.
    pub parent_ctx: *mut VMStackContext,
    /// The function to run.
    pub func_ref: *const u8,
    /// The payload buffer while it fits: in the object, so that a suspended continuation's
    /// payload shares its cache lines and page.
    pub(crate) payload_inline: [VMVal; INLINE_PAYLOAD_SLOTS],
    /// The context a new continuation starts from: the continuation-start code on an empty
    /// stack.
    pub fresh_ctx: VMStackContext,
    /// Where the function's results go: the payload buffer when it started (set by the
    /// continuation-start code).
    pub results: *mut VMVal,
    /// Runtime-only: the payload buffer once it outgrew `payload_inline` (empty before).
    payload_buf: Vec<VMVal>,
    /// Runtime-only: payload buffers replaced by larger ones, kept because a running
    /// function's results still go to the buffer it started with. Freed with the object.
    retired_payloads: Vec<Vec<VMVal>>,
}

impl VMContRef {
    /// An object to be written at `object`, the top of a stack whose lowest usable address is
    /// `stack_bottom`, keeping `red_zone` bytes for runtime calls, whose fresh context starts
    /// at `start_ip`. Its payload pointer is set by [`VMContRef::init_payload`] once it is in
    /// place.
    pub(crate) fn new(
        object: *mut VMContRef,
        stack_bottom: usize,
        red_zone: usize,
        start_ip: usize,
    ) -> VMContRef {
        let top = object as usize;
        let usable = top - stack_bottom;
        let below = |bytes: u32| top - bytes as usize;
        VMContRef {
            revision: 0,
            parent: std::ptr::null_mut(),
            last_ancestor: std::ptr::null_mut(),
            ctx: VMStackContext::default(),
            stack_limit: stack_bottom + red_zone.min(usable / 2),
            parent_stack_limit: 0,
            handlers: std::ptr::null(),
            num_handlers: 0,
            bound: 0,
            payload: std::ptr::null_mut(),
            payload_capacity: INLINE_PAYLOAD_SLOTS as u32,
            _pad: 0,
            parent_ctx: below(launch_area::PARENT_CTX) as *mut VMStackContext,
            func_ref: std::ptr::null(),
            payload_inline: [VMVal::default(); INLINE_PAYLOAD_SLOTS],
            fresh_ctx: VMStackContext {
                sp: below(launch_area::FRESH_SP),
                fp: below(launch_area::FRAME_RECORD),
                ip: start_ip,
            },
            results: std::ptr::null_mut(),
            payload_buf: Vec::new(),
            retired_payloads: Vec::new(),
        }
    }

    /// Points the payload buffer at the inline slots: done once the object is at its final
    /// address, which it never leaves.
    pub(crate) fn init_payload(&mut self) {
        self.payload = self.payload_inline.as_mut_ptr();
    }

    /// Prepares the object to start `func_ref` from the beginning: what generated code's
    /// `cont.new` does for an object it takes from the free list, as listed in
    /// `wasmfx_environ::cont_reset` (the test below keeps the two equal).
    pub(crate) fn reset(&mut self, func_ref: *const u8) {
        self.parent = std::ptr::null_mut();
        self.last_ancestor = self;
        self.bound = 0;
        self.func_ref = func_ref;
        self.ctx = self.fresh_ctx;
    }

    /// Every payload buffer of the object: the inline one, the current heap one and those it
    /// replaced (a running function's results may still go to one of them).
    pub(crate) fn payload_buffers(&self) -> impl Iterator<Item = &[VMVal]> {
        [&self.payload_inline[..], &self.payload_buf[..]]
            .into_iter()
            .chain(self.retired_payloads.iter().map(|buffer| &buffer[..]))
    }

    /// Makes the payload buffer at least `slots` long. A larger buffer replaces the current
    /// one, which is kept (not freed) for the rest of the object's life: the function running
    /// on this stack writes its results to the buffer it started with (`results`).
    pub fn reserve_payload(&mut self, slots: usize) {
        let capacity = self.payload_capacity as usize;
        if slots <= capacity {
            return;
        }
        // Doubling bounds how many buffers an object ever retires.
        let mut grown = vec![VMVal::default(); slots.max(capacity * 2)];
        // SAFETY: `payload` points to `capacity` initialised slots (the inline array or the
        // current heap buffer), which do not overlap the new buffer.
        unsafe { std::ptr::copy_nonoverlapping(self.payload, grown.as_mut_ptr(), capacity) };
        self.payload = grown.as_mut_ptr();
        self.payload_capacity = grown.len() as u32;
        let old = std::mem::replace(&mut self.payload_buf, grown);
        if !old.is_empty() {
            self.retired_payloads.push(old);
        }
    }
}

/// Puts `cont`, which finished, on the free list headed by `free`: what generated code does
/// when a continuation returns (it links through `cont::FREE_LINK`, the `parent` field).
///
/// # Safety
///
/// `cont` must be an object of the store whose free list `free` is, no longer running or
/// suspended, and not on the list already.
pub(crate) unsafe fn recycle(free: &mut *mut VMContRef, cont: *mut VMContRef) {
    // SAFETY: per the contract, `cont` is a live object nothing else uses.
    unsafe { (*cont).parent = *free };
    *free = cont;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::assert_offsets;
    use wasmfx_environ::cont_reset::{self, Init};

    #[test]
    fn offsets_match_compiler() {
        assert_offsets!(VMContRef {
            revision => cont::REVISION,
            parent => cont::PARENT,
            last_ancestor => cont::LAST_ANCESTOR,
            ctx => cont::CTX,
            stack_limit => cont::STACK_LIMIT,
            parent_stack_limit => cont::PARENT_STACK_LIMIT,
            handlers => cont::HANDLERS,
            num_handlers => cont::NUM_HANDLERS,
            bound => cont::BOUND,
            payload => cont::PAYLOAD,
            payload_capacity => cont::PAYLOAD_CAPACITY,
            parent_ctx => cont::PARENT_CTX,
            func_ref => cont::FUNC_REF,
            payload_inline => cont::PAYLOAD_INLINE,
            fresh_ctx => cont::FRESH_CTX,
            results => cont::RESULTS,
        });
    }

    /// The bytes generated code shares with the runtime, up to and including `results`.
    const SHARED_BYTES: usize = cont::RESULTS as usize + 8;

    /// A boxed object with recognisable garbage in every shared field before `payload_inline`.
    fn scribbled_object() -> Box<VMContRef> {
        let mut uninit = Box::<VMContRef>::new_uninit();
        let at = uninit.as_mut_ptr();
        uninit.write(VMContRef::new(at, at as usize - 65536, 4096, 0x1234));
        // SAFETY: just written. The first `PAYLOAD_INLINE` bytes are plain integers and
        // pointers, which nothing dereferences in these tests.
        unsafe {
            std::ptr::write_bytes(at.cast::<u8>(), 0xa5, cont::PAYLOAD_INLINE as usize);
            uninit.assume_init()
        }
    }

    fn shared_bytes(object: &VMContRef) -> Vec<u8> {
        let at = object as *const VMContRef as *const u8;
        // SAFETY: the object is `size_of::<VMContRef>() > SHARED_BYTES` bytes long.
        unsafe { std::slice::from_raw_parts(at, SHARED_BYTES) }.to_vec()
    }

    /// Does what the compiler emits for `cont.new` on an object from the free list.
    fn compiler_reset(object: &mut VMContRef, func_ref: usize) {
        let at = object as *mut VMContRef as *mut u8;
        for (offset, init) in cont_reset::FIELDS {
            // SAFETY: every offset names a field of the object (checked above).
            unsafe {
                let field = at.add(offset as usize);
                match init {
                    Init::Null => field.cast::<u64>().write(0),
                    Init::Zero32 => field.cast::<u32>().write(0),
                    Init::Itself => field.cast::<usize>().write(at as usize),
                    Init::FuncRef => field.cast::<usize>().write(func_ref),
                    Init::CopyOf(from) => {
                        let word = at.add(from as usize).cast::<u64>().read();
                        field.cast::<u64>().write(word);
                    }
                }
            }
        }
    }

    /// `VMContRef::reset` and the compiler's reset (`cont_reset::FIELDS`) write the same
    /// fields with the same values: each leaves nothing for the other to change.
    #[test]
    fn reset_matches_compiler() {
        let func_ref = 0x5000usize;
        let mut object = scribbled_object();
        object.reset(func_ref as *const u8);
        let after_rust = shared_bytes(&object);
        compiler_reset(&mut object, func_ref);
        assert_eq!(
            after_rust,
            shared_bytes(&object),
            "the compiler writes more"
        );

        let mut object = scribbled_object();
        compiler_reset(&mut object, func_ref);
        let after_compiler = shared_bytes(&object);
        object.reset(func_ref as *const u8);
        assert_eq!(
            after_compiler,
            shared_bytes(&object),
            "the runtime writes more"
        );
    }

    /// `recycle` links through the field generated code follows when it pops the free list.
    #[test]
    fn recycle_links_through_compiler_field() {
        let mut first = scribbled_object();
        let mut second = scribbled_object();
        let mut free: *mut VMContRef = std::ptr::null_mut();
        // SAFETY: two distinct live objects, each recycled once.
        unsafe {
            recycle(&mut free, &mut *first);
            recycle(&mut free, &mut *second);
        }
        assert_eq!(free, &mut *second as *mut VMContRef);
        let link = |object: &VMContRef| {
            let at = object as *const VMContRef as *const u8;
            // SAFETY: `FREE_LINK` is the offset of a pointer field of the object.
            unsafe { at.add(cont::FREE_LINK as usize).cast::<usize>().read() }
        };
        assert_eq!(link(&second), &*first as *const VMContRef as usize);
        assert_eq!(link(&first), 0);
    }
}
