//! The `-W` (WebAssembly) and `-O` (optimisation) options shared by the subcommands that
//! create an engine.

use anyhow::{anyhow, bail, Context, Result};
use std::time::Duration;
use wasmfx::{Config, Engine, InstanceAllocationStrategy, PoolingConfig, ProfilingStrategy};

/// A setter of one pooling allocator limit.
type PoolingSetter = fn(&mut PoolingConfig, usize) -> &mut PoolingConfig;

/// The `-O` limits of the pooling allocator, by name (as wasmtime names them where it has
/// them).
const POOLING_LIMITS: &[(&str, PoolingSetter)] = &[
    (
        "pooling-total-core-instances",
        PoolingConfig::total_instances,
    ),
    ("pooling-total-memories", PoolingConfig::total_memories),
    ("pooling-total-tables", PoolingConfig::total_tables),
    ("pooling-total-stacks", PoolingConfig::total_stacks),
    ("pooling-max-memory-size", PoolingConfig::max_memory_size),
    ("pooling-table-elements", PoolingConfig::table_elements),
    (
        "pooling-continuation-stack-size",
        PoolingConfig::continuation_stack_size,
    ),
    (
        "pooling-memory-keep-resident",
        PoolingConfig::memory_keep_resident,
    ),
    (
        "pooling-table-keep-resident",
        PoolingConfig::table_keep_resident,
    ),
    (
        "pooling-stack-keep-resident",
        PoolingConfig::stack_keep_resident,
    ),
];

/// Help text of `-O`.
pub const OPTIMIZE_OPTIONS_HELP: &str = "Optimisation options, comma-separated or repeated: \
    `pooling-allocator` (take instances' memories and tables, and continuation stacks, from \
    regions reserved up front) and its limits `pooling-total-core-instances=N`, \
    `pooling-total-memories=N`, `pooling-total-tables=N`, `pooling-total-stacks=N`, \
    `pooling-max-memory-size=BYTES`, `pooling-table-elements=N`, \
    `pooling-continuation-stack-size=BYTES`, `pooling-memory-keep-resident=BYTES`, \
    `pooling-table-keep-resident=BYTES` and `pooling-stack-keep-resident=BYTES` (sizes may \
    end in k, M or G)";

/// Help text of `-C`.
pub const CODEGEN_OPTIONS_HELP: &str = "Code generation options, comma-separated or repeated: \
    `cache[=y|n]` (keep compiled code in $XDG_CACHE_HOME/wasmfx, by default ~/.cache/wasmfx, \
    and load modules compiled before from there; on by default)";

/// The engine the `-W`, `-O` and `-C` options and `--profile` describe, with the run limits
/// `-W` sets. The compilation cache is on unless `-C cache=n`.
pub fn engine_for(
    wasm: &[String],
    optimize: &[String],
    codegen: &[String],
    profile: Option<&str>,
) -> Result<(Engine, RunLimits)> {
    let mut config = Config::new();
    match profile {
        None => {}
        Some("perfmap") => {
            config.profiler(ProfilingStrategy::PerfMap);
        }
        Some(other) => bail!("unknown profiling strategy `{other}`; known: perfmap"),
    }
    let mut cache = true;
    for (name, value) in codegen.iter().flat_map(|group| items(group)) {
        match name {
            "cache" => cache = parse_bool(name, value)?,
            _ => bail!("unknown `-C` option `{name}`; known options: cache"),
        }
    }
    if cache {
        config.cache_directory(Config::default_cache_directory());
    }
    let limits = configure(&mut config, wasm, optimize)?;
    let engine = Engine::new(&config).context("failed to create the engine")?;
    Ok((engine, limits))
}

