//! Memories, tables and globals as the host sees them, and [`Extern`], anything that can be
//! imported or exported.

use crate::limits::check_count;
use crate::store::{GlobalData, StoreOpaque, Stored};
use crate::RefType;
use crate::{
    AsContext, AsContextMut, Func, GlobalType, MemoryType, Mutability, SharedMemory, StoreContext,
    StoreContextMut, TableType, Val, ValType,
};
use anyhow::{anyhow, bail, Context, Result};
use std::sync::Arc;
use wasmfx_runtime::{
    elements_to_usize, pages_to_bytes, Memory as RtMemory, MemoryLimits, Table as RtTable,
    TableElem, TableElemType, TableLimits, VMGlobalDefinition, VMVal,
};

/// A linear memory of one store. Shared memories are [`SharedMemory`] values instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Memory(pub(crate) Stored);

impl Memory {
    /// A new memory of type `ty`, which must not be shared: a shared memory is made with
    /// [`SharedMemory::new`].
    pub fn new(mut store: impl AsContextMut, ty: MemoryType) -> Result<Memory> {
        if ty.is_shared() {
            bail!("shared memories are made with `SharedMemory::new`, not `Memory::new`");
        }
        Memory::new_in(&mut store.as_context_mut().0.opaque, ty)
    }

    /// A new memory of `store`, defined by an instance: a shared one (`ty` says so) gets a
    /// [`SharedMemory`] the store holds a reference to.
    pub(crate) fn new_in(store: &mut StoreOpaque, ty: MemoryType) -> Result<Memory> {
        let limit = store.engine.config().max_memory_size;
        let (min, max) = (ty.minimum(), ty.maximum());
        check_count(store, store.memories.len(), |l| l.memories(), "memories")?;
        if let Some(limiter) = store.state.limiter_mut() {
            if !limiter.memory_growing(0, pages_to_bytes(min), max.map(pages_to_bytes))? {
                bail!("memory minimum size of {min} pages exceeds the store's memory limits");
            }
        }
        if ty.is_shared() {
            let shared = SharedMemory::new(&store.engine, ty)?;
            return Memory::import_shared(store, &shared);
        }
        let limits = MemoryLimits {
            min,
            max,
            index64: ty.is_64(),
            shared: ty.is_shared(),
            limit_bytes: limit,
        };
        let m = match &store.engine.inner.pools {
            Some(pools) => RtMemory::new_pooled(&pools.memories, limits)?,
            None => RtMemory::new(limits)?,
        };
        store.memories.push(m);
        Ok(Memory(store.stored(store.memories.len() - 1)))
    }

    /// The handle by which `store` uses `shared` (added to the store the first time).
    pub(crate) fn import_shared(store: &mut StoreOpaque, shared: &SharedMemory) -> Result<Memory> {
        if !crate::Engine::same(shared.engine(), &store.engine) {
            bail!("the shared memory was made for a different engine than the store's");
        }
        let held = store
            .memories
            .iter()
            .position(|m| Arc::ptr_eq(m, shared.rt()));
        let i = match held {
            Some(i) => i,
            None => {
                check_count(store, store.memories.len(), |l| l.memories(), "memories")?;
                store.memories.push(shared.rt().clone());
                store.memories.len() - 1
            }
        };
        Ok(Memory(store.stored(i)))
    }

    /// How this store memory is exported: a shared one as a [`SharedMemory`].
    pub(crate) fn to_extern(self, store: &StoreOpaque) -> Extern {
        let m = &store.memories[store.check(self.0)];
        if m.is_shared() {
            Extern::SharedMemory(SharedMemory::from_rt(&store.engine, m))
        } else {
            Extern::Memory(self)
        }
    }

