//! The `-W` (WebAssembly), `-O` (optimisation) and `-C` (code generation) options. One table,
//! [`OPTIONS`], defines every option once: its flag, name, help text and what its value is.
//! Parsing, the list of known names in error messages and the `--help` texts all come from
//! it. `run`, `compile` and `wast` share `-W` and `-O` through [`EngineOptions`]; `-C` only
//! means something to `run`, which declares it with [`group_summary`] and [`group_details`].

use anyhow::{anyhow, bail, Context, Result};
use std::time::Duration;
use wasmfx::{
    Config, Engine, InstanceAllocationStrategy, PoolingConfig, ProfilingStrategy,
    StoreLimitsBuilder,
};

/// The flag an option is given with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionGroup {
    /// `-W`: WebAssembly proposals, engine limits and run limits.
    Wasm,
    /// `-O`: the pooling allocator and its limits.
    Optimize,
    /// `-C`: code generation (the compilation cache).
    Codegen,
    /// `-S`: what WASI gives a run (wasi-threads).
    Wasi,
}

impl OptionGroup {
    /// The flag's letter.
    fn flag(self) -> char {
        match self {
            OptionGroup::Wasm => 'W',
            OptionGroup::Optimize => 'O',
            OptionGroup::Codegen => 'C',
            OptionGroup::Wasi => 'S',
        }
    }

    /// What the flag's options are about, for help texts.
    fn title(self) -> &'static str {
        match self {
            OptionGroup::Wasm => "WebAssembly options",
            OptionGroup::Optimize => "Optimisation options",
            OptionGroup::Codegen => "Code generation options",
            OptionGroup::Wasi => "WASI options",
        }
    }
}

/// A `Config` method switching a proposal on or off.
type FeatureSetter = fn(&mut Config, bool) -> &mut Config;
/// A `Config` method setting a size in bytes.
type ConfigSizeSetter = fn(&mut Config, usize) -> &mut Config;
/// A `PoolingConfig` method setting one limit of the pooling allocator.
type PoolingSetter = fn(&mut PoolingConfig, usize) -> &mut PoolingConfig;
/// A `StoreLimitsBuilder` method setting one limit of the store a run uses.
type StoreLimitSetter = fn(StoreLimitsBuilder, usize) -> StoreLimitsBuilder;

/// Whether a number counts things or bytes (both may end in k, M or G).
#[derive(Clone, Copy, Debug)]
enum Amount {
    /// A count, written `=N`.
    Count,
    /// A size, written `=BYTES`.
    Bytes,
}

/// What an option's value is and what it changes.
#[derive(Clone, Copy, Debug)]
enum Setting {
    /// A proposal the engine supports, switched on (`NAME`, `NAME=y`) or off (`NAME=n`).
    Feature(FeatureSetter),
    /// A size in bytes in the engine configuration.
    ConfigBytes(ConfigSizeSetter),
    /// The fuel a run starts with (`fuel=N`); turns fuel checks on in the code.
    Fuel,
    /// The wall-clock budget of a run (`timeout=DURATION`); turns epoch checks on in the code.
    Timeout,
    /// Whether the pooling allocator is used.
    PoolingAllocator,
    /// A limit of the pooling allocator (which it needs to be on).
    PoolingLimit(PoolingSetter, Amount),
    /// Whether compiled code is cached.
    Cache,
    /// A limit of the store a run uses (its resource limiter).
    StoreLimit(StoreLimitSetter, Amount),
    /// Whether growth the store's limits refuse traps instead of returning -1.
    TrapOnGrowFailure,
    /// Whether the program may start threads (wasi-threads).
    WasiThreads,
}

impl Setting {
    /// How the value is written after the name, for help texts.
    fn syntax(self) -> &'static str {
        match self {
            Setting::Feature(_)
            | Setting::PoolingAllocator
            | Setting::Cache
            | Setting::TrapOnGrowFailure
            | Setting::WasiThreads => "[=y|n]",
            Setting::ConfigBytes(_)
            | Setting::PoolingLimit(_, Amount::Bytes)
            | Setting::StoreLimit(_, Amount::Bytes) => "=BYTES",
            Setting::Fuel
            | Setting::PoolingLimit(_, Amount::Count)
            | Setting::StoreLimit(_, Amount::Count) => "=N",
            Setting::Timeout => "=DURATION",
        }
    }
}

