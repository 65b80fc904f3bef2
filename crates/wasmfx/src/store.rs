//! Stores: own every runtime object (instances, functions, memories, tables, globals, external
//! references) and the host's data; handles to those objects are indices into a store.

use crate::func::FuncData;
use crate::instance::InstanceData;
use crate::Engine;
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use wasmfx_runtime::{Memory as RtMemory, StoreState, Table as RtTable, VMGlobalDefinition};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// A handle to an object in a particular store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Stored {
    pub(crate) store: u64,
    pub(crate) index: usize,
}

/// A global's storage and type.
pub(crate) struct GlobalData {
    /// The storage: inline in the defining instance's `VMContext` (which lives as long as the
    /// store), or for a global the host created a box this value owns (see `owned`).
    pub(crate) def: *mut VMGlobalDefinition,
    /// Whether `def` came from `Box::into_raw` and is freed with this value.
    pub(crate) owned: bool,
    pub(crate) ty: crate::GlobalType,
}

impl Drop for GlobalData {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: `def` came from `Box::into_raw` (see `owned`) and is freed once, here;
            // the store drops its globals after everything that could use them.
            drop(unsafe { Box::from_raw(self.def) });
        }
    }
}

/// The part of a store that does not depend on the host data type.
///
/// Memories and tags are boxed on purpose: generated code holds their addresses, so they must
/// not move when the vectors grow. (A global's storage is held by pointer, see `GlobalData`.)
#[allow(clippy::vec_box)]
pub struct StoreOpaque {
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    pub(crate) state: Box<StoreState>,
    pub(crate) instances: Vec<InstanceData>,
    pub(crate) instance_by_vmctx: HashMap<usize, usize>,
    pub(crate) funcs: Vec<FuncData>,
    pub(crate) func_by_ref: HashMap<usize, usize>,
    pub(crate) memories: Vec<std::sync::Arc<RtMemory>>,
    pub(crate) tables: Vec<(Box<RtTable>, crate::ValType)>,
    pub(crate) globals: Vec<GlobalData>,
    pub(crate) externrefs: Vec<Box<dyn Any + Send + Sync>>,
    /// Tags; a tag's identity is the address of its boxed type id.
    pub(crate) tags: Vec<Box<u32>>,
}

impl StoreOpaque {
    /// A readable name for the tag of exception `exn` (of this store): how the instance
    /// defining it names it, else how one importing it does, or `(host tag)` for tags only the
    /// host knows.
    pub(crate) fn describe_exception_tag(&self, exn: *mut u8) -> String {
        // SAFETY: the exception belongs to this (live) store.
        let identity = unsafe { wasmfx_runtime::exn_tag(exn) } as *mut u8;
        [false, true]
            .into_iter()
            .find_map(|imports| {
                self.instance_by_vmctx.keys().find_map(|vmctx| {
                    // SAFETY: the store's instances are live while the store is.
                    unsafe { wasmfx_runtime::Instance::from_vmctx(*vmctx as *mut u8) }
                        .describe_tag(identity, imports)
                })
            })
            .unwrap_or_else(|| "(host tag)".to_string())
    }

    pub(crate) fn stored(&self, index: usize) -> Stored {
        Stored {
            store: self.id,
            index,
        }
    }

    /// Panics if `s` belongs to another store (a programming error, as in wasmtime).
    pub(crate) fn check(&self, s: Stored) -> usize {
        assert_eq!(s.store, self.id, "object used with the wrong store");
        s.index
    }
}

/// The store's layout: the opaque part first, so a pointer to it is a pointer to the whole.
#[repr(C)]
pub struct StoreInner<T> {
    pub(crate) opaque: StoreOpaque,
    pub(crate) data: T,
}

/// A collection of instances and the objects they use, with host data of type `T`.
///
/// A store is used by one thread at a time, and may move to another between calls when `T`
/// may (`Store<T>: Send`), its suspended continuations with it. Continuations and other
/// references belong to their store: using one with another store is an error.
pub struct Store<T> {
    inner: Box<StoreInner<T>>,
}

// SAFETY: everything a store's raw pointers reach is its own (instances, memories, tables,
// globals, the GC heap, continuation objects and stacks), shared memories (`Sync`), or the
// engine's (`Send + Sync`); host functions, limiter closures and external references are
// required to be `Send + Sync`. Nothing ties a store to the thread it ran on between calls:
// the per-thread state of a call (trap handling, the native stack limit, the chain of running
// continuations) is set up on each entry from the host and undone on return, and a suspension
// never reaches past a host frame, so a suspended continuation holds only wasm frames on its
// own stack. `&mut Store` keeps two threads from using it at once.
unsafe impl<T: Send> Send for Store<T> {}

