//! Instances: a module's `VMContext` wired to its functions, memories, tables and globals, and
//! the instantiation steps that run before the start function (initialisers and segments).

use crate::code::CodeMemory;
use crate::const_eval::eval;
use crate::memory::Memory;
use crate::store_state::StoreState;
use crate::table::{Table, TableElem};
use crate::type_displays::TypeDisplays;
use crate::vm::*;
use std::alloc::Layout;
use std::sync::{Arc, RwLock};
use wasmfx_environ::{DataMode, ElemMode, ModuleInfo, TypeRegistry, VMOffsets, VMCTX_MAGIC};

/// A compiled module: its description, code, and what instantiation needs from the engine.
pub struct CompiledModule {
    /// The module's description.
    pub info: ModuleInfo,
    /// Its machine code.
    pub code: CodeMemory,
    /// Start offset in `code` of each defined function.
    pub func_offsets: Vec<u32>,
    /// Engine type id of each module type (`u32::MAX` for types that are not function types).
    pub type_ids: Vec<u32>,
    /// Array-to-wasm trampoline address for each module type (0 where none was needed).
    pub array_trampolines: Vec<usize>,
    /// The `VMContext` layout.
    pub offsets: VMOffsets,
    /// The engine's type registry, for subtype checks at run time.
    pub type_registry: Arc<RwLock<TypeRegistry>>,
    /// The engine's supertype displays, which generated code reads.
    pub type_displays: Arc<TypeDisplays>,
}

impl CompiledModule {
    /// Address of defined function `i`'s code (counted from the first defined function).
    pub fn defined_func_addr(&self, i: u32) -> usize {
        self.code.addr(self.func_offsets[i as usize])
    }
}

/// Everything an instance refers to, in the module's index spaces (imports first).
#[derive(Default)]
pub struct Imports {
    /// Imported functions.
    pub funcs: Vec<*const VMFuncRef>,
    /// All tables.
    pub tables: Vec<*mut VMTableDefinition>,
    /// All memories.
    pub memories: Vec<*mut VMMemoryDefinition>,
    /// The imported globals (the defined ones live in the instance's `VMContext`).
    pub globals: Vec<*mut VMGlobalDefinition>,
    /// All tags (identity pointers).
    pub tags: Vec<*mut u8>,
}

/// Why instantiation stopped.
#[derive(Debug)]
pub enum InstanceError {
    /// A segment did not fit its table or memory, or an initialiser's GC object did not fit
    /// in the GC heap (the spec's instantiation traps).
    Trap(wasmfx_environ::Trap),
    /// A resource an initialiser needed could not be had (the GC heap could not be reserved).
    Resource(anyhow::Error),
}

/// An instance. Boxed: its `VMContext` points back to it.
pub struct Instance {
    module: Arc<CompiledModule>,
    vmctx: *mut u8,
    layout: Layout,
    dropped_data: Vec<bool>,
    /// Evaluated items of each element segment (empty once dropped).
    elem_items: Vec<Vec<TableElem>>,
}

// SAFETY: the instance owns its vmctx; access is serialised by the owning store.
unsafe impl Send for Instance {}

