//! The engine: configuration, the compiler, the engine-wide registry of function types, and
//! the cache of wasm-to-host trampolines (one per function type).

use crate::{Config, FuncType, InstanceAllocationStrategy, ValType};
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use wasmfx_cranelift::Compiler;
use wasmfx_environ::{
    abstract_top, wasmparser, AbstractHeapType, CodeTables, FuncEntry, TypeRegistry, WasmHeapType,
};
use wasmfx_runtime::pooling::Pools;
use wasmfx_runtime::{CodeMemory, FrameInfo, TypeDisplays};

/// A compilation environment shared by modules and stores. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub(crate) config: Config,
    pub(crate) compiler: Compiler,
    pub(crate) types: Arc<RwLock<TypeRegistry>>,
    /// The supertype displays of the registered types, for generated code.
    pub(crate) type_displays: Arc<TypeDisplays>,
    host_stubs: Mutex<HashMap<u32, (HostStubs, CodeMemory)>>,
    /// The pooling allocator's regions, with the pooling strategy.
    pub(crate) pools: Option<Pools>,
    /// The epoch counter (see [`Engine::increment_epoch`]); stores point to it, which the
    /// `Arc` around the engine keeps in place.
    pub(crate) epoch: AtomicU64,
    /// The code generation settings precompiled modules record (see `precompiled::settings`).
    pub(crate) code_settings: std::sync::OnceLock<Vec<(String, String)>>,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new(&Config::default()).expect("the default configuration is valid")
    }
}

impl Engine {
    /// An engine with `config`.
    pub fn new(config: &Config) -> Result<Engine> {
        if config.profiler == crate::ProfilingStrategy::PerfMap {
            wasmfx_runtime::perf_map::enable()?;
        }
        let compiler = Compiler::new(config.tunables)?;
        // SSE4.1 is the baseline of SIMD code: Cranelift lowers several instructions
        // (`pmovsx`, `pminsd`, `ptest`, `roundps`, ...) to it. AVX and later are used where the
        // CPU has them, and precompiled files record which were.
        if config.features.contains(wasmparser::WasmFeatures::SIMD)
            && !compiler.has_cpu_feature("has_sse41")
        {
            bail!(
                "SIMD needs a CPU with SSE4.1, which this one lacks; switch it off with \
                 `Config::wasm_simd(false)` (`-W simd=n`)"
            );
        }
        Ok(Engine {
            inner: Arc::new(EngineInner {
                config: config.clone(),
                compiler,
                types: Arc::new(RwLock::new(TypeRegistry::default())),
                type_displays: Arc::new(TypeDisplays::new()?),
                host_stubs: Mutex::new(HashMap::new()),
                pools: match &config.allocation_strategy {
                    InstanceAllocationStrategy::OnDemand => None,
                    InstanceAllocationStrategy::Pooling(p) => {
                        Some(Pools::new(&p.limits(config.continuation_stack_size))?)
                    }
                },
                epoch: AtomicU64::new(0),
                code_settings: std::sync::OnceLock::new(),
            }),
        })
    }

    /// Advances the epoch by one tick: wasm running in a store whose epoch deadline is now
    /// reached traps "interrupt" at its next function entry or loop iteration (with
    /// [`Config::epoch_interruption`]). Safe to call from any thread.
    pub fn increment_epoch(&self) {
        self.inner.epoch.fetch_add(1, Ordering::Release);
    }

    /// The current epoch.
    pub(crate) fn current_epoch(&self) -> u64 {
        self.inner.epoch.load(Ordering::Acquire)
    }

    /// Compiles a module (binary or text) to the bytes of a precompiled module (a `.cwasm`
    /// file, as `wasmfx compile` writes), which [`Module::deserialize`](crate::Module::deserialize)
    /// loads into an engine with the same code generation settings without compiling again.
    /// The bytes record the wasmfx build and this engine's settings.
    pub fn precompile_module(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        crate::Module::precompile(self, bytes)
    }

    /// Whether `bytes` are a precompiled module rather than WebAssembly.
    pub fn is_precompiled(bytes: &[u8]) -> bool {
        crate::precompiled::is_precompiled(bytes)
    }

    /// Writes the precompiled module `bytes` to `path` by renaming a new file into place, so
    /// that a process running a module mapped from an older file at `path` (see
    /// [`Module::deserialize_file`](crate::Module::deserialize_file)) keeps its old contents.
    pub fn write_precompiled_file(path: impl AsRef<std::path::Path>, bytes: &[u8]) -> Result<()> {
        crate::cache::write_by_rename(path.as_ref(), bytes)
    }