/// One option: the flag it goes after, its name, its value and what it does.
#[derive(Debug)]
struct OptionDef {
    /// The flag.
    group: OptionGroup,
    /// The name, as in `-W NAME=VALUE`.
    name: &'static str,
    /// What the value is and what it changes.
    setting: Setting,
    /// One line for `--help`; for an unsupported feature, what it is (the error says "...
    /// is not supported yet").
    help: &'static str,
}

/// Shorthand for an entry of [`OPTIONS`].
const fn option(
    group: OptionGroup,
    name: &'static str,
    setting: Setting,
    help: &'static str,
) -> OptionDef {
    OptionDef {
        group,
        name,
        setting,
        help,
    }
}

/// Every `-W`, `-O` and `-C` option, in the order `--help` lists them. Names follow
/// wasmtime's where it has the option.
const OPTIONS: &[OptionDef] = {
    use Amount::{Bytes, Count};
    use OptionGroup::{Codegen, Optimize, Wasi, Wasm};
    use Setting::*;
    &[
        option(
            Wasm,
            "stack-switching",
            Feature(Config::wasm_stack_switching),
            "typed continuations (cont.new, suspend, resume, switch); on by default",
        ),
        option(
            Wasm,
            "exceptions",
            Feature(Config::wasm_exceptions),
            "exception handling (tags, throw, try_table); on by default",
        ),
        option(
            Wasm,
            "function-references",
            Feature(Config::wasm_function_references),
            "typed function references (call_ref, non-nullable references); on by default",
        ),
        option(
            Wasm,
            "gc",
            Feature(Config::wasm_gc),
            "garbage collection: struct, array and i31 types and instructions; on by default",
        ),
        option(
            Wasm,
            "tail-call",
            Feature(Config::wasm_tail_call),
            "tail calls (return_call*); on by default",
        ),
        option(
            Wasm,
            "extended-const",
            Feature(Config::wasm_extended_const),
            "extended constant expressions; on by default",
        ),
        option(
            Wasm,
            "multi-memory",
            Feature(Config::wasm_multi_memory),
            "several memories per module; off by default",
        ),
        option(
            Wasm,
            "simd",
            Feature(Config::wasm_simd),
            "128-bit SIMD (the v128 type); on by default",
        ),
        option(
            Wasm,
            "relaxed-simd",
            Feature(Config::wasm_relaxed_simd),
            "relaxed SIMD, deterministic; on by default",
        ),
        option(
            Wasm,
            "memory64",
            Feature(Config::wasm_memory64),
            "64-bit memories and tables; on by default",
        ),
        option(
            Wasm,
            "threads",
            Feature(Config::wasm_threads),
            "atomics, wait/notify and shared memories (within one store); on by default",
        ),
        option(
            Wasm,
            "max-wasm-stack",
            ConfigBytes(Config::max_wasm_stack),
            "the most stack wasm code may use on the main stack",
        ),
        option(
            Wasm,
            "gc-heap-size",
            ConfigBytes(Config::gc_heap_size),
            "the largest each store's GC heap may grow (1G by default)",
        ),
        option(
            Wasm,
            "continuation-stack-size",
            ConfigBytes(Config::continuation_stack_size),
            "the usable size of each continuation's stack (64k by default)",
        ),
        option(
            Wasm,
            "continuation-red-zone",
            ConfigBytes(Config::continuation_red_zone),
            "the part of a continuation's stack kept for runtime calls",
        ),
        option(
            Wasm,
            "fuel",
            Fuel,
            "stop a run after about N instructions (run and compile only)",
        ),
        option(
            Wasm,
            "timeout",
            Timeout,
            "stop a run after a wall-clock time such as 500ms, 2s or 1m (run and compile only)",
        ),
        option(
            Wasm,
            "max-memory-size",
            StoreLimit(StoreLimitsBuilder::memory_size, Bytes),
            "the largest a linear memory may grow; memory.grow past it returns -1 (run only)",
        ),
        option(
            Wasm,
            "max-table-elements",
            StoreLimit(StoreLimitsBuilder::table_elements, Count),
            "the most elements a table may have; table.grow past it returns -1 (run only)",
        ),
        option(
            Wasm,
            "max-instances",
            StoreLimit(StoreLimitsBuilder::instances, Count),
            "how many instances the store may hold (run only)",
        ),
        option(
            Wasm,
            "max-memories",
            StoreLimit(StoreLimitsBuilder::memories, Count),
            "how many memories the store may hold (run only)",
        ),
        option(
            Wasm,
            "max-tables",
            StoreLimit(StoreLimitsBuilder::tables, Count),
            "how many tables the store may hold (run only)",
        ),
        option(
            Wasm,
            "max-continuations",
            StoreLimit(StoreLimitsBuilder::continuations, Count),
            "how many continuations may hold a stack at once; cont.new past it traps (run only)",
        ),
        option(
            Wasm,
            "max-continuation-memory",
            StoreLimit(StoreLimitsBuilder::continuation_memory, Bytes),
            "how much memory continuation stacks may take together; cont.new past it traps \
             (run only)",
        ),
        option(
            Wasm,
            "trap-on-grow-failure",
            TrapOnGrowFailure,
            "make memory.grow and table.grow trap when they fail instead of returning -1 \
             (run only)",
        ),
        option(
            Optimize,
            "inlining",
            Feature(Config::compiler_inlining),
            "translate small functions in place of direct calls to them (backtraces still \
             list them); on by default",
        ),
        option(
            Optimize,
            "pooling-allocator",
            PoolingAllocator,
            "take instances' memories and tables, and continuation stacks, from regions \
             reserved up front; the limits below need it",
        ),
        option(
            Optimize,
            "pooling-total-core-instances",
            PoolingLimit(PoolingConfig::total_instances, Count),
            "how many instances may exist at once",
        ),
        option(
            Optimize,
            "pooling-total-memories",
            PoolingLimit(PoolingConfig::total_memories, Count),
            "how many memories may exist at once",
        ),
        option(
            Optimize,
            "pooling-total-tables",
            PoolingLimit(PoolingConfig::total_tables, Count),
            "how many tables may exist at once",
        ),
        option(
            Optimize,
            "pooling-total-stacks",
            PoolingLimit(PoolingConfig::total_stacks, Count),
            "how many continuation stacks may be in use at once",
        ),
        option(
            Optimize,
            "pooling-max-memory-size",
            PoolingLimit(PoolingConfig::max_memory_size, Bytes),
            "the largest a pooled memory may be",
        ),
        option(
            Optimize,
            "pooling-table-elements",
            PoolingLimit(PoolingConfig::table_elements, Count),
            "the most elements a pooled table may have",
        ),
        option(
            Optimize,
            "pooling-continuation-stack-size",
            PoolingLimit(PoolingConfig::continuation_stack_size, Bytes),
            "the usable size of each pooled continuation stack",
        ),
        option(
            Optimize,
            "pooling-memory-keep-resident",
            PoolingLimit(PoolingConfig::memory_keep_resident, Bytes),
            "how much of a freed memory's slot stays resident",
        ),
        option(
            Optimize,
            "pooling-table-keep-resident",
            PoolingLimit(PoolingConfig::table_keep_resident, Bytes),
            "how much of a freed table's slot stays resident",
        ),
        option(
            Optimize,
            "pooling-stack-keep-resident",
            PoolingLimit(PoolingConfig::stack_keep_resident, Bytes),
            "how much of a freed continuation stack stays resident",
        ),
        option(
            Codegen,
            "cache",
            Cache,
            "keep compiled code in $XDG_CACHE_HOME/wasmfx (by default ~/.cache/wasmfx) and \
             load modules compiled before from there; on by default",
        ),
        option(
            Wasi,
            "threads",
            WasiThreads,
            "wasi-threads: let the program start threads (`wasi::thread-spawn`, pthreads of \
             wasm32-wasip1-threads builds), each with its own instance over the shared memory; \
             off by default",
        ),
    ]
};