impl Instance {
    /// Lays out the `VMContext` of a new instance of `module`.
    ///
    /// # Safety
    ///
    /// Every pointer in `imports` and `store_state`/`store` must stay valid for the instance's
    /// lifetime, and `imports` must match the module's index spaces and types.
    pub unsafe fn new(
        module: Arc<CompiledModule>,
        imports: &Imports,
        store_state: *mut StoreState,
        store: *mut u8,
        builtins: *const usize,
    ) -> Box<Instance> {
        let offsets = &module.offsets;
        let layout = Layout::from_size_align(offsets.size().max(64) as usize, 16).expect("layout");
        // SAFETY: non-zero size.
        let vmctx = unsafe { std::alloc::alloc_zeroed(layout) };
        if vmctx.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        let mut instance = Box::new(Instance {
            module: module.clone(),
            vmctx,
            layout,
            dropped_data: vec![false; module.info.data.len()],
            elem_items: Vec::new(),
        });
        let me = &mut *instance as *mut Instance as usize;
        // SAFETY: the state outlives the instance (the caller's contract); the instance is
        // boxed and never moves.
        unsafe { (*store_state).register_instance(&*instance) };
        let info = &module.info;
        // SAFETY: every write is within the `offsets.size()` bytes just allocated, at the
        // offsets generated code reads.
        unsafe {
            let put = |off: u32, v: usize| *(vmctx.add(off as usize) as *mut usize) = v;
            *(vmctx as *mut u32) = VMCTX_MAGIC;
            // The state's first field is its `VMStoreContext`: one pointer serves as both.
            put(VMOffsets::STORE_CONTEXT, store_state as usize);
            put(VMOffsets::BUILTINS, builtins as usize);
            put(VMOffsets::TYPE_IDS, module.type_ids.as_ptr() as usize);
            put(VMOffsets::STORE, store as usize);
            put(VMOffsets::INSTANCE, me);
            put(VMOffsets::TYPE_DISPLAYS, module.type_displays.base());
            for (i, f) in imports.funcs.iter().enumerate() {
                put(offsets.func_ref(i as u32), *f as usize);
            }
            for d in 0..info.num_defined_funcs() {
                let index = info.num_imported_funcs + d;
                let ty = info.functions[index as usize];
                let slot = vmctx.add(offsets.defined_func_ref(d) as usize) as *mut VMFuncRef;
                *slot = VMFuncRef {
                    wasm_call: module.defined_func_addr(d),
                    array_call: module.array_trampolines[ty as usize],
                    vmctx,
                    type_id: module.type_ids[ty as usize],
                    _pad: 0,
                };
                put(offsets.func_ref(index), slot as usize);
            }
            for (i, m) in imports.memories.iter().enumerate() {
                put(offsets.memory(i as u32), *m as usize);
                // A memory's base never moves (it is reserved at its largest size).
                put(offsets.memory_base(i as u32), (**m).base as usize);
            }
            for (i, t) in imports.tables.iter().enumerate() {
                put(offsets.table(i as u32), *t as usize);
            }
            for (i, g) in imports.globals.iter().enumerate() {
                put(offsets.global(i as u32), *g as usize);
            }
            // Defined globals live inline; their pointer slots point there, for the runtime.
            for i in info.num_imported_globals..info.globals.len() as u32 {
                put(
                    offsets.global(i),
                    vmctx.add(offsets.defined_global(i) as usize) as usize,
                );
            }
            for (i, t) in imports.tags.iter().enumerate() {
                put(offsets.tag(i as u32), *t as usize);
            }
        }
        instance
    }

    /// The instance of a `VMContext`.
    ///
    /// # Safety
    ///
    /// `vmctx` must be the context of a live instance not otherwise borrowed.
    pub unsafe fn from_vmctx<'a>(vmctx: *mut u8) -> &'a mut Instance {
        // SAFETY: the INSTANCE field holds the owning instance's address.
        unsafe { &mut *(*(vmctx.add(VMOffsets::INSTANCE as usize) as *const *mut Instance)) }
    }

    /// The compiled module.
    pub fn module(&self) -> &Arc<CompiledModule> {
        &self.module
    }

    /// The `VMContext`.
    pub fn vmctx(&self) -> *mut u8 {
        self.vmctx
    }

    fn read(&self, off: u32) -> usize {
        // SAFETY: `off` is a field offset within the vmctx allocation.
        unsafe { *(self.vmctx.add(off as usize) as *const usize) }
    }

    /// The store context given at creation.
    pub fn store_context(&self) -> &VMStoreContext {
        // SAFETY: the store context outlives every instance of its store.
        unsafe { &*(self.read(VMOffsets::STORE_CONTEXT) as *const VMStoreContext) }
    }

