//! Engine configuration: which proposals are enabled and the runtime's limits.

use wasmfx_environ::wasmparser::WasmFeatures;

/// Settings for an [`Engine`](crate::Engine).
#[derive(Clone, Debug)]
pub struct Config {
    pub(crate) features: WasmFeatures,
    pub(crate) max_wasm_stack: usize,
    pub(crate) max_memory_size: usize,
    pub(crate) gc_heap_size: usize,
    pub(crate) gc_zeal: bool,
    pub(crate) max_table_elements: u64,
    pub(crate) continuation_stack_size: usize,
    pub(crate) continuation_red_zone: usize,
    pub(crate) allocation_strategy: crate::InstanceAllocationStrategy,
    pub(crate) tunables: wasmfx_environ::Tunables,
    pub(crate) profiler: ProfilingStrategy,
    pub(crate) cache_directory: Option<std::path::PathBuf>,
}

/// How compiled code is made visible to profilers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProfilingStrategy {
    /// Not at all.
    #[default]
    None,
    /// Linux perf's map file, `/tmp/perf-PID.map`, naming every compiled function.
    PerfMap,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

macro_rules! feature_setters {
    ($( $(#[$doc:meta])* $name:ident => $flag:ident, )*) => {
        $(
            $(#[$doc])*
            pub fn $name(&mut self, enable: bool) -> &mut Self {
                self.features.set(WasmFeatures::$flag, enable);
                self
            }
        )*
    };
}

impl Config {
    /// The default configuration: WebAssembly 2.0 (with SIMD), plus relaxed SIMD, 64-bit
    /// memories and tables, threads, extended constant expressions, typed function references, tail calls, exception handling, garbage
    /// collection and stack switching (typed continuations); see
    /// [`wasmfx_environ::default_features`].
    pub fn new() -> Config {
        Config {
            features: wasmfx_environ::default_features(),
            max_wasm_stack: 512 * 1024,
            max_memory_size: 4 << 30,
            gc_heap_size: 1 << 30,
            gc_zeal: false,
            max_table_elements: 10_000_000,
            continuation_stack_size: 64 * 1024,
            continuation_red_zone: 16 * 1024,
            allocation_strategy: crate::InstanceAllocationStrategy::OnDemand,
            tunables: wasmfx_environ::Tunables {
                inlining: true,
                ..wasmfx_environ::Tunables::default()
            },
            profiler: ProfilingStrategy::None,
            cache_directory: None,
        }
    }

    feature_setters! {
        /// 128-bit SIMD (the `v128` type and its instructions). On by default.
        wasm_simd => SIMD,
        /// Relaxed SIMD, with the same choice on every CPU (see `docs/simd.md`). On by
        /// default.
        wasm_relaxed_simd => RELAXED_SIMD,
        /// Several memories per module.
        wasm_multi_memory => MULTI_MEMORY,
        /// 64-bit memories and tables (memory64): accesses to a 64-bit memory are bounds-checked
        /// in generated code. On by default.
        wasm_memory64 => MEMORY64,
        /// Typed function references (`call_ref`, `br_on_null`, non-nullable references).
        wasm_function_references => FUNCTION_REFERENCES,
        /// Exception handling (tags, `throw`, `throw_ref`, `try_table`, `exnref`).
        wasm_exceptions => EXCEPTIONS,
        /// Garbage collection: recursive type groups, subtyping, struct, array and `i31`
        /// types and instructions, with a collector (see `docs/gc.md`). On by default.
        wasm_gc => GC,
        /// Tail calls (`return_call`, `return_call_indirect`, `return_call_ref`).
        wasm_tail_call => TAIL_CALL,
        /// Typed continuations (stack switching: `cont.new`, `cont.bind`, `suspend`, `resume`,
        /// `resume_throw`, `resume_throw_ref`, `switch`).
        wasm_stack_switching => STACK_SWITCHING,
        /// Threads: atomic instructions, `memory.atomic.wait`/`notify` and shared memories
        /// ([`SharedMemory`](crate::SharedMemory), used by stores on several threads at once).
        /// On by default.
        wasm_threads => THREADS,
        /// Extended constant expressions.
        wasm_extended_const => EXTENDED_CONST,
        /// Bulk memory operations.
        wasm_bulk_memory => BULK_MEMORY,
        /// Reference types.
        wasm_reference_types => REFERENCE_TYPES,
        /// Multiple results and block parameters.
        wasm_multi_value => MULTI_VALUE,
    }

    /// Validates modules against every WebAssembly 3.0 proposal plus stack switching (what the
    /// spec scripts expect); instructions the compiler does not support yet are then rejected
    /// when the module is compiled.
    pub fn all_proposals(&mut self, enable: bool) -> &mut Self {
        if enable {
            self.features = WasmFeatures::WASM3 | WasmFeatures::STACK_SWITCHING;
        } else {
            self.features = Config::new().features;
        }
        self
    }

    /// The usable size in bytes of each continuation's stack (a guard page comes on top).
    pub fn continuation_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.continuation_stack_size = bytes;
        self
    }

    /// Bytes of each continuation stack kept free below its limit for runtime calls made from
    /// it; wasm that reaches the limit traps "call stack exhausted".
    pub fn continuation_red_zone(&mut self, bytes: usize) -> &mut Self {
        self.continuation_red_zone = bytes;
        self
    }

    pub(crate) fn stack_config(&self) -> wasmfx_runtime::StackConfig {
        wasmfx_runtime::StackConfig {
            size: self.continuation_stack_size,
            red_zone: self.continuation_red_zone,
        }
    }

    /// The largest each store's GC heap may grow, in bytes (1 GiB by default): an allocation
    /// that does not fit traps "GC heap exhausted". The heap is reserved at a store's first
    /// GC allocation and committed as it is used.
    pub fn gc_heap_size(&mut self, bytes: usize) -> &mut Self {
        self.gc_heap_size = bytes;
        self
    }

    /// Makes every GC allocation collect first: a debugging aid (slow) under which a
    /// reference the collector does not see shows up at once.
    pub fn gc_zeal(&mut self, enable: bool) -> &mut Self {
        self.gc_zeal = enable;
        self
    }

    pub(crate) fn gc_config(&self) -> wasmfx_runtime::GcConfig {
        wasmfx_runtime::GcConfig {
            heap_size: self.gc_heap_size,
            zeal: self.gc_zeal,
        }
    }

    /// The most native stack wasm may use, in bytes, before it traps "call stack exhausted".
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// The largest size any linear memory may reach, in bytes.
    pub fn max_memory_size(&mut self, bytes: usize) -> &mut Self {
        self.max_memory_size = bytes;
        self
    }

    /// Where memories, tables and continuation stacks come from: allocated on demand (the
    /// default) or from the pooling allocator's regions, reserved when the engine is created.
    pub fn allocation_strategy(
        &mut self,
        strategy: crate::InstanceAllocationStrategy,
    ) -> &mut Self {
        self.allocation_strategy = strategy;
        self
    }

    /// Counts the instructions wasm executes against the store's fuel
    /// ([`Store::set_fuel`](crate::Store::set_fuel)); wasm traps "all fuel consumed by
    /// WebAssembly" when it runs out. A store starts with no fuel.
    pub fn consume_fuel(&mut self, enable: bool) -> &mut Self {
        self.tunables.consume_fuel = enable;
        self
    }

    /// Checks the engine's epoch ([`Engine::increment_epoch`](crate::Engine::increment_epoch))
    /// against the store's deadline ([`Store::set_epoch_deadline`](crate::Store::set_epoch_deadline))
    /// at every function entry and loop iteration; wasm traps "interrupt" once the deadline
    /// has passed. A store's deadline starts at the engine's current epoch (already passed).
    pub fn epoch_interruption(&mut self, enable: bool) -> &mut Self {
        self.tunables.epoch_interruption = enable;
        self
    }

    /// Translates the bodies of small functions in place of direct calls to them (on by
    /// default). Trap backtraces still list the inlined functions.
    pub fn compiler_inlining(&mut self, enable: bool) -> &mut Self {
        self.tunables.inlining = enable;
        self
    }

    /// Makes compiled code visible to a profiler (see [`ProfilingStrategy`]).
    pub fn profiler(&mut self, strategy: ProfilingStrategy) -> &mut Self {
        self.profiler = strategy;
        self
    }

    /// Keeps compiled code in `dir` (off with `None`, the default): compiling a module this
    /// build of wasmfx compiled before with the same code generation settings loads it from
    /// there instead, and newly compiled modules are added. Files are named by a SHA-256 hash of
    /// the build, the settings and the module's bytes; the cache never shrinks by itself.
    /// Its files are loaded as machine code: only trusted users may write to `dir`.
    pub fn cache_directory(&mut self, dir: Option<std::path::PathBuf>) -> &mut Self {
        self.cache_directory = dir;
        self
    }

    /// The conventional cache directory: `$XDG_CACHE_HOME/wasmfx`, else `$HOME/.cache/wasmfx`
    /// (what `wasmfx run` uses unless given `-C cache=n`).
    pub fn default_cache_directory() -> Option<std::path::PathBuf> {
        crate::cache::default_directory()
    }

    /// The largest number of elements any table may reach.
    pub fn max_table_elements(&mut self, elements: u64) -> &mut Self {
        self.max_table_elements = elements;
        self
    }
}
