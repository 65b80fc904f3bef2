//! Instantiation: checking imports against a module's types, creating its memories, tables
//! and globals, running initialisers, segments and the start function; and export lookup.

use crate::store::{StoreOpaque, Stored};
use crate::{
    AsContextMut, Extern, ExternType, Func, Global, GlobalType, Memory, Module, Mutability, Table,
    TypedFunc, ValType,
};
use anyhow::{anyhow, bail, Result};
use wasmfx_environ::EntityIndex;
use wasmfx_runtime::pooling::InstancePermit;
use wasmfx_runtime::{builtins_table, Imports, Instance as RtInstance, InstanceError};

/// An instance's runtime state and the handles of everything in its index spaces.
pub(crate) struct InstanceData {
    _handle: Box<RtInstance>,
    module: Module,
    funcs: Vec<*const wasmfx_runtime::VMFuncRef>,
    memories: Vec<Memory>,
    tables: Vec<Table>,
    globals: Vec<Global>,
    tags: Vec<crate::Tag>,
    /// The instance's place in the pooling allocator's count, with that strategy.
    _permit: Option<InstancePermit>,
}

// SAFETY: used only through its store, one thread at a time.
unsafe impl Send for InstanceData {}

/// An instance of a module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance(pub(crate) Stored);

fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match (max, actual_max) {
            (None, _) => true,
            (Some(m), Some(a)) => a <= m,
            (Some(_), None) => false,
        }
}