    /// The state of the store given at creation.
    pub fn store_state(&self) -> &StoreState {
        // SAFETY: the field holds the pointer to the whole state given to `Instance::new`,
        // whose first field is the store context; the state outlives every instance of its
        // store.
        unsafe { &*(self.read(VMOffsets::STORE_CONTEXT) as *const StoreState) }
    }

    /// The store pointer given at creation.
    pub fn store_ptr(&self) -> *mut u8 {
        self.read(VMOffsets::STORE) as *mut u8
    }

    /// Function `i`'s reference.
    pub fn func_ref(&self, i: u32) -> *const VMFuncRef {
        self.read(self.module.offsets.func_ref(i)) as *const VMFuncRef
    }

    /// Memory `i`'s definition.
    pub fn memory_def(&self, i: u32) -> *mut VMMemoryDefinition {
        self.read(self.module.offsets.memory(i)) as *mut VMMemoryDefinition
    }

    /// Table `i`'s definition.
    pub fn table_def(&self, i: u32) -> *mut VMTableDefinition {
        self.read(self.module.offsets.table(i)) as *mut VMTableDefinition
    }

    /// Global `i`'s definition.
    pub fn global_def(&self, i: u32) -> *mut VMGlobalDefinition {
        self.read(self.module.offsets.global(i)) as *mut VMGlobalDefinition
    }

    /// Tag `i`'s identity.
    pub fn tag(&self, i: u32) -> *mut u8 {
        self.read(self.module.offsets.tag(i)) as *mut u8
    }

    /// How this instance's module knows the tag with identity `identity`: its export name,
    /// else (when `imports` allows) its import name, else its index; `None` if the module has
    /// no such tag, or only imports it and `imports` is false.
    pub fn describe_tag(&self, identity: *mut u8, imports: bool) -> Option<String> {
        let info = &self.module.info;
        let index = (0..info.tags.len() as u32).find(|i| self.tag(*i) == identity)?;
        let entity = wasmfx_environ::EntityIndex::Tag(index);
        if let Some((name, _)) = info.exports.iter().find(|(_, e)| *e == entity) {
            return Some(format!("`{name}`"));
        }
        match info.imports.iter().find(|i| i.index == entity) {
            Some(import) if imports => Some(format!("`{}::{}`", import.module, import.name)),
            Some(_) => None,
            None => Some(format!("#{index}")),
        }
    }

    /// Memory `i`.
    pub fn memory(&self, i: u32) -> &Memory {
        // SAFETY: the definition belongs to a live memory the store holds.
        unsafe { Memory::from_def(self.memory_def(i)) }
    }

    /// Table `i`.
    pub fn table(&mut self, i: u32) -> &mut Table {
        // SAFETY: the definition belongs to a live table owned by the store.
        unsafe { Table::from_def(self.table_def(i)) }
    }

    fn eval(&self, expr: &wasmfx_environ::ConstExpr) -> Result<u128, InstanceError> {
        let type_ids = &self.module.type_ids;
        eval(
            expr,
            |g| self.global_def(g),
            |f| self.func_ref(f),
            |ty, size, length| match type_ids.get(ty as usize) {
                // Constant evaluation's operands are not roots: no collection here.
                Some(&type_id) => self.store_state().gc_alloc(type_id, size, length, false),
                None => anyhow::bail!("type {ty} of a constant expression is not in the module"),
            },
        )
    }

