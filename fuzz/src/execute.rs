//! Running one module in wasmfx under chosen settings and recording everything it did that a
//! reference can check: each exported function's results or trap, then the final values of
//! exported globals and the contents of exported memories.

use anyhow::Result;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::fmt;
use wasmfx::{
    Config, Engine, ExternType, FuncType, InstanceAllocationStrategy, Module, PoolingConfig, Store,
    Val, ValType,
};

/// Engine settings that must not change what a program computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    /// Pooling allocator instead of on-demand allocation.
    pub pooling: bool,
    /// Compile, serialize and load back, instead of running the freshly compiled module.
    pub precompiled: bool,
    /// Count fuel (with far more than any case uses).
    pub fuel: bool,
    /// Collect garbage at every allocation.
    pub gc_zeal: bool,
}

impl Settings {
    /// The settings a program is first run with.
    pub const BASELINE: Settings = Settings {
        pooling: false,
        precompiled: false,
        fuel: false,
        gc_zeal: false,
    };

    /// The other settings, chosen per case from `seed` so that every combination is covered.
    pub fn varied(seed: u64) -> Settings {
        Settings {
            pooling: seed & 1 != 0,
            precompiled: seed & 2 != 0,
            fuel: seed & 4 == 0,
            gc_zeal: seed & 8 != 0,
        }
    }
}

impl Settings {
    /// Fuel for a store when [`Settings::fuel`] is on: a safety net, never the reason a case
    /// stops (generated programs bound their own work).
    pub fn safety_fuel(self) -> Option<u64> {
        self.fuel.then_some(1 << 40)
    }
}

/// An engine configured with `settings` and the proposals the fuzzers generate.
pub fn engine(settings: Settings) -> Result<Engine> {
    let mut config = Config::new();
    config
        .wasm_multi_memory(true)
        .consume_fuel(settings.fuel)
        .gc_zeal(settings.gc_zeal)
        .gc_heap_size(64 << 20)
        .max_memory_size(64 << 20)
        .max_table_elements(100_000);
    if settings.pooling {
        let mut pool = PoolingConfig::new();
        pool.total_instances(16)
            .total_memories(16)
            .total_tables(16)
            .total_stacks(256)
            .max_memory_size(64 << 20)
            .table_elements(100_000);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config)
}

/// How many times the engines are handed out before they are made afresh.
const ENGINE_USES: usize = 1000;

/// Engines by settings, made afresh every [`ENGINE_USES`] uses: an engine keeps the types of
/// every module it compiled (`wasmfx_environ::TypeRegistry`), so one engine used for a whole
/// run of random modules grows by some 45 KB per module and slows down.
#[derive(Default)]
pub struct Engines {
    engines: HashMap<Settings, Engine>,
    uses: usize,
}

impl Engines {
    /// The engine for `settings`.
    pub fn get(&mut self, settings: Settings) -> Result<Engine> {
        self.uses += 1;
        if self.uses > ENGINE_USES {
            self.uses = 1;
            self.engines.clear();
        }
        if let Some(e) = self.engines.get(&settings) {
            return Ok(e.clone());
        }
        let e = engine(settings)?;
        self.engines.insert(settings, e.clone());
        Ok(e)
    }
}

/// A value as a reference engine reports it. References are compared by kind and nullness
/// only: their identity is not observable across engines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`, as its bits.
    F32(u32),
    /// An `f64`, as its bits.
    F64(u64),
    /// A `v128`.
    V128(u128),
    /// A null reference of the hierarchy named (`func`, `extern`, `any`, `exn`, `cont`).
    Null(&'static str),
    /// A non-null reference of the hierarchy named.
    NonNull(&'static str),
}

/// How a call (or the instantiation) ended when it did not return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// A trap, with the spec's message.
    Trap(String),
    /// An exception no handler caught.
    Exception,
    /// A suspension no handler caught.
    UnhandledSuspension,
    /// The stack limit was reached. Engines legitimately differ on where.
    StackExhausted,
    /// Any other error (out of fuel, resource limits): not comparable across engines.
    Other(String),
}

impl Stop {
    /// Whether what the program does after this may legitimately differ between engines or
    /// settings (the point where the stack runs out depends on frame sizes).
    pub fn ends_comparison(&self) -> bool {
        matches!(self, Stop::StackExhausted | Stop::Other(_))
    }
}

