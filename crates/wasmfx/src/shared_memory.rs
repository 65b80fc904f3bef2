//! [`SharedMemory`]: a linear memory declared `shared` (threads proposal), owned by no store,
//! which stores of one engine on several threads import and use at the same time.

use crate::{Engine, MemoryType, Trap};
use anyhow::{anyhow, bail, Result};
use std::cell::UnsafeCell;
use std::sync::Arc;
use std::time::Duration;
use wasmfx_runtime::{Memory as RtMemory, MemoryLimits};

/// A shared linear memory. Cheap to clone (every clone is the same memory), `Send` and
/// `Sync`: give a clone to each thread and import it into that thread's store. A module that
/// defines a shared memory exports it as one of these.
///
/// Its bytes change under the host's feet whenever wasm on another thread writes them, so
/// [`SharedMemory::data`] gives cells, not a plain slice. It never moves, and its size only
/// grows. It has its own address-space reservation even in an engine with the pooling
/// allocator. The engine's `max_memory_size` applies; `memory.grow` in wasm also asks the
/// resource limiter of the store running it, and [`SharedMemory::grow`] asks none (no store
/// owns the memory).
#[derive(Clone)]
pub struct SharedMemory {
    engine: Engine,
    memory: Arc<RtMemory>,
}

/// How [`SharedMemory::atomic_wait32`] and [`SharedMemory::atomic_wait64`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitResult {
    /// Woken by a notification.
    Ok,
    /// The value in memory was not the expected one; nothing was waited for.
    Mismatch,
    /// The timeout passed.
    TimedOut,
}

impl SharedMemory {
    /// A new shared memory of type `ty`, which must be shared and have a maximum.
    pub fn new(engine: &Engine, ty: MemoryType) -> Result<SharedMemory> {
        if !ty.is_shared() {
            bail!("a shared memory needs a `shared` memory type");
        }
        let Some(max) = ty.maximum() else {
            bail!("a shared memory needs a maximum size");
        };
        let limits = MemoryLimits {
            min: ty.minimum(),
            max: Some(max),
            index64: ty.is_64(),
            shared: true,
            limit_bytes: engine.config().max_memory_size,
        };
        Ok(SharedMemory {
            engine: engine.clone(),
            memory: RtMemory::new(limits)?,
        })
    }

    /// The shared memory a store holds as `memory` (which is shared).
    pub(crate) fn from_rt(engine: &Engine, memory: &Arc<RtMemory>) -> SharedMemory {
        SharedMemory {
            engine: engine.clone(),
            memory: memory.clone(),
        }
    }

    /// The runtime memory, for a store that imports it.
    pub(crate) fn rt(&self) -> &Arc<RtMemory> {
        &self.memory
    }

    /// The engine it was made for; only that engine's stores may import it.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Its current type (the minimum is its current size).
    pub fn ty(&self) -> MemoryType {
        crate::Memory::type_of(&self.memory)
    }

    /// Current size in pages.
    pub fn size(&self) -> u64 {
        self.memory.size_pages()
    }

    /// Current size in bytes.
    pub fn data_size(&self) -> usize {
        self.memory.len_bytes()
    }

    /// Grows by `delta` pages, returning the previous size in pages. Wasm on other threads
    /// sees the new pages as soon as this returns.
    pub fn grow(&self, delta: u64) -> Result<u64> {
        self.memory
            .grow(delta, None)?
            .ok_or_else(|| crate::externals::growth_failed(delta))
    }

    /// The memory's bytes as cells: other threads may change them at any time.
    pub fn data(&self) -> &[UnsafeCell<u8>] {
        let (base, len) = (self.memory.base(), self.memory.len_bytes());
        // SAFETY: `len` bytes from `base` are mapped for as long as the memory lives (it
        // only grows), and `UnsafeCell<u8>` has the layout of `u8`.
        unsafe { std::slice::from_raw_parts(base as *const UnsafeCell<u8>, len) }
    }

    /// The address of the aligned `width`-byte location at `addr`, or the trap's message.
    fn location(&self, addr: u64, width: u64) -> Result<usize> {
        if !addr.is_multiple_of(width) {
            bail!(Trap::UnalignedAtomic.message());
        }
        let at = self
            .memory
            .range_ptr(addr, width)
            .ok_or_else(|| anyhow!(Trap::MemoryOutOfBounds.message()))?;
        Ok(at as usize)
    }

    /// `memory.atomic.notify`: wakes up to `count` threads waiting at `addr`, returning how
    /// many were woken. An unaligned or out-of-bounds `addr` is an error.
    pub fn atomic_notify(&self, addr: u64, count: u32) -> Result<u32> {
        Ok(wasmfx_runtime::parking::notify(
            self.location(addr, 4)?,
            count,
        ))
    }

    /// `memory.atomic.wait32`: blocks while the 4 bytes at `addr` hold `expected`, until
    /// notified or until `timeout` (forever if `None`) passes.
    pub fn atomic_wait32(
        &self,
        addr: u64,
        expected: u32,
        timeout: Option<Duration>,
    ) -> Result<WaitResult> {
        self.wait(addr, 4, u64::from(expected), timeout)
    }

    /// `memory.atomic.wait64`: as [`SharedMemory::atomic_wait32`], for the 8 bytes at `addr`.
    pub fn atomic_wait64(
        &self,
        addr: u64,
        expected: u64,
        timeout: Option<Duration>,
    ) -> Result<WaitResult> {
        self.wait(addr, 8, expected, timeout)
    }

    fn wait(
        &self,
        addr: u64,
        width: u32,
        expected: u64,
        timeout: Option<Duration>,
    ) -> Result<WaitResult> {
        use wasmfx_runtime::parking::{wait, WaitResult as Ended};
        let at = self.location(addr, u64::from(width))?;
        // SAFETY: `at` is an aligned location of this width inside the memory, which `self`
        // keeps alive for the whole wait.
        Ok(
            match unsafe { wait(at, width, expected, timeout, || false) } {
                Ended::Woken => WaitResult::Ok,
                Ended::NotEqual => WaitResult::Mismatch,
                Ended::TimedOut | Ended::Interrupted => WaitResult::TimedOut,
            },
        )
    }
}

impl std::fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedMemory")
            .field("ty", &self.ty())
            .finish()
    }
}

impl PartialEq for SharedMemory {
    fn eq(&self, other: &SharedMemory) -> bool {
        Arc::ptr_eq(&self.memory, &other.memory)
    }
}

impl Eq for SharedMemory {}