    /// Whether the file at `path` holds a precompiled module, from its first bytes, read
    /// without the kernel reading ahead (which would make a precompiled file loaded next
    /// with [`Module::deserialize_file`](crate::Module::deserialize_file) take more memory,
    /// see there).
    pub fn is_precompiled_file(path: impl AsRef<std::path::Path>) -> Result<bool> {
        crate::precompiled::is_precompiled_file(path.as_ref())
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The native stack a thread that runs this engine's wasm should have: the most wasm may
    /// use (`Config::max_wasm_stack`) and 1 MiB more for the host functions and runtime calls
    /// it makes.
    pub fn thread_stack_size(&self) -> usize {
        self.inner.config.max_wasm_stack.saturating_add(1 << 20)
    }

    /// Whether two handles are the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.inner, &b.inner)
    }

    /// The engine-wide id of `ty` (registering it if new).
    pub(crate) fn type_id(&self, ty: &FuncType) -> u32 {
        let ty = ty.to_env();
        // Host functions are made at every instantiation: most types are known already, and
        // a read lock does not make other threads wait.
        if let Some(id) = self.types().func_id(&ty) {
            return id;
        }
        self.register_types(|types| types.register_func(ty))
    }

    /// The function type with engine-wide id `id`.
    pub(crate) fn func_type(&self, id: u32) -> FuncType {
        let types = self.types();
        let ty = types.func_type(id).expect("a function type id");
        FuncType::from_env(ty).expect("registered types convert")
    }

    /// Read access to the type registry.
    pub(crate) fn types(&self) -> std::sync::RwLockReadGuard<'_, TypeRegistry> {
        // A panic while holding the lock cannot leave the registry inconsistent: every
        // mutation is a push after all checks.
        self.inner.types.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers types with `register`, then writes their supertype displays.
    pub(crate) fn register_types<R>(&self, register: impl FnOnce(&mut TypeRegistry) -> R) -> R {
        let mut types = self.inner.types.write().unwrap_or_else(|e| e.into_inner());
        let result = register(&mut types);
        // SAFETY: the engine's registry, which every module holding the displays keeps alive
        // with them.
        unsafe { self.inner.type_displays.sync(&types) };
        result
    }

    /// The top of the hierarchy heap type `heap` belongs to (`func`, `extern`, `any`, `exn` or
    /// `cont`).
    pub(crate) fn heap_top(&self, heap: crate::HeapType) -> AbstractHeapType {
        match heap.to_env() {
            WasmHeapType::Abstract { ty, .. } => abstract_top(ty),
            WasmHeapType::Concrete(i) => {
                let types = self.types();
                i.engine()
                    .map_or(AbstractHeapType::Func, |id| types.get(id).top())
            }
        }
    }

    /// The ABI shape of `ty` for the compiler: each reference as the abstract top of its
    /// hierarchy (what matters for code generation is only the hierarchy).
    pub(crate) fn abi_func_type(&self, ty: &FuncType) -> wasmparser::FuncType {
        let conv = |t: &ValType| match *t {
            ValType::I32 => wasmparser::ValType::I32,
            ValType::I64 => wasmparser::ValType::I64,
            ValType::F32 => wasmparser::ValType::F32,
            ValType::F64 => wasmparser::ValType::F64,
            ValType::V128 => wasmparser::ValType::V128,
            ValType::Ref(r) => wasmparser::ValType::Ref(
                wasmparser::RefType::new(
                    true,
                    wasmparser::HeapType::Abstract {
                        shared: false,
                        ty: self.heap_top(r.heap_type()),
                    },
                )
                .expect("abstract reference types are representable"),
            ),
        };
        wasmparser::FuncType::new(ty.params().iter().map(conv), ty.results().iter().map(conv))
    }

    /// The wasm-to-host and array-to-wasm trampolines of host functions of type `ty` (id
    /// `id`), compiled once per type into one code mapping.
    pub(crate) fn host_stub(&self, ty: &FuncType, id: u32) -> Result<HostStubs> {
        let mut stubs = self.inner.host_stubs.lock().expect("stubs");
        if let Some((s, _)) = stubs.get(&id) {
            return Ok(*s);
        }
        let abi = self.abi_func_type(ty);
        let compiler = &self.inner.compiler;
        let mut text = compiler.wasm_to_host(&Default::default(), &abi)?;
        let array_call = text.append(&compiler.array_to_wasm(&Default::default(), &abi)?);
        let mut code = CodeMemory::new(&text.text)?;
        let funcs: Vec<FuncEntry> = text.funcs.iter().map(|&(s, l)| (s, l, None)).collect();
        let words = CodeTables::encode(
            text.text.len() as u32,
            &funcs,
            &text.traps,
            &[],
            &Default::default(),
            &[],
        );
        code.register(FrameInfo {
            module_name: None,
            tables: CodeTables::from_words(words)?,
        });
        let host_stubs = HostStubs {
            wasm_call: code.addr(0),
            array_call: code.addr(array_call),
        };
        stubs.insert(id, (host_stubs, code));
        Ok(host_stubs)
    }
}

/// The compiled entry points every host function of one type shares.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HostStubs {
    /// Wasm calling convention to the host callback.
    pub wasm_call: usize,
    /// Array calling convention to `wasm_call` (what a continuation of the function starts
    /// with).
    pub array_call: usize,
}