/// The result of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// The function returned these values.
    Returned(Vec<Value>),
    /// The function did not return.
    Stopped(Stop),
}

/// One call the fuzzer makes: an exported function and its arguments.
#[derive(Clone, Debug)]
pub struct Call {
    /// The export's name.
    pub export: String,
    /// The arguments.
    pub args: Vec<Value>,
}

/// Everything one run of a module did that can be compared.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Why instantiation failed, if it did.
    pub instantiation: Option<Stop>,
    /// Each call's outcome, in order; cut after the first that [ends the
    /// comparison](Stop::ends_comparison).
    pub calls: Vec<CallOutcome>,
    /// Exported globals at the end: name and value.
    pub globals: Vec<(String, Value)>,
    /// Exported memories at the end.
    pub memories: Vec<MemoryState>,
}

/// An exported memory at the end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryState {
    /// Its export name.
    pub name: String,
    /// Whether it is a 64-bit memory.
    pub is_64: bool,
    /// Whether it is shared.
    pub shared: bool,
    /// Its size in bytes.
    pub len: usize,
    /// A hash of its contents ([`hash`]).
    pub hash: u64,
}

impl Outcome {
    /// Whether the run ended at a point engines may legitimately disagree on, so that the
    /// final state is not comparable.
    pub fn ended_early(&self) -> bool {
        self.instantiation
            .as_ref()
            .is_some_and(Stop::ends_comparison)
            || self.calls.iter().any(|c| match c {
                CallOutcome::Stopped(s) => s.ends_comparison(),
                CallOutcome::Returned(_) => false,
            })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "(i32.const {v})"),
            Value::I64(v) => write!(f, "(i64.const {v})"),
            Value::F32(bits) => write!(f, "(f32.const {})", float_text(*bits as u64, 23, 8)),
            Value::F64(bits) => write!(f, "(f64.const {})", float_text(*bits, 52, 11)),
            Value::V128(v) => write!(f, "(v128.const i64x2 {} {})", *v as u64, (*v >> 64) as u64),
            Value::Null(h) => write!(f, "(ref.null {h})"),
            Value::NonNull(h) => write!(f, "(ref.{h})"),
        }
    }
}

/// The text-format spelling of a float given as bits, exact for every value: hexadecimal
/// significand and exponent for numbers, `nan:0x...` payloads for NaNs.
pub fn float_text(bits: u64, mantissa_bits: u32, exponent_bits: u32) -> String {
    let sign = if bits >> (mantissa_bits + exponent_bits) & 1 != 0 {
        "-"
    } else {
        ""
    };
    let exponent_mask = (1u64 << exponent_bits) - 1;
    let exponent = (bits >> mantissa_bits) & exponent_mask;
    let mantissa = bits & ((1u64 << mantissa_bits) - 1);
    let bias = (exponent_mask >> 1) as i64;
    // Hexadecimal digits of the significand, left-aligned in whole nibbles.
    let pad = (4 - mantissa_bits % 4) % 4;
    let digits = (mantissa_bits + pad) as usize / 4;
    let fraction = format!("{:0digits$x}", mantissa << pad);
    if exponent == exponent_mask {
        if mantissa == 0 {
            format!("{sign}inf")
        } else {
            format!("{sign}nan:0x{mantissa:x}")
        }
    } else if exponent == 0 {
        format!("{sign}0x0.{fraction}p{}", 1 - bias)
    } else {
        format!("{sign}0x1.{fraction}p{}", exponent as i64 - bias)
    }
}

/// The hierarchy of a reference value, as the text format names its top.
fn hierarchy(val: &Val) -> Option<&'static str> {
    Some(match val {
        Val::FuncRef(_) => "func",
        Val::ExternRef(_) => "extern",
        Val::AnyRef(_) => "any",
        Val::ExnRef(_) => "exn",
        Val::ContRef(_) => "cont",
        _ => return None,
    })
}