/// Applies the `-W` and then the `-O` arguments to `config`, returning the run limits `-W`
/// sets.
pub fn configure(config: &mut Config, wasm: &[String], optimize: &[String]) -> Result<RunLimits> {
    let mut limits = RunLimits::default();
    for group in wasm {
        apply_wasm_options(config, &mut limits, group)?;
    }
    apply_optimize_options(config, optimize)?;
    Ok(limits)
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

/// Applies the `-O` arguments to `config`.
pub fn apply_optimize_options(config: &mut Config, groups: &[String]) -> Result<()> {
    let mut enabled = false;
    let mut limits = PoolingConfig::new();
    let mut limit_given = None;
    for group in groups {
        for (name, value) in items(group) {
            if name == "pooling-allocator" {
                enabled = parse_bool(name, value)?;
                continue;
            }
            let Some((_, setter)) = POOLING_LIMITS.iter().find(|(n, _)| *n == name) else {
                let known: Vec<&str> = POOLING_LIMITS.iter().map(|(n, _)| *n).collect();
                bail!(
                    "unknown `-O` option `{name}`; known options: pooling-allocator, {}",
                    known.join(", ")
                );
            };
            setter(&mut limits, parse_bytes(name, value)?);
            limit_given = Some(name.to_string());
        }
    }
    if enabled {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(limits));
    } else if let Some(name) = limit_given {
        bail!("`-O {name}` needs `-O pooling-allocator`");
    }
    Ok(())
}

/// Help text of `-W`.
pub const WASM_OPTIONS_HELP: &str = "WebAssembly options, comma-separated or repeated: \
    `simd`, `multi-memory`, `memory64`, `function-references`, `exceptions`, `gc`, \
    `tail-call`, `stack-switching`, `relaxed-simd`, `threads`, `extended-const` (each `NAME`, \
    `NAME=y` or `NAME=n`), `max-wasm-stack=BYTES`, `continuation-stack-size=BYTES`, \
    `continuation-red-zone=BYTES`, and for `run`: `fuel=N` (stop after about N \
    instructions) and `timeout=DURATION` (stop after a wall-clock time such as 500ms, 2s, 1m)";

/// Limits on a run that `-W` sets beside the engine configuration.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunLimits {
    /// Fuel for the store (`-W fuel=N`).
    pub fuel: Option<u64>,
    /// Wall-clock budget (`-W timeout=DURATION`).
    pub timeout: Option<Duration>,
}

/// Applies one `-W` argument (a comma-separated list of `NAME[=VALUE]`) to `config`, and its
/// run limits to `limits`.
pub fn apply_wasm_options(config: &mut Config, limits: &mut RunLimits, group: &str) -> Result<()> {
    for (name, value) in items(group) {
        match name {
            "fuel" => {
                let fuel = parse_bytes(name, value)?;
                config.consume_fuel(true);
                limits.fuel = Some(fuel as u64);
                continue;
            }
            "timeout" => {
                config.epoch_interruption(true);
                limits.timeout = Some(parse_duration(name, value)?);
                continue;
            }
            _ => {}
        }
        let size: Option<fn(&mut Config, usize) -> &mut Config> = match name {
            "max-wasm-stack" => Some(Config::max_wasm_stack),
            "continuation-stack-size" => Some(Config::continuation_stack_size),
            "continuation-red-zone" => Some(Config::continuation_red_zone),
            _ => None,
        };
        if let Some(setter) = size {
            setter(config, parse_bytes(name, value)?);
            continue;
        }
        let setter: fn(&mut Config, bool) -> &mut Config = match name {
            "simd" => Config::wasm_simd,
            "multi-memory" => Config::wasm_multi_memory,
            "memory64" => Config::wasm_memory64,
            "function-references" => Config::wasm_function_references,
            "exceptions" => Config::wasm_exceptions,
            "gc" => Config::wasm_gc,
            "tail-call" => Config::wasm_tail_call,
            "stack-switching" => Config::wasm_stack_switching,
            "relaxed-simd" => Config::wasm_relaxed_simd,
            "threads" => Config::wasm_threads,
            "extended-const" => Config::wasm_extended_const,
            _ => bail!(
                "unknown `-W` option `{name}`; known options: simd, multi-memory, memory64, \
                 function-references, exceptions, gc, tail-call, stack-switching, relaxed-simd, \
                 threads, extended-const, max-wasm-stack, continuation-stack-size, \
                 continuation-red-zone"
            ),
        };
        setter(config, parse_bool(name, value)?);
    }
    Ok(())
}