/// The options of `group`, in table order.
fn options_of(group: OptionGroup) -> impl Iterator<Item = &'static OptionDef> {
    OPTIONS.iter().filter(move |option| option.group == group)
}

/// The short help of a flag (`-h`): the names of its options.
pub fn group_summary(group: OptionGroup) -> String {
    let names: Vec<&str> = options_of(group).map(|option| option.name).collect();
    format!(
        "{}, NAME[=VALUE], comma-separated or repeated (details with --help): {}",
        group.title(),
        names.join(", ")
    )
}

/// The long help of a flag (`--help`): one line per option with its value and description.
pub fn group_details(group: OptionGroup) -> String {
    let usage: Vec<String> = options_of(group)
        .map(|option| format!("{}{}", option.name, option.setting.syntax()))
        .collect();
    let width = usage.iter().map(String::len).max().unwrap_or(0);
    let mut text = format!(
        "{}, NAME[=VALUE], comma-separated or repeated (e.g. `-{} a,b=n -{} c=1`). Switches \
         take y or n (no value means y); sizes and counts may end in k, M or G.",
        group.title(),
        group.flag(),
        group.flag()
    );
    for (option, usage) in options_of(group).zip(&usage) {
        text.push_str(&format!("\n  {usage:width$}  {}", option.help));
    }
    text
}