fn value_of(val: &Val) -> Value {
    match val {
        Val::I32(v) => Value::I32(*v),
        Val::I64(v) => Value::I64(*v),
        Val::F32(v) => Value::F32(*v),
        Val::F64(v) => Value::F64(*v),
        Val::V128(v) => Value::V128(v.as_u128()),
        Val::FuncRef(None)
        | Val::ExternRef(None)
        | Val::AnyRef(None)
        | Val::ExnRef(None)
        | Val::ContRef(None) => Value::Null(hierarchy(val).expect("a reference")),
        _ => Value::NonNull(hierarchy(val).expect("a reference")),
    }
}

fn val_of(engine: &Engine, value: &Value, ty: ValType) -> Val {
    match (value, ty) {
        (Value::I32(v), _) => Val::I32(*v),
        (Value::I64(v), _) => Val::I64(*v),
        (Value::F32(v), _) => Val::F32(*v),
        (Value::F64(v), _) => Val::F64(*v),
        (Value::V128(v), _) => Val::V128((*v).into()),
        (_, ValType::Ref(r)) => Val::null_of(engine, r.heap_type()),
        (_, other) => panic!("no reference argument for {other:?}"),
    }
}

/// Interesting and random values of type `ty`, or `None` when the fuzzer cannot make one (a
/// non-nullable reference).
fn argument(engine: &Engine, rng: &mut SmallRng, ty: ValType) -> Option<Value> {
    let special = rng.gen_ratio(1, 3);
    Some(match ty {
        ValType::I32 => Value::I32(if special {
            [0, 1, -1, i32::MIN, i32::MAX, 0x10000][rng.gen_range(0..6)]
        } else {
            rng.gen_range(-100..100)
        }),
        ValType::I64 => Value::I64(if special {
            [0, 1, -1, i64::MIN, i64::MAX, 1 << 32][rng.gen_range(0..6)]
        } else {
            rng.gen_range(-100..100)
        }),
        ValType::F32 => Value::F32(if special {
            [0, 0x8000_0000, 0x7fc0_0000, 0x7f80_0000, 0x3f80_0000, 1][rng.gen_range(0..6)]
        } else {
            (rng.gen_range(-1000i32..1000) as f32 / 8.0).to_bits()
        }),
        ValType::F64 => Value::F64(if special {
            [0, 1 << 63, 0x7ff8 << 48, 0x7ff << 52, 0x3ff << 52, 1][rng.gen_range(0..6)]
        } else {
            (rng.gen_range(-1000i32..1000) as f64 / 8.0).to_bits()
        }),
        ValType::V128 => Value::V128(rng.gen()),
        ValType::Ref(r) if r.is_nullable() => {
            Value::Null(hierarchy(&Val::null_of(engine, r.heap_type())).expect("a reference"))
        }
        ValType::Ref(_) => return None,
    })
}

/// The calls to make on `module`: every exported function whose arguments the fuzzer can
/// make, in export order, each once or twice, with arguments drawn from `seed`.
pub fn plan_calls(module: &Module, seed: u64) -> Vec<Call> {
    let engine = module.engine();
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut calls = Vec::new();
    for export in module.exports() {
        let ExternType::Func(ty) = export.ty() else {
            continue;
        };
        for _ in 0..rng.gen_range(1..=2) {
            let args: Option<Vec<Value>> = ty
                .params()
                .iter()
                .map(|t| argument(engine, &mut rng, *t))
                .collect();
            let Some(args) = args else { break };
            calls.push(Call {
                export: export.name().to_string(),
                args,
            });
        }
    }
    calls
}

/// How an error from instantiating or calling maps onto a [`Stop`].
pub fn stop_of(err: &anyhow::Error) -> Stop {
    if let Some(trap) = wasmfx::trap_of(err) {
        return match trap {
            wasmfx::Trap::StackOverflow => Stop::StackExhausted,
            wasmfx::Trap::OutOfFuel | wasmfx::Trap::GcHeapExhausted => {
                Stop::Other(trap.message().to_string())
            }
            other => Stop::Trap(other.message().to_string()),
        };
    }
    if err.downcast_ref::<wasmfx::ThrownException>().is_some() {
        return Stop::Exception;
    }
    if err.downcast_ref::<wasmfx::UnhandledTag>().is_some() {
        return Stop::UnhandledSuspension;
    }
    Stop::Other(format!("{err:#}"))
}