    pub(crate) fn rt<'a>(&self, store: &'a StoreOpaque) -> &'a RtMemory {
        &store.memories[store.check(self.0)]
    }

    /// The memory's bytes.
    pub fn data<'a, T: 'a>(&self, store: impl Into<StoreContext<'a, T>>) -> &'a [u8] {
        let s = &store.into().0.opaque;
        // SAFETY: a `Memory` the embedder holds is not shared (shared memories are exported
        // as `SharedMemory`), so only this store, borrowed here, accesses it.
        unsafe { self.rt(s).data() }
    }

    /// The memory's bytes, mutably.
    pub fn data_mut<'a, T: 'a>(&self, store: impl Into<StoreContextMut<'a, T>>) -> &'a mut [u8] {
        let s = &store.into().0.opaque;
        // SAFETY: as in `data`; the store is borrowed mutably, so nothing else accesses it.
        unsafe { self.rt(s).data_mut() }
    }

    /// The memory's bytes and the store's host data, both mutably (for host functions that
    /// read and write guest memory while updating their own state).
    pub fn data_and_store_mut<'a, T: 'a>(
        &self,
        store: impl Into<StoreContextMut<'a, T>>,
    ) -> (&'a mut [u8], &'a mut T) {
        let crate::store::StoreInner { opaque, data } = store.into().0;
        // SAFETY: as in `data_mut`.
        (unsafe { self.rt(opaque).data_mut() }, data)
    }

    /// Copies bytes at `offset` into `buf`.
    pub fn read(&self, store: impl AsContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let data = self.data(store.as_context());
        let src = offset
            .checked_add(buf.len())
            .and_then(|end| data.get(offset..end))
            .ok_or_else(|| anyhow!("out of bounds memory access"))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    /// Copies `buf` into the memory at `offset`.
    pub fn write(&self, mut store: impl AsContextMut, offset: usize, buf: &[u8]) -> Result<()> {
        let data = self.data_mut(store.as_context_mut());
        let dst = offset
            .checked_add(buf.len())
            .and_then(|end| data.get_mut(offset..end))
            .ok_or_else(|| anyhow!("out of bounds memory access"))?;
        dst.copy_from_slice(buf);
        Ok(())
    }

    /// Current size in pages.
    pub fn size(&self, store: impl AsContext) -> u64 {
        self.rt(&store.as_context().0.opaque).size_pages()
    }

    /// Grows by `delta` pages, returning the previous size. The store's resource limiter,
    /// if it has one, is asked first.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64) -> Result<u64> {
        let store = &mut store.as_context_mut().0.opaque;
        let memory = store.memories[store.check(self.0)].clone();
        memory
            .grow(delta, store.state.limiter_mut())?
            .ok_or_else(|| growth_failed(delta))
    }

    /// The memory's current type (its minimum is its current size).
    pub fn ty(&self, store: impl AsContext) -> MemoryType {
        Memory::type_of(self.rt(&store.as_context().0.opaque))
    }

    pub(crate) fn type_of(m: &RtMemory) -> MemoryType {
        // The declared maximum, not the engine's limit, is the type's.
        let ty = if m.is_64() {
            MemoryType::new64(m.size_pages(), m.declared_max())
        } else {
            let max = m.declared_max().map(|max| max as u32);
            MemoryType::new(m.size_pages() as u32, max)
        };
        ty.with_shared(m.is_shared())
    }
}

/// The error of a memory growth by `delta` pages that was refused or failed.
pub(crate) fn growth_failed(delta: u64) -> anyhow::Error {
    anyhow!("failed to grow memory by {delta} pages")
}

/// A table of references.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table(pub(crate) Stored);

/// The runtime element representation of tables of `ty`.
fn elem_type(engine: &crate::Engine, ty: RefType) -> TableElemType {
    TableElemType::of_top(engine.heap_top(ty.heap_type()))
}

impl Table {
    /// A new table of type `ty` with every element set to `init`.
    pub fn new(mut store: impl AsContextMut, ty: TableType, init: Val) -> Result<Table> {
        let s = &mut store.as_context_mut().0.opaque;
        let raw = init.to_raw(s, ValType::Ref(ty.element()))?;
        Table::new_in(s, ty, raw.get_u128())
    }

    pub(crate) fn new_in(store: &mut StoreOpaque, ty: TableType, init: TableElem) -> Result<Table> {
        let limit = store.engine.config().max_table_elements;
        let elem = elem_type(&store.engine, ty.element());
        let (min, max) = (ty.minimum(), ty.maximum());
        check_count(store, store.tables.len(), |l| l.tables(), "tables")?;
        if let Some(limiter) = store.state.limiter_mut() {
            let (min_elements, max_elements) = (elements_to_usize(min), max.map(elements_to_usize));
            if !limiter.table_growing(0, min_elements, max_elements)? {
                bail!("table minimum size of {min} elements exceeds the store's table limits");
            }
        }
        let limits = TableLimits {
            min,
            max,
            index64: ty.is_64(),
            limit,
        };
        let t = match &store.engine.inner.pools {
            Some(pools) => RtTable::new_pooled(&pools.tables, elem, limits, init)?,
            None => RtTable::new(elem, limits, init)?,
        };
        let mut t = t;
        // The collector scans every table (its definition is boxed: it never moves).
        store.state.register_table(t.vmdef(), t.elem_type());
        store.tables.push((t, ValType::Ref(ty.element())));
        Ok(Table(store.stored(store.tables.len() - 1)))
    }

    pub(crate) fn rt<'a>(&self, store: &'a mut StoreOpaque) -> (&'a mut RtTable, ValType) {
        let i = store.check(self.0);
        let (t, ty) = &mut store.tables[i];
        (t, *ty)
    }

    /// Element `index`, or `None` if out of bounds.
    pub fn get(&self, mut store: impl AsContextMut, index: u64) -> Option<Val> {
        let s = &mut store.as_context_mut().0.opaque;
        let (t, ty) = self.rt(s);
        let raw = t.get(index)?;
        Some(Val::from_raw(s, VMVal::u128(raw), ty))
    }

    /// Sets element `index`.
    pub fn set(&self, mut store: impl AsContextMut, index: u64, val: Val) -> Result<()> {
        let s = &mut store.as_context_mut().0.opaque;
        let ty = self.rt(s).1;
        let raw = val.to_raw(s, ty)?.get_u128();
        if !self.rt(s).0.set(index, raw) {
            bail!("out of bounds table access");
        }
        Ok(())
    }

    /// Current number of elements.
    pub fn size(&self, mut store: impl AsContextMut) -> u64 {
        self.rt(&mut store.as_context_mut().0.opaque).0.size()
    }

    /// Grows by `delta` elements set to `init`, returning the previous size.
    pub fn grow(&self, mut store: impl AsContextMut, delta: u64, init: Val) -> Result<u64> {
        let s = &mut store.as_context_mut().0.opaque;
        let ty = self.rt(s).1;
        let raw = init.to_raw(s, ty)?.get_u128();
        let i = s.check(self.0);
        s.tables[i]
            .0
            .grow(delta, raw, s.state.limiter_mut())?
            .ok_or_else(|| anyhow!("failed to grow table by {delta} elements"))
    }

    /// The table's current type (its minimum is its current size).
    pub fn ty(&self, mut store: impl AsContextMut) -> TableType {
        let (t, ty) = self.rt(&mut store.as_context_mut().0.opaque);
        Table::type_of(t, ty)
    }

    pub(crate) fn type_of(t: &RtTable, ty: ValType) -> TableType {
        let elem = ty.as_ref().unwrap_or(RefType::FUNCREF);
        // The declared maximum, not the engine's limit, is the type's.
        if t.is_64() {
            return TableType::new64(elem, t.size(), t.declared_max());
        }
        let max = t.declared_max().map(|max| max as u32);
        TableType::new(elem, t.size() as u32, max)
    }
}