impl Instance {
    /// Instantiates `module` with `imports` given in the module's import order.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let s = &mut store.as_context_mut().0.opaque;
        Instance::new_in(s, module, imports)
    }

    pub(crate) fn new_in(
        s: &mut StoreOpaque,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        if !crate::Engine::same(&s.engine, module.engine()) {
            bail!("the module was compiled by a different engine than the store's");
        }
        let info = module.info();
        if imports.len() != info.imports.len() {
            bail!(
                "expected {} imports, found {}",
                info.imports.len(),
                imports.len()
            );
        }
        let mut rt_imports = Imports::default();
        let mut memories = Vec::new();
        let mut tables = Vec::new();
        let mut globals = Vec::new();
        let mut tags = Vec::new();
        for (import, value) in info.imports.iter().zip(imports) {
            let expected = module.entity_type(import.index);
            let incompatible = || {
                anyhow!(
                    "incompatible import type for `{}::{}`",
                    import.module,
                    import.name
                )
            };
            match (expected, value) {
                (ExternType::Func(_), Extern::Func(f)) => {
                    let EntityIndex::Function(index) = import.index else {
                        return Err(incompatible());
                    };
                    let expected = module.type_ids()[info.functions[index as usize] as usize];
                    if !s.engine.types().is_subtype(f.type_id(s), expected) {
                        return Err(incompatible());
                    }
                    rt_imports.funcs.push(f.func_ref(s));
                }
                (ExternType::Memory(ty), Extern::Memory(_) | Extern::SharedMemory(_)) => {
                    let actual = match value {
                        Extern::SharedMemory(shared) => shared.ty(),
                        Extern::Memory(m) => Memory::type_of(m.rt(s)),
                        _ => return Err(incompatible()),
                    };
                    if actual.is_64() != ty.is_64()
                        || actual.is_shared() != ty.is_shared()
                        || !limits_match(
                            actual.minimum(),
                            actual.maximum(),
                            ty.minimum(),
                            ty.maximum(),
                        )
                    {
                        return Err(incompatible());
                    }
                    // The store holds a shared memory only once it is known to fit.
                    let m = match value {
                        Extern::SharedMemory(shared) => Memory::import_shared(s, shared)?,
                        _ => value.clone().into_memory().ok_or_else(incompatible)?,
                    };
                    rt_imports.memories.push(m.rt(s).vmdef());
                    memories.push(m);
                }
                (ExternType::Table(ty), Extern::Table(t)) => {
                    let (rt, elem) = t.rt(s);
                    let actual = Table::type_of(rt, elem);
                    if elem != ValType::Ref(ty.element())
                        || actual.is_64() != ty.is_64()
                        || !limits_match(
                            actual.minimum(),
                            actual.maximum(),
                            ty.minimum(),
                            ty.maximum(),
                        )
                    {
                        return Err(incompatible());
                    }
                    rt_imports.tables.push(t.rt(s).0.vmdef());
                    tables.push(*t);
                }
                (ExternType::Global(ty), Extern::Global(g)) => {
                    if !global_type_matches(&s.engine, g.ty_in(s), ty) {
                        return Err(incompatible());
                    }
                    rt_imports.globals.push(g.def(s));
                    globals.push(*g);
                }
                (ExternType::Tag(_), Extern::Tag(t)) => {
                    let EntityIndex::Tag(index) = import.index else {
                        return Err(incompatible());
                    };
                    if t.type_id(s) != module.type_ids()[info.tags[index as usize] as usize] {
                        return Err(incompatible());
                    }
                    rt_imports.tags.push(t.identity(s));
                    tags.push(*t);
                }
                _ => return Err(incompatible()),
            }
        }
        crate::limits::check_count(s, s.instances.len(), |l| l.instances(), "instances")?;
        let permit = match &s.engine.inner.pools {
            Some(pools) => Some(pools.instances.acquire()?),
            None => None,
        };
        for m in &info.memories[info.num_imported_memories as usize..] {
            let ty = crate::MemoryType::from_wasm(m)?;
            let mem = Memory::new_in(s, ty)?;
            rt_imports.memories.push(mem.rt(s).vmdef());
            memories.push(mem);
        }
        for t in &info.tables[info.num_imported_tables as usize..] {
            let ty = crate::TableType::from_wasm(&t.ty, module.type_ids())?;
            let table = Table::new_in(s, ty, 0)?;
            rt_imports.tables.push(table.rt(s).0.vmdef());
            tables.push(table);
        }
        let defined_global_types = info.globals[info.num_imported_globals as usize..]
            .iter()
            .map(|g| crate::GlobalType::from_wasm(&g.ty, module.type_ids()))
            .collect::<Result<Vec<_>>>()?;
        for &ty in &info.tags[info.num_imported_tags as usize..] {
            let tag = crate::Tag::new_in(s, module.type_ids()[ty as usize]);
            rt_imports.tags.push(tag.identity(s));
            tags.push(tag);
        }
        let store_ptr = s as *mut StoreOpaque as *mut u8;
        // SAFETY: every pointer refers to an object owned by this store, which outlives the
        // instance; imports were checked against the module's types above.
        let mut handle = unsafe {
            RtInstance::new(
                module.inner.compiled.clone(),
                &rt_imports,
                &mut *s.state,
                store_ptr,
                builtins_table(),
            )
        };
        for (ty, i) in defined_global_types
            .into_iter()
            .zip(info.num_imported_globals..)
        {
            // SAFETY: a global definition inline in the new instance's vmctx, which the store
            // keeps as long as itself.
            globals.push(unsafe { Global::register(s, ty, handle.global_def(i), false) });
        }
        let funcs = (0..info.functions.len() as u32)
            .map(|i| handle.func_ref(i))
            .collect();
        let vmctx = handle.vmctx() as usize;
        let init = handle.initialize();
        s.instances.push(InstanceData {
            _handle: handle,
            module: module.clone(),
            funcs,
            memories,
            tables,
            globals,
            tags,
            _permit: permit,
        });
        let index = s.instances.len() - 1;
        s.instance_by_vmctx.insert(vmctx, index);
        let instance = Instance(s.stored(index));
        match init {
            Ok(()) => {}
            Err(InstanceError::Trap(trap)) => {
                return Err(anyhow::Error::new(trap).context("instantiation failed"))
            }
            Err(InstanceError::Resource(e)) => return Err(e.context("instantiation failed")),
        }
        if let Some(start) = info.start {
            let f = instance.func_in(s, start);
            f.call_raw(s, &mut [wasmfx_runtime::VMVal::default()])?;
        }
        Ok(instance)
    }

    fn func_in(&self, s: &mut StoreOpaque, index: u32) -> Func {
        let i = s.check(self.0);
        let fref = s.instances[i].funcs[index as usize];
        Func::from_raw(s, fref as usize).expect("function references are never null")
    }

    pub(crate) fn export_in(&self, s: &mut StoreOpaque, name: &str) -> Option<Extern> {
        let i = s.check(self.0);
        let module = s.instances[i].module.clone();
        let (_, index) = module.info().exports.iter().find(|(n, _)| n == name)?;
        self.entity(s, *index)
    }

    fn entity(&self, s: &mut StoreOpaque, index: EntityIndex) -> Option<Extern> {
        let i = s.check(self.0);
        let data = &s.instances[i];
        Some(match index {
            EntityIndex::Function(f) => Extern::Func(self.func_in(s, f)),
            EntityIndex::Memory(m) => data.memories[m as usize].to_extern(s),
            EntityIndex::Table(t) => Extern::Table(data.tables[t as usize]),
            EntityIndex::Global(g) => Extern::Global(data.globals[g as usize]),
            EntityIndex::Tag(t) => Extern::Tag(data.tags[t as usize]),
        })
    }

    /// The export called `name`.
    pub fn get_export(&self, mut store: impl AsContextMut, name: &str) -> Option<Extern> {
        self.export_in(&mut store.as_context_mut().0.opaque, name)
    }

    /// The exported function called `name`.
    pub fn get_func(&self, store: impl AsContextMut, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    /// The exported function called `name`, with static types.
    pub fn get_typed_func<P: crate::WasmList, R: crate::WasmList>(
        &self,
        mut store: impl AsContextMut,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        let f = self
            .get_func(&mut store, name)
            .ok_or_else(|| anyhow!("no exported function `{name}`"))?;
        f.typed(&store)
    }

    /// The exported memory called `name` (not shared).
    pub fn get_memory(&self, store: impl AsContextMut, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// The exported shared memory called `name`.
    pub fn get_shared_memory(
        &self,
        store: impl AsContextMut,
        name: &str,
    ) -> Option<crate::SharedMemory> {
        self.get_export(store, name)?.into_shared_memory()
    }

    /// The exported global called `name`.
    pub fn get_global(&self, store: impl AsContextMut, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// The exported table called `name`.
    pub fn get_table(&self, store: impl AsContextMut, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// The exported tag called `name`.
    pub fn get_tag(&self, store: impl AsContextMut, name: &str) -> Option<crate::Tag> {
        match self.get_export(store, name)? {
            Extern::Tag(t) => Some(t),
            _ => None,
        }
    }

    /// Every export, in order.
    pub fn exports(&self, mut store: impl AsContextMut) -> Vec<(String, Extern)> {
        let s = &mut store.as_context_mut().0.opaque;
        let i = s.check(self.0);
        let module = s.instances[i].module.clone();
        module
            .info()
            .exports
            .iter()
            .filter_map(|(n, index)| Some((n.clone(), self.entity(s, *index)?)))
            .collect()
    }
}

/// Whether a global of type `actual` can be imported as `expected`: mutable globals must have
/// equal types, immutable ones may have a subtype.
fn global_type_matches(engine: &crate::Engine, actual: GlobalType, expected: GlobalType) -> bool {
    if actual.mutability() != expected.mutability() {
        return false;
    }
    let types = engine.types();
    let (a, e) = (actual.content().to_env(), expected.content().to_env());
    match actual.mutability() {
        Mutability::Const => types.is_val_subtype(a, e),
        Mutability::Var => a == e,
    }
}