    /// Runs the instantiation steps before the start function: defined globals' and tables'
    /// initialisers, element segments, then data segments. Stops at the first that traps (a
    /// segment out of bounds, an initialiser's GC object beyond the GC heap) or fails.
    pub fn initialize(&mut self) -> Result<(), InstanceError> {
        let module = self.module.clone();
        let info = &module.info;
        // Every segment is there (empty) even if an initialiser fails below.
        self.elem_items = vec![Vec::new(); info.elems.len()];
        for (i, g) in info.globals.iter().enumerate() {
            if let Some(init) = &g.init {
                let v = self.eval(init)?;
                // SAFETY: the global's definition is live and 16 bytes.
                unsafe { *(*self.global_def(i as u32)).storage.get() = v.to_le_bytes() };
            }
        }
        for (i, t) in info.tables.iter().enumerate() {
            if let Some(init) = &t.init {
                let v = self.eval(init)?;
                let table = self.table(i as u32);
                let n = table.size();
                table.fill(0, v, n);
            }
        }
        self.elem_items = info
            .elems
            .iter()
            .map(|seg| seg.items.iter().map(|e| self.eval(e)).collect())
            .collect::<Result<_, _>>()?;
        for (i, seg) in info.elems.iter().enumerate() {
            match &seg.mode {
                ElemMode::Active { table, offset } => {
                    let dst = self.eval(offset)? as u64;
                    let len = seg.items.len() as u32;
                    if !self.table_init(*table, i as u32, dst, 0, u64::from(len)) {
                        return Err(InstanceError::Trap(wasmfx_environ::Trap::TableOutOfBounds));
                    }
                    self.elem_drop(i as u32);
                }
                ElemMode::Declared => self.elem_drop(i as u32),
                ElemMode::Passive => {}
            }
        }
        for (i, seg) in info.data.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &seg.mode {
                let dst = self.eval(offset)? as u64;
                let dst = if info.memories[*memory as usize].memory64 {
                    dst
                } else {
                    dst as u32 as u64
                };
                if !self.memory_init(*memory, i as u32, dst, 0, seg.bytes.len() as u64) {
                    return Err(InstanceError::Trap(wasmfx_environ::Trap::MemoryOutOfBounds));
                }
                self.data_drop(i as u32);
            }
        }
        Ok(())
    }

    /// `memory.init`; `false` if out of bounds.
    pub fn memory_init(&mut self, memory: u32, data: u32, dst: u64, src: u64, len: u64) -> bool {
        let module = self.module.clone();
        let bytes: &[u8] = if self.dropped_data[data as usize] {
            &[]
        } else {
            &module.info.data[data as usize].bytes
        };
        match (
            range(src, len, bytes.len()),
            self.memory(memory).range_ptr(dst, len),
        ) {
            (Some(s), Some(d)) => {
                // SAFETY: `d` is the start of `len` bytes inside the memory, which cannot
                // overlap the module's data segment.
                unsafe { std::ptr::copy_nonoverlapping(bytes[s].as_ptr(), d, len as usize) };
                true
            }
            _ => false,
        }
    }

    /// `data.drop`.
    pub fn data_drop(&mut self, data: u32) {
        self.dropped_data[data as usize] = true;
    }

    /// The bytes of data segment `data` (none once dropped).
    pub fn data_bytes(&self, data: u32) -> &[u8] {
        if self.dropped_data[data as usize] {
            &[]
        } else {
            &self.module.info.data[data as usize].bytes
        }
    }

    /// The items of every element segment (none for dropped ones).
    pub(crate) fn all_elem_items(&self) -> impl Iterator<Item = &[TableElem]> {
        self.elem_items.iter().map(|items| &items[..])
    }

    /// The items of element segment `elem` (none once dropped).
    pub fn elem_items(&self, elem: u32) -> &[TableElem] {
        &self.elem_items[elem as usize]
    }

    /// `table.init`; `false` if out of bounds.
    pub fn table_init(&mut self, table: u32, elem: u32, dst: u64, src: u64, len: u64) -> bool {
        let items = std::mem::take(&mut self.elem_items[elem as usize]);
        let ok = match range(src, len, items.len()) {
            Some(s) => self.table(table).init(dst, &items[s]),
            None => false,
        };
        self.elem_items[elem as usize] = items;
        ok
    }

    /// `elem.drop`.
    pub fn elem_drop(&mut self, elem: u32) {
        self.elem_items[elem as usize] = Vec::new();
    }
}

/// `start..start+len` if it fits in `size`.
pub(crate) fn range(start: u64, len: u64, size: usize) -> Option<std::ops::Range<usize>> {
    let end = start.checked_add(len)?;
    if end > size as u64 {
        return None;
    }
    Some(start as usize..end as usize)
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.vmctx, self.layout) };
    }
}