/// A global variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Global(pub(crate) Stored);

impl Global {
    /// A new global of type `ty` holding `val`.
    pub fn new(mut store: impl AsContextMut, ty: GlobalType, val: Val) -> Result<Global> {
        let s = &mut store.as_context_mut().0.opaque;
        let raw = val
            .to_raw(s, ty.content())
            .context("initial value of the global")?;
        let def = Box::into_raw(Box::new(VMGlobalDefinition {
            storage: std::cell::UnsafeCell::new(raw.0),
        }));
        // SAFETY: a new box's storage, which the store owns from now on.
        Ok(unsafe { Global::register(s, ty, def, true) })
    }

    /// Adds a global of type `ty` with storage `def` to the store, and to the collector's
    /// roots if it holds a reference.
    ///
    /// # Safety
    ///
    /// `def` must come from `Box::into_raw` if `owned` (the store then frees it), else be a
    /// global definition inline in the `VMContext` of an instance of this store.
    pub(crate) unsafe fn register(
        store: &mut StoreOpaque,
        ty: GlobalType,
        def: *mut VMGlobalDefinition,
        owned: bool,
    ) -> Global {
        let reference = match ty.content() {
            ValType::Ref(r) => Some(TableElemType::of_top(store.engine.heap_top(r.heap_type()))),
            _ => None,
        };
        // SAFETY: `def` lives as long as the store (owned here, or in an instance's vmctx),
        // and never moves.
        store.state.register_global(unsafe { &*def }, reference);
        store.globals.push(GlobalData { def, owned, ty });
        Global(store.stored(store.globals.len() - 1))
    }

    /// The global's type.
    pub fn ty(&self, store: impl AsContext) -> GlobalType {
        self.ty_in(&store.as_context().0.opaque)
    }

    pub(crate) fn ty_in(&self, s: &StoreOpaque) -> GlobalType {
        s.globals[s.check(self.0)].ty
    }

