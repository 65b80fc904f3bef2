//! The engine: configuration, the compiler, the engine-wide registry of function types, and
//! the cache of wasm-to-host trampolines (one per function type).

use crate::{Config, FuncType};
use anyhow::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use wasmfx_cranelift::Compiler;
use wasmfx_runtime::{CodeMemory, FrameInfo};

/// A compilation environment shared by modules and stores. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub(crate) config: Config,
    pub(crate) compiler: Compiler,
    types: RwLock<TypeRegistry>,
    host_stubs: Mutex<HashMap<u32, (usize, CodeMemory)>>,
}

#[derive(Default)]
struct TypeRegistry {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default()).expect("the default configuration is valid")
    }
}

impl Engine {
    /// An engine with `config`.
    pub fn new(config: &Config) -> Result<Engine> {
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                compiler: Compiler::new()?,
                types: RwLock::new(TypeRegistry::default()),
                host_stubs: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Whether two handles are the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The engine-wide id of `ty` (registering it if new).
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        if let Some(id) = self.inner.types.read().expect("types").ids.get(ty) {
            return *id;
        }
        let mut reg = self.inner.types.write().expect("types");
        if let Some(id) = reg.ids.get(ty) {
            return *id;
        }
        let id = reg.types.len() as u32;
        reg.types.push(ty.clone());
        reg.ids.insert(ty.clone(), id);
        id
    }

    /// The function type with engine-wide id `id`.
    pub(crate) fn func_type(&self, id: u32) -> FuncType {
        self.inner.types.read().expect("types").types[id as usize].clone()
    }

    /// Address of the wasm-to-host trampoline for functions of type `ty` (id `id`).
    pub(crate) fn host_stub(&self, ty: &FuncType, id: u32) -> Result<usize> {
        let mut stubs = self.inner.host_stubs.lock().expect("stubs");
        if let Some((addr, _)) = stubs.get(&id) {
            return Ok(*addr);
        }
        let text = self.inner.compiler.wasm_to_host(&ty.to_wasm())?;
        let mut code = CodeMemory::new(&text.text)?;
        code.register(FrameInfo {
            module_name: None,
            funcs: text.funcs.iter().map(|(s, l)| (*s, *l, None)).collect(),
            traps: text.traps.clone(),
        });
        let addr = code.addr(0);
        stubs.insert(id, (addr, code));
        Ok(addr)
    }
}
