//! The linker: a namespace of named definitions (host functions, externs, whole instances)
//! used to satisfy a module's imports by name.

use crate::func::RawHostFn;
use crate::{AsContext, AsContextMut, Engine, Extern, Func, FuncType, Instance, IntoFunc, Module};
use anyhow::{anyhow, bail, Result};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

enum Definition {
    Extern(Extern),
    HostFunc(FuncType, Arc<RawHostFn>),
}

/// Resolves imports by module and field name.
pub struct Linker<T> {
    engine: Engine,
    map: HashMap<(String, String), Definition>,
    allow_shadowing: bool,
    _data: PhantomData<fn(T)>,
}

impl<T: 'static> Linker<T> {
    /// An empty linker.
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            map: HashMap::new(),
            allow_shadowing: false,
            _data: PhantomData,
        }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Whether a later definition may replace an earlier one of the same name.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) -> Result<&mut Self> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.map.contains_key(&key) {
            bail!("import `{module}::{name}` is already defined");
        }
        self.map.insert(key, def);
        Ok(self)
    }

    /// Defines `module::name` as `item`.
    pub fn define(
        &mut self,
        _store: impl AsContext<Data = T>,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))
    }

    /// Defines `module::name` as `memory`, which belongs to no store: every store of the
    /// engine that instantiates through this linker imports the same memory.
    pub fn define_shared_memory(
        &mut self,
        module: &str,
        name: &str,
        memory: crate::SharedMemory,
    ) -> Result<&mut Self> {
        self.insert(
            module,
            name,
            Definition::Extern(Extern::SharedMemory(memory)),
        )
    }

    /// Defines `module::name` as a host function made from a Rust closure; it is created
    /// in each store that instantiates a module importing it.
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        f: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, raw) = f.into_raw();
        self.insert(module, name, Definition::HostFunc(ty, raw))
    }

    /// Defines every export of `instance` under `module_name`.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module_name: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        for (name, item) in instance.exports(&mut store) {
            self.insert(module_name, &name, Definition::Extern(item))?;
        }
        Ok(self)
    }

    /// The definition of `module::name`, created in `store` if it is a host function.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.map.get(&(module.to_string(), name.to_string()))?;
        Some(match def {
            Definition::Extern(e) => e.clone(),
            Definition::HostFunc(ty, raw) => {
                let s = &mut store.as_context_mut().0.opaque;
                Extern::Func(Func::from_raw_host(s, ty.clone(), raw.clone()).ok()?)
            }
        })
    }

    /// Instantiates `module`, resolving its imports from this linker.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let mut imports = Vec::new();
        for import in module.imports() {
            let item = self
                .get(&mut store, import.module(), import.name())
                .ok_or_else(|| {
                    anyhow!(
                        "unknown import: `{}::{}` has not been defined",
                        import.module(),
                        import.name()
                    )
                })?;
            imports.push(item);
        }
        Instance::new(store, module, &imports)
    }
}