/// The `-W` and `-O` flags, shared by the subcommands that create an engine.
#[derive(clap::Args, Debug)]
pub struct EngineOptions {
    #[arg(
        short = 'W',
        value_name = "OPT[=VAL],...",
        help = group_summary(OptionGroup::Wasm),
        long_help = group_details(OptionGroup::Wasm)
    )]
    wasm: Vec<String>,

    #[arg(
        short = 'O',
        value_name = "OPT[=VAL],...",
        help = group_summary(OptionGroup::Optimize),
        long_help = group_details(OptionGroup::Optimize)
    )]
    optimize: Vec<String>,
}

impl EngineOptions {
    /// Applies the `-W` and `-O` options to `config`, returning the run limits they set.
    pub fn configure(&self, config: &mut Config) -> Result<RunSettings> {
        let settings = apply(
            config,
            &[
                (OptionGroup::Wasm, &self.wasm),
                (OptionGroup::Optimize, &self.optimize),
            ],
        )?;
        Ok(settings.run)
    }

    /// The engine these options, the `-C` arguments `codegen` and `--profile` describe, with
    /// the run settings `-W` and the `-S` arguments `wasi` give. The compilation cache is on
    /// unless `-C cache=n`.
    pub fn engine(
        &self,
        codegen: &[String],
        wasi: &[String],
        profile: Option<&str>,
    ) -> Result<(Engine, RunSettings)> {
        let mut config = Config::new();
        match profile {
            None => {}
            Some("perfmap") => {
                config.profiler(ProfilingStrategy::PerfMap);
            }
            Some(other) => bail!("unknown profiling strategy `{other}`; known: perfmap"),
        }
        let settings = apply(
            &mut config,
            &[
                (OptionGroup::Wasm, &self.wasm),
                (OptionGroup::Optimize, &self.optimize),
                (OptionGroup::Codegen, codegen),
                (OptionGroup::Wasi, wasi),
            ],
        )?;
        if settings.cache {
            config.cache_directory(Config::default_cache_directory());
        }
        let engine = Engine::new(&config).context("failed to create the engine")?;
        Ok((engine, settings.run))
    }
}

/// What `-W` and `-S` set for a run beside the engine configuration: its limits and what
/// WASI gives it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunSettings {
    /// Fuel for the store (`-W fuel=N`).
    pub fuel: Option<u64>,
    /// Wall-clock budget (`-W timeout=DURATION`).
    pub timeout: Option<Duration>,
    /// Limits of the store (`-W max-…`, `-W trap-on-grow-failure`), if any was given.
    pub store: Option<StoreLimitsBuilder>,
    /// Whether the program may start threads (`-S threads`).
    pub wasi_threads: bool,
}

impl RunSettings {
    /// Fails if these limits include what `command` (which runs no program) cannot apply:
    /// store limits always, fuel and timeout unless `code_checks_apply` (`compile` puts their
    /// checks in the code it writes).
    pub fn refuse_for(&self, command: &str, code_checks_apply: bool) -> Result<()> {
        if self.store.is_some() {
            bail!(
                "`-W max-…` and `-W trap-on-grow-failure` limit the store of a run: they are for \
                 `wasmfx run`, not `wasmfx {command}`"
            );
        }
        if !code_checks_apply && (self.fuel.is_some() || self.timeout.is_some()) {
            bail!("`-W fuel` and `-W timeout` are for `wasmfx run` and `wasmfx compile` only");
        }
        Ok(())
    }
}

/// What the options describe beyond the engine configuration they change directly.
#[derive(Debug)]
struct Settings {
    /// The run settings.
    run: RunSettings,
    /// Whether compiled code is cached (`-C cache`).
    cache: bool,
}