impl<T> Store<T> {
    /// An empty store for `engine`.
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        Store {
            inner: Box::new(StoreInner {
                opaque: StoreOpaque {
                    id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                    engine: engine.clone(),
                    state: Box::new(StoreState::new(
                        engine.config().stack_config(),
                        engine.inner.pools.as_ref().map(|p| p.stacks.clone()),
                        &engine.inner.epoch,
                        engine.config().gc_config(),
                    )),
                    instances: Vec::new(),
                    instance_by_vmctx: HashMap::new(),
                    funcs: Vec::new(),
                    func_by_ref: HashMap::new(),
                    memories: Vec::new(),
                    tables: Vec::new(),
                    globals: Vec::new(),
                    externrefs: Vec::new(),
                    tags: Vec::new(),
                },
                data,
            }),
        }
    }

    /// The host data.
    pub fn data(&self) -> &T {
        &self.inner.data
    }

    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner.data
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.opaque.engine
    }

    /// Sets the fuel left for wasm in this store (with [`Config::consume_fuel`]); each
    /// instruction costs about one unit.
    ///
    /// [`Config::consume_fuel`]: crate::Config::consume_fuel
    pub fn set_fuel(&mut self, fuel: u64) -> anyhow::Result<()> {
        self.check_fuel_enabled()?;
        let fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
        // SAFETY: the store context is only used by the thread running this store.
        unsafe { *self.inner.opaque.state.vm.fuel.get() = fuel };
        Ok(())
    }

    /// The fuel left (with [`Config::consume_fuel`](crate::Config::consume_fuel)).
    pub fn get_fuel(&self) -> anyhow::Result<u64> {
        self.check_fuel_enabled()?;
        // SAFETY: as above.
        let fuel = unsafe { *self.inner.opaque.state.vm.fuel.get() };
        Ok(fuel.max(0) as u64)
    }

    fn check_fuel_enabled(&self) -> anyhow::Result<()> {
        if !self.engine().config().tunables.consume_fuel {
            anyhow::bail!("fuel is not configured in this store's engine (Config::consume_fuel)");
        }
        Ok(())
    }

    /// Sets the epoch deadline `ticks` increments of the engine's epoch from now (with
    /// [`Config::epoch_interruption`](crate::Config::epoch_interruption)).
    pub fn set_epoch_deadline(&mut self, ticks: u64) {
        let deadline = self.engine().current_epoch().saturating_add(ticks);
        // SAFETY: the store context is only used by the thread running this store.
        unsafe { *self.inner.opaque.state.vm.epoch_deadline.get() = deadline };
    }

    /// Installs the store's resource limiter: `limiter` finds it in the host data (for
    /// example `|data| &mut data.limits` with a [`StoreLimits`](crate::StoreLimits) there).
    /// The store asks it before its memories and tables grow and before `cont.new` takes a
    /// new continuation stack, and how many instances, memories and tables it may hold.
    pub fn limiter(
        &mut self,
        limiter: impl (FnMut(&mut T) -> &mut dyn crate::ResourceLimiter) + Send + Sync + 'static,
    ) where
        T: 'static,
    {
        let data: *mut T = &mut self.inner.data;
        let limiter = crate::limits::HostDataLimiter::new(data, Box::new(limiter));
        self.inner.opaque.state.set_limiter(Some(Box::new(limiter)));
    }

    /// Collects the garbage of the store's GC heap now (allocation also collects when the
    /// heap has grown enough). Returns the bytes freed.
    pub fn gc(&mut self) -> usize {
        // SAFETY: called by the host, which holds the store mutably: no wasm of this store runs
        // except below a host function (whose frames the collector scans), and every reference
        // the host was given is pinned.
        unsafe { self.inner.opaque.state.collect_garbage() }
    }

    /// Consumes the store, returning the host data.
    pub fn into_data(self) -> T {
        let inner = *self.inner;
        inner.data
    }
}

impl<T> std::fmt::Debug for Store<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("id", &self.inner.opaque.id)
            .finish_non_exhaustive()
    }
}

/// Shared access to a store.
pub struct StoreContext<'a, T>(pub(crate) &'a StoreInner<T>);

/// Exclusive access to a store.
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut StoreInner<T>);

impl<T> StoreContextMut<'_, T> {
    /// The host data.
    pub fn data(&self) -> &T {
        &self.0.data
    }
    /// The host data, mutably.
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data
    }
}

/// Anything that gives shared access to a store.
pub trait AsContext {
    /// The store's host data type.
    type Data;
    /// Shared access to the store.
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything that gives exclusive access to a store.
pub trait AsContextMut: AsContext {
    /// Exclusive access to the store.
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(&self.inner)
    }
}

impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(&mut self.inner)
    }
}

impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}

impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}

impl<S: AsContext + ?Sized> AsContext for &S {
    type Data = S::Data;
    fn as_context(&self) -> StoreContext<'_, S::Data> {
        (**self).as_context()
    }
}

impl<S: AsContext + ?Sized> AsContext for &mut S {
    type Data = S::Data;
    fn as_context(&self) -> StoreContext<'_, S::Data> {
        (**self).as_context()
    }
}

impl<S: AsContextMut + ?Sized> AsContextMut for &mut S {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, S::Data> {
        (**self).as_context_mut()
    }
}

impl<'a, T> From<&'a Store<T>> for StoreContext<'a, T> {
    fn from(s: &'a Store<T>) -> Self {
        StoreContext(&s.inner)
    }
}

impl<'a, T> From<&'a mut Store<T>> for StoreContext<'a, T> {
    fn from(s: &'a mut Store<T>) -> Self {
        StoreContext(&s.inner)
    }
}

impl<'a, T> From<&'a mut Store<T>> for StoreContextMut<'a, T> {
    fn from(s: &'a mut Store<T>) -> Self {
        StoreContextMut(&mut s.inner)
    }
}
