//! Executable memory for compiled code, and the process-wide registry that maps a code
//! address to its trap table and function names (read by the signal handler and backtraces).

use anyhow::{Context, Result};
use rustix::mm::{mmap_anonymous, mprotect, munmap, MapFlags, MprotectFlags, ProtFlags};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use wasmfx_environ::{CodeTables, ExnSite, StackMap, Trap};

/// Compiled code mapped read+execute. Unmapped (and unregistered) on drop.
pub struct CodeMemory {
    ptr: *mut u8,
    len: usize,
    registration: Option<CodeRegistration>,
}

// SAFETY: the mapping is immutable after creation and owned by this value.
unsafe impl Send for CodeMemory {}
// SAFETY: as above; shared access only reads.
unsafe impl Sync for CodeMemory {}

/// What a range of registered code is, for traps and backtraces.
#[derive(Debug)]
pub struct FrameInfo {
    /// The module's name, if it has one.
    pub module_name: Option<String>,
    /// The functions and their names, trap sites, exception call sites and stack maps.
    pub tables: CodeTables,
}

/// Keeps a code range registered while alive.
pub struct CodeRegistration {
    end: usize,
}

impl Drop for CodeRegistration {
    fn drop(&mut self) {
        let end = self.end;
        write_registry(|map| {
            map.remove(&end);
        });
    }
}

struct Entry {
    start: usize,
    info: Arc<FrameInfo>,
}

/// Registered code ranges, keyed by their end address.
static REGISTRY: RwLock<BTreeMap<usize, Entry>> = RwLock::new(BTreeMap::new());

thread_local! {
    /// Whether this thread is writing the registry (then reading it would deadlock).
    static WRITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Reads the registry without taking part in lock fairness: `try_read` fails while another
/// thread writes or waits to write, so it is retried; writes are short and never wait on wasm.
/// Gives up only on the thread that is writing, so a signal handler can use it.
fn read_registry() -> Option<std::sync::RwLockReadGuard<'static, BTreeMap<usize, Entry>>> {
    if WRITING.with(|w| w.get()) {
        return None;
    }
    loop {
        match REGISTRY.try_read() {
            Ok(map) => return Some(map),
            Err(std::sync::TryLockError::WouldBlock) => std::hint::spin_loop(),
            Err(std::sync::TryLockError::Poisoned(p)) => return Some(p.into_inner()),
        }
    }
}

/// Writes the registry, marking this thread as its writer meanwhile.
fn write_registry(f: impl FnOnce(&mut BTreeMap<usize, Entry>)) {
    WRITING.with(|w| w.set(true));
    {
        let mut map = REGISTRY.write().unwrap_or_else(|p| p.into_inner());
        f(&mut map);
    }
    WRITING.with(|w| w.set(false));
}

/// The registered code range containing `pc`, and `pc`'s offset in it.
fn entry_at(map: &BTreeMap<usize, Entry>, pc: usize) -> Option<(&Entry, u32)> {
    let (_, entry) = map.range(pc + 1..).next()?;
    (pc >= entry.start).then(|| (entry, (pc - entry.start) as u32))
}

/// The frame info and offset of `pc` if it lies in registered code. Usable from a signal
/// handler (see `read_registry`).
pub fn lookup_code(pc: usize) -> Option<(Arc<FrameInfo>, u32)> {
    let map = read_registry()?;
    let (entry, offset) = entry_at(&map, pc)?;
    Some((entry.info.clone(), offset))
}

/// Like [`lookup_code`], without cloning anything: the trap at `pc`, if `pc` is a trap site,
/// and whether `pc` is in registered code at all.
pub(crate) fn trap_at(pc: usize) -> (bool, Option<Trap>) {
    let Some(map) = read_registry() else {
        return (false, None);
    };
    let Some((entry, offset)) = entry_at(&map, pc) else {
        return (false, None);
    };
    (true, entry.info.tables.trap_at(offset))
}