/// Applies the arguments of each flag to `config`, option by option, in order.
fn apply(config: &mut Config, arguments: &[(OptionGroup, &[String])]) -> Result<Settings> {
    let mut settings = Settings {
        run: RunSettings::default(),
        cache: true,
    };
    let mut pooling = PoolingConfig::new();
    let mut pooling_enabled = false;
    let mut pooling_limit_given = None;
    for (group, arguments) in arguments {
        for (name, value) in arguments.iter().flat_map(|argument| items(argument)) {
            let option = find_option(*group, name)?;
            match option.setting {
                Setting::Feature(setter) => {
                    setter(config, parse_bool(name, value)?);
                }
                Setting::ConfigBytes(setter) => {
                    setter(config, parse_amount(name, value)?);
                }
                Setting::Fuel => {
                    config.consume_fuel(true);
                    settings.run.fuel = Some(parse_amount(name, value)? as u64);
                }
                Setting::Timeout => {
                    config.epoch_interruption(true);
                    settings.run.timeout = Some(parse_duration(name, value)?);
                }
                Setting::PoolingAllocator => pooling_enabled = parse_bool(name, value)?,
                Setting::PoolingLimit(setter, _) => {
                    setter(&mut pooling, parse_amount(name, value)?);
                    pooling_limit_given = Some(option.name);
                }
                Setting::Cache => settings.cache = parse_bool(name, value)?,
                Setting::StoreLimit(setter, _) => {
                    let limits = settings.run.store.unwrap_or_default();
                    settings.run.store = Some(setter(limits, parse_amount(name, value)?));
                }
                Setting::TrapOnGrowFailure => {
                    let limits = settings.run.store.unwrap_or_default();
                    let trap = parse_bool(name, value)?;
                    settings.run.store = Some(limits.trap_on_grow_failure(trap));
                }
                Setting::WasiThreads => settings.run.wasi_threads = parse_bool(name, value)?,
            }
        }
    }
    if pooling_enabled {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    } else if let Some(name) = pooling_limit_given {
        bail!("`-O {name}` needs `-O pooling-allocator`");
    }
    Ok(settings)
}

/// The option of `group` named `name`, or an error listing the known ones.
fn find_option(group: OptionGroup, name: &str) -> Result<&'static OptionDef> {
    options_of(group)
        .find(|option| option.name == name)
        .ok_or_else(|| {
            let known: Vec<&str> = options_of(group).map(|option| option.name).collect();
            anyhow!(
                "unknown `-{}` option `{name}`; known options: {}",
                group.flag(),
                known.join(", ")
            )
        })
}

/// The items of one option argument: comma-separated `NAME[=VALUE]`s, trimmed, empty ones
/// skipped.
fn items(group: &str) -> impl Iterator<Item = (&str, Option<&str>)> {
    group
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| match item.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (item, None),
        })
}

/// The value of a numeric option (a count or a byte size), which may end in k, M or G.
fn parse_amount(name: &str, value: Option<&str>) -> Result<usize> {
    let value = value.ok_or_else(|| anyhow!("`{name}` needs a number"))?;
    let lower = value.to_ascii_lowercase();
    let digits_end = lower
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(lower.len());
    let (digits, suffix) = lower.split_at(digits_end);
    let unit: usize = match suffix {
        "" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => bail!("invalid `{name}` value `{value}`: unknown unit `{suffix}`"),
    };
    digits
        .replace('_', "")
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .ok_or_else(|| anyhow!("invalid `{name}` value `{value}`: expected a number"))
}

/// A duration: a number with a unit (`ns`, `us`, `ms`, `s`, `m`, `h`); a bare number is in
/// seconds.
fn parse_duration(name: &str, value: Option<&str>) -> Result<Duration> {
    let value = value.ok_or_else(|| anyhow!("`{name}` needs a duration, such as 2s"))?;
    let split = value
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| anyhow!("invalid `{name}` value `{value}`: expected a duration such as 2s"))?;
    let seconds = match unit.trim() {
        "ns" => 1e-9,
        "us" => 1e-6,
        "ms" => 1e-3,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => bail!("invalid `{name}` value `{value}`: unknown unit `{other}`"),
    };
    Duration::try_from_secs_f64(number * seconds)
        .map_err(|_| anyhow!("invalid `{name}` value `{value}`: out of range"))
}