    /// The global's value.
    pub fn get(&self, mut store: impl AsContextMut) -> Val {
        let s = &mut store.as_context_mut().0.opaque;
        let i = s.check(self.0);
        let g = &s.globals[i];
        // SAFETY: reading the 16-byte storage of a live global.
        let raw = VMVal(unsafe { *(*g.def).storage.get() });
        let ty = g.ty.content();
        Val::from_raw(s, raw, ty)
    }

    /// Sets the global's value (it must be mutable).
    pub fn set(&self, mut store: impl AsContextMut, val: Val) -> Result<()> {
        let s = &mut store.as_context_mut().0.opaque;
        let i = s.check(self.0);
        let ty = s.globals[i].ty;
        if ty.mutability() != Mutability::Var {
            bail!("cannot set an immutable global");
        }
        let raw = val.to_raw(s, ty.content())?;
        // SAFETY: writing the 16-byte storage of a live global.
        unsafe { *(*s.globals[i].def).storage.get() = raw.0 };
        Ok(())
    }

    pub(crate) fn def(&self, store: &StoreOpaque) -> *mut VMGlobalDefinition {
        let i = store.check(self.0);
        store.globals[i].def
    }
}

/// An exception tag: an identity with a function type. (`throw` and friends are not compiled
/// yet; tags can already be defined, imported and exported.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag(pub(crate) Stored);

impl Tag {
    /// A new tag of type `ty`.
    pub fn new(mut store: impl AsContextMut, ty: &crate::FuncType) -> Tag {
        let store = &mut store.as_context_mut().0.opaque;
        let id = store.engine.type_id(ty);
        Tag::new_in(store, id)
    }

    /// A new tag whose function type has engine id `id`.
    pub(crate) fn new_in(store: &mut StoreOpaque, id: u32) -> Tag {
        store.tags.push(Box::new(id));
        Tag(store.stored(store.tags.len() - 1))
    }

    /// The tag's type.
    pub fn ty(&self, store: impl AsContext) -> crate::FuncType {
        let cx = store.as_context();
        let s = &cx.0.opaque;
        s.engine.func_type(*s.tags[s.check(self.0)])
    }

    pub(crate) fn type_id(&self, store: &StoreOpaque) -> u32 {
        *store.tags[store.check(self.0)]
    }

    pub(crate) fn identity(&self, store: &mut StoreOpaque) -> *mut u8 {
        let i = store.check(self.0);
        &mut *store.tags[i] as *mut u32 as *mut u8
    }
}

impl From<Tag> for Extern {
    fn from(t: Tag) -> Extern {
        Extern::Tag(t)
    }
}

/// Anything that can be imported or exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Extern {
    /// A function.
    Func(Func),
    /// A global.
    Global(Global),
    /// A table.
    Table(Table),
    /// A memory.
    Memory(Memory),
    /// A shared memory (threads), usable by the stores of several threads.
    SharedMemory(SharedMemory),
    /// An exception tag.
    Tag(Tag),
}

impl Extern {
    /// The function, if this is one.
    pub fn into_func(self) -> Option<Func> {
        match self {
            Extern::Func(f) => Some(f),
            _ => None,
        }
    }
    /// The global, if this is one.
    pub fn into_global(self) -> Option<Global> {
        match self {
            Extern::Global(g) => Some(g),
            _ => None,
        }
    }
    /// The table, if this is one.
    pub fn into_table(self) -> Option<Table> {
        match self {
            Extern::Table(t) => Some(t),
            _ => None,
        }
    }
    /// The memory, if this is one (not shared).
    pub fn into_memory(self) -> Option<Memory> {
        match self {
            Extern::Memory(m) => Some(m),
            _ => None,
        }
    }
    /// The shared memory, if this is one.
    pub fn into_shared_memory(self) -> Option<SharedMemory> {
        match self {
            Extern::SharedMemory(m) => Some(m),
            _ => None,
        }
    }
}

impl From<SharedMemory> for Extern {
    fn from(m: SharedMemory) -> Extern {
        Extern::SharedMemory(m)
    }
}

impl From<Func> for Extern {
    fn from(f: Func) -> Extern {
        Extern::Func(f)
    }
}
impl From<Global> for Extern {
    fn from(g: Global) -> Extern {
        Extern::Global(g)
    }
}
impl From<Table> for Extern {
    fn from(t: Table) -> Extern {
        Extern::Table(t)
    }
}
impl From<Memory> for Extern {
    fn from(m: Memory) -> Extern {
        Extern::Memory(m)
    }
}