/// The value of a numeric option (a count or a byte size).
fn parse_bytes(name: &str, value: Option<&str>) -> Result<usize> {
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

/// The value of a boolean `-W` option: absent means true.
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

    #[test]
    fn run_limits() {
        let mut config = Config::new();
        let mut limits = RunLimits::default();
        apply_wasm_options(&mut config, &mut limits, "fuel=1000,timeout=250ms").unwrap();
        assert_eq!(limits.fuel, Some(1000));
        assert_eq!(limits.timeout, Some(Duration::from_millis(250)));
        let debug = format!("{config:?}");
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
    fn byte_sizes() {
        assert_eq!(parse_bytes("x", Some("4096")).unwrap(), 4096);
        assert_eq!(parse_bytes("x", Some("64k")).unwrap(), 65536);
        assert_eq!(parse_bytes("x", Some("2MiB")).unwrap(), 2 << 20);
        assert_eq!(parse_bytes("x", Some("1G")).unwrap(), 1 << 30);
        assert!(parse_bytes("x", Some("12q")).is_err());
        assert!(parse_bytes("x", Some("k")).is_err());
        assert!(parse_bytes("x", None).is_err());
    }

    #[test]
    fn bool_values() {
        assert!(parse_bool("simd", None).unwrap());
        assert!(parse_bool("simd", Some("y")).unwrap());
        assert!(!parse_bool("simd", Some("false")).unwrap());
        assert!(parse_bool("simd", Some("maybe")).is_err());
    }

    #[test]
    fn wasm_options() {
        let mut config = Config::new();
        apply_wasm_options(
            &mut config,
            &mut RunLimits::default(),
            "simd,gc=n, tail-call=true",
        )
        .unwrap();
        apply_wasm_options(
            &mut config,
            &mut RunLimits::default(),
            "max-wasm-stack=1048576",
        )
        .unwrap();
        apply_wasm_options(
            &mut config,
            &mut RunLimits::default(),
            "continuation-stack-size=8192",
        )
        .unwrap();
        let debug = format!("{config:?}");
        assert!(debug.contains("continuation_stack_size: 8192"), "{debug}");
        assert!(apply_wasm_options(&mut config, &mut RunLimits::default(), "bogus").is_err());
        assert!(
            apply_wasm_options(&mut config, &mut RunLimits::default(), "max-wasm-stack").is_err()
        );
        assert!(apply_wasm_options(
            &mut config,
            &mut RunLimits::default(),
            "max-wasm-stack=lots"
        )
        .is_err());
        assert!(apply_wasm_options(
            &mut config,
            &mut RunLimits::default(),
            "continuation-stack-size=-1"
        )
        .is_err());
    }

    #[test]
    fn optimize_options() {
        let mut config = Config::new();
        let groups = [
            "pooling-allocator,pooling-total-tables=7".to_string(),
            "pooling-total-stacks=9,pooling-continuation-stack-size=128k".to_string(),
        ];
        apply_optimize_options(&mut config, &groups).unwrap();
        let debug = format!("{config:?}");
        assert!(debug.contains("total_tables: 7"), "{debug}");
        assert!(debug.contains("total_stacks: 9"), "{debug}");
        assert!(debug.contains("stack_size: Some(131072)"), "{debug}");
        let lone_limit = ["pooling-table-elements=10".to_string()];
        assert!(apply_optimize_options(&mut Config::new(), &lone_limit).is_err());
        assert!(apply_optimize_options(&mut Config::new(), &["bogus".to_string()]).is_err());
    }
}