/// Calls `f` with a view of the registered code that answers any number of lookups under one
/// read of the registry (`None` if this thread is writing it).
pub(crate) fn with_code<R>(f: impl FnOnce(&CodeView<'_>) -> R) -> Option<R> {
    let map = read_registry()?;
    Some(f(&CodeView { map: &map }))
}

/// Registered code, read once (see [`with_code`]).
pub(crate) struct CodeView<'a> {
    map: &'a BTreeMap<usize, Entry>,
}

impl CodeView<'_> {
    /// Whether `pc` is in registered code.
    pub(crate) fn contains(&self, pc: usize) -> bool {
        entry_at(self.map, pc).is_some()
    }

    /// The start of the code containing `pc` and the exception call site whose return
    /// address is `pc`, if there is one.
    pub(crate) fn exn_site(&self, pc: usize) -> Option<(usize, ExnSite<'_>)> {
        let (entry, offset) = entry_at(self.map, pc)?;
        Some((entry.start, entry.info.tables.exn_site(offset)?))
    }

    /// For a `pc` in registered code, the stack map of the call site whose return address it
    /// is, if that call site has one; `None` for a `pc` elsewhere.
    pub(crate) fn stack_map(&self, pc: usize) -> Option<Option<StackMap<'_>>> {
        let (entry, offset) = entry_at(self.map, pc)?;
        Some(entry.info.tables.call_map(offset))
    }

    /// The stack map of the stack switch a frame stopped at resumes behind at `pc`, if `pc`
    /// is such a resume address.
    pub(crate) fn switch_map(&self, pc: usize) -> Option<StackMap<'_>> {
        let (entry, offset) = entry_at(self.map, pc)?;
        entry.info.tables.switch_map(offset)
    }
}

/// Whether `pc` is in registered code (see [`lookup_code`]).
pub(crate) fn is_wasm_code(pc: usize) -> bool {
    trap_at(pc).0
}

impl CodeMemory {
    /// Maps `text` executable. Call [`CodeMemory::register`] to make its traps catchable.
    pub fn new(text: &[u8]) -> Result<CodeMemory> {
        let page = rustix::param::page_size();
        let len = text.len().max(1).next_multiple_of(page);
        // SAFETY: a fresh anonymous mapping; no existing memory is affected.
        let ptr = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE,
            )
        }
        .context("mapping code memory")? as *mut u8;
        // SAFETY: the mapping is `len >= text.len()` bytes and writable.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), ptr, text.len());
        }
        // SAFETY: the range is our own mapping.
        unsafe { mprotect(ptr.cast(), len, MprotectFlags::READ | MprotectFlags::EXEC) }
            .context("making code executable")?;
        Ok(CodeMemory {
            ptr,
            len,
            registration: None,
        })
    }

    /// Maps `len` bytes of `file` from `offset` (a multiple of the page size) executable,
    /// without copying them: only the pages that run become resident. The file must not
    /// shrink while the code is alive.
    pub fn map_file(file: &std::fs::File, offset: u64, len: usize) -> Result<CodeMemory> {
        if len == 0 {
            return CodeMemory::new(&[]);
        }
        let ptr =
            crate::file_mapping::map_file(file, offset, len, ProtFlags::READ | ProtFlags::EXEC)?;
        Ok(CodeMemory {
            ptr,
            len,
            registration: None,
        })
    }

    /// Registers the code with its trap table and function names.
    pub fn register(&mut self, info: FrameInfo) {
        let start = self.ptr as usize;
        let end = start + self.len;
        crate::perf_map::record(start, &info);
        let info = Arc::new(info);
        write_registry(|map| {
            map.insert(end, Entry { start, info });
        });
        self.registration = Some(CodeRegistration { end });
    }

    /// Address of the byte at `offset`.
    pub fn addr(&self, offset: u32) -> usize {
        self.ptr as usize + offset as usize
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        self.registration.take();
        // SAFETY: unmapping our own mapping; nothing references the code any more.
        unsafe {
            let _ = munmap(self.ptr.cast(), self.len);
        }
    }
}