/// The value of a switch: absent means true.
fn parse_bool(name: &str, value: Option<&str>) -> Result<bool> {
    match value {
        None | Some("y") | Some("yes") | Some("true") => Ok(true),
        Some("n") | Some("no") | Some("false") => Ok(false),
        Some(other) => {
            bail!("invalid value `{other}` for `{name}`: expected y, n, true or false")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options with these `-W` and `-O` arguments.
    fn engine_options(wasm: &[&str], optimize: &[&str]) -> EngineOptions {
        EngineOptions {
            wasm: wasm.iter().map(|s| s.to_string()).collect(),
            optimize: optimize.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The configuration and run limits from these `-W` and `-O` arguments.
    fn configured(wasm: &[&str], optimize: &[&str]) -> Result<(String, RunSettings)> {
        let mut config = Config::new();
        let limits = engine_options(wasm, optimize).configure(&mut config)?;
        Ok((format!("{config:?}"), limits))
    }

    #[test]
    fn names_are_unique_per_flag() {
        for (i, a) in OPTIONS.iter().enumerate() {
            for b in &OPTIONS[i + 1..] {
                assert!(a.group != b.group || a.name != b.name, "{a:?}");
            }
        }
    }

    #[test]
    fn run_limits() {
        let (debug, limits) = configured(&["fuel=1000,timeout=250ms"], &[]).unwrap();
        assert_eq!(limits.fuel, Some(1000));
        assert_eq!(limits.timeout, Some(Duration::from_millis(250)));
        assert!(debug.contains("consume_fuel: true"), "{debug}");
        assert!(debug.contains("epoch_interruption: true"), "{debug}");
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("t", Some("500ms")).unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_duration("t", Some("2")).unwrap(),
            Duration::from_secs(2)
        );
        assert_eq!(
            parse_duration("t", Some("1.5s")).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            parse_duration("t", Some("1m")).unwrap(),
            Duration::from_secs(60)
        );
        assert!(parse_duration("t", Some("3 weeks")).is_err());
        assert!(parse_duration("t", None).is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("x", Some("4096")).unwrap(), 4096);
        assert_eq!(parse_amount("x", Some("64k")).unwrap(), 65536);
        assert_eq!(parse_amount("x", Some("2MiB")).unwrap(), 2 << 20);
        assert_eq!(parse_amount("x", Some("1G")).unwrap(), 1 << 30);
        assert!(parse_amount("x", Some("12q")).is_err());
        assert!(parse_amount("x", Some("k")).is_err());
        assert!(parse_amount("x", None).is_err());
    }

    #[test]
    fn bool_values() {
        assert!(parse_bool("gc", None).unwrap());
        assert!(parse_bool("gc", Some("y")).unwrap());
        assert!(!parse_bool("gc", Some("false")).unwrap());
        assert!(parse_bool("gc", Some("maybe")).is_err());
    }

    #[test]
    fn wasm_options() {
        let (debug, _) = configured(
            &[
                "gc=n, tail-call=true",
                "max-wasm-stack=1048576",
                "continuation-stack-size=8192",
            ],
            &[],
        )
        .unwrap();
        assert!(debug.contains("continuation_stack_size: 8192"), "{debug}");
        assert!(configured(&["bogus"], &[]).is_err());
        assert!(configured(&["max-wasm-stack"], &[]).is_err());
        assert!(configured(&["max-wasm-stack=lots"], &[]).is_err());
        assert!(configured(&["continuation-stack-size=-1"], &[]).is_err());
    }

    #[test]
    fn unknown_options_list_the_known_ones() {
        let err = configured(&["bogus"], &[]).unwrap_err().to_string();
        assert!(err.starts_with("unknown `-W` option `bogus`"), "{err}");
        for option in options_of(OptionGroup::Wasm) {
            assert!(err.contains(option.name), "{err}");
        }
        assert!(!err.contains("pooling"), "{err}");
    }

    #[test]
    fn help_lists_every_option() {
        for group in [
            OptionGroup::Wasm,
            OptionGroup::Optimize,
            OptionGroup::Codegen,
            OptionGroup::Wasi,
        ] {
            let (summary, details) = (group_summary(group), group_details(group));
            for option in options_of(group) {
                assert!(summary.contains(option.name), "{summary}");
                assert!(details.contains(option.help), "{details}");
            }
        }
    }

    #[test]
    fn optimize_options() {
        let (debug, _) = configured(
            &[],
            &[
                "pooling-allocator,pooling-total-tables=7",
                "pooling-total-stacks=9,pooling-continuation-stack-size=128k",
            ],
        )
        .unwrap();
        assert!(debug.contains("total_tables: 7"), "{debug}");
        assert!(debug.contains("total_stacks: 9"), "{debug}");
        assert!(debug.contains("stack_size: Some(131072)"), "{debug}");
        assert!(configured(&[], &["pooling-table-elements=10"]).is_err());
        assert!(configured(&[], &["bogus"]).is_err());
    }
}