/// The module as `settings` load it: compiled, or compiled, serialized and loaded back.
pub fn load(engine: &Engine, settings: Settings, wasm: &[u8]) -> Result<Module> {
    if settings.precompiled {
        let bytes = engine.precompile_module(wasm)?;
        // SAFETY: the bytes were just produced by this engine.
        unsafe { Module::deserialize(engine, bytes) }
    } else {
        Module::new(engine, wasm)
    }
}

/// Instantiates `module` (which must have no imports) and makes `calls`, recording what
/// happened, with `fuel` for the store (the engine must count fuel when it is given). Stops
/// making calls after one that ends the comparison.
pub fn run(module: &Module, fuel: Option<u64>, calls: &[Call]) -> Outcome {
    let engine = module.engine().clone();
    let mut store = Store::new(&engine, ());
    if let Some(fuel) = fuel {
        store.set_fuel(fuel).expect("fuel is enabled");
    }
    let mut outcome = Outcome::default();
    let instance = match wasmfx::Instance::new(&mut store, module, &[]) {
        Ok(i) => i,
        Err(e) => {
            outcome.instantiation = Some(stop_of(&e));
            return outcome;
        }
    };
    for call in calls {
        let func = instance
            .get_func(&mut store, &call.export)
            .expect("the plan names exported functions");
        let ty: FuncType = func.ty(&store);
        let args: Vec<Val> = call
            .args
            .iter()
            .zip(ty.params())
            .map(|(a, t)| val_of(&engine, a, *t))
            .collect();
        let mut results: Vec<Val> = ty.results().iter().map(|_| Val::I32(0)).collect();
        let result = match func.call(&mut store, &args, &mut results) {
            Ok(()) => CallOutcome::Returned(results.iter().map(value_of).collect()),
            Err(e) => CallOutcome::Stopped(stop_of(&e)),
        };
        let stop = matches!(&result, CallOutcome::Stopped(s) if s.ends_comparison());
        outcome.calls.push(result);
        if stop {
            return outcome;
        }
    }
    for (name, export) in instance.exports(&mut store) {
        let (ty, len, hash) = match export {
            wasmfx::Extern::Global(g) => {
                let v = g.get(&mut store);
                outcome.globals.push((name.clone(), value_of(&v)));
                continue;
            }
            wasmfx::Extern::Memory(m) => {
                let data = m.data(&store);
                (m.ty(&store), data.len(), hash(data))
            }
            wasmfx::Extern::SharedMemory(m) => {
                // Only this thread uses the memory, so its cells read as plain bytes.
                let data: Vec<u8> = m.data().iter().map(read_unshared).collect();
                (m.ty(), data.len(), hash(&data))
            }
            _ => continue,
        };
        outcome.memories.push(MemoryState {
            name,
            is_64: ty.is_64(),
            shared: ty.is_shared(),
            len,
            hash,
        });
    }
    outcome
}

/// The byte in `cell`, which no other thread writes.
fn read_unshared(cell: &std::cell::UnsafeCell<u8>) -> u8 {
    // SAFETY: the fuzzer runs each module on one thread, so nothing writes the cell now.
    unsafe { *cell.get() }
}

/// FNV-1a over 8-byte words: enough to tell two memories apart.
fn hash(data: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        h = (h ^ u64::from_le_bytes(w.try_into().expect("8 bytes"))).wrapping_mul(0x100_0000_01b3);
    }
    for b in words.remainder() {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_spelled_exactly() {
        assert_eq!(float_text(1.5f32.to_bits() as u64, 23, 8), "0x1.800000p0");
        assert_eq!(
            float_text((-2.0f64).to_bits(), 52, 11),
            "-0x1.0000000000000p1"
        );
        assert_eq!(float_text(0x7fc0_0000, 23, 8), "nan:0x400000");
        assert_eq!(float_text(0xff80_0000, 23, 8), "-inf");
        assert_eq!(float_text(1, 23, 8), "0x0.000002p-126");
        for bits in [
            1u64,
            0x3ff << 52,
            0x7fef_ffff_ffff_ffff,
            0x8000_0000_0000_0001,
        ] {
            let text = float_text(bits, 52, 11);
            let parsed = wat::parse_str(format!("(module (func (result f64) (f64.const {text})))"));
            assert!(parsed.is_ok(), "{text}");
        }
    }
}
