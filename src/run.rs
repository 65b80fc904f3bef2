//! `wasmfx run`: compiles a `.wasm` or `.wat` module (or loads a precompiled `.cwasm` one,
//! with `--allow-precompiled`), links WASI preview1 (with the
//! preopened directories and environment given on the command line), and runs it: a command
//! module's `_start` with the arguments after the module path as its argv, or the function
//! named by `--invoke` with those arguments parsed by its parameter types (its results are
//! printed, one per line). As in wasmtime, `argv[0]` is the module path's last component
//! unless `--argv0` says otherwise, and options of `run` go before the module path.
//!
//! A module that imports a shared memory gets one made to its import's type. With
//! `-S threads`, it may start threads (wasi-threads): each runs in a store of its own, set
//! up as the main one (limits, fuel, timeout), over the same memory and WASI descriptors.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use crate::options::{group_details, group_summary, EngineOptions, OptionGroup, RunSettings};
use anyhow::{anyhow, bail, Context, Result};
use wasmfx::{Engine, ExternType, Linker, Module, SharedMemory, Store, StoreLimits, Val, ValType};
use wasmfx_wasi::threads::WasiThreadsCtx;
use wasmfx_wasi::{I32Exit, WasiCtx, WasiCtxBuilder};

/// The host data of a run's stores (one per thread): the program's WASI context (shared by
/// its clones), the store's limits, and what starting a thread needs.
#[derive(Clone)]
struct Host {
    wasi: WasiCtx,
    limits: StoreLimits,
    threads: Option<Arc<WasiThreadsCtx<Host>>>,
}

/// Options of `wasmfx run`.
#[derive(clap::Args)]
pub struct RunCommand {
    /// The exported function to call [default: `_start`].
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,

    /// Give the program a host directory, under its own path or as GUEST
    /// (repeatable).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dirs: Vec<String>,

    /// Give the program an environment variable; without a value, the host's
    /// (repeatable).
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    envs: Vec<String>,

    /// The program's `argv[0]` [default: the last component of FILE's path, as wasmtime
    /// passes it].
    #[arg(long, value_name = "NAME")]
    argv0: Option<String>,

    /// Make compiled code visible to a profiler: `perfmap` writes `/tmp/perf-PID.map`
    /// for `perf report`.
    #[arg(long, value_name = "STRATEGY")]
    profile: Option<String>,

    #[arg(
        short = 'C',
        value_name = "OPT[=VAL],...",
        help = group_summary(OptionGroup::Codegen),
        long_help = group_details(OptionGroup::Codegen)
    )]
    codegen: Vec<String>,

    #[command(flatten)]
    engine: EngineOptions,

    #[arg(
        short = 'S',
        value_name = "OPT[=VAL],...",
        help = group_summary(OptionGroup::Wasi),
        long_help = group_details(OptionGroup::Wasi)
    )]
    wasi: Vec<String>,

    /// Allow FILE to be a precompiled module (`wasmfx compile`'s output). Its machine code
    /// runs as it is, so only pass this for files you trust.
    #[arg(long)]
    allow_precompiled: bool,

    /// The module to run (a `.wasm` binary or a `.wat` text file, or with
    /// `--allow-precompiled` a `.cwasm` file), then its arguments.
    ///
    /// Everything after FILE belongs to the program, even words starting with `-`: its
    /// argv after `argv[0]`, or, with `--invoke`, the function's arguments (parsed according
    /// to its parameter types: i32, i64, f32, f64; they are its argv too, as in wasmtime).
    /// Options of `wasmfx run` go before FILE.
    #[arg(
        value_names = ["FILE", "ARGS"],
        required = true,
        trailing_var_arg = true
    )]
    module_and_args: Vec<String>,
}

impl RunCommand {
    /// Runs the module and returns the process's exit code: the program's
    /// `proc_exit` code, or 0 when it returns. Errors, traps included, are
    /// returned for `main` to report.
    pub fn execute(self) -> Result<ExitCode> {
        let (engine, settings) =
            self.engine
                .engine(&self.codegen, &self.wasi, self.profile.as_deref())?;
        let module = self.load_module(&engine)?;

        let mut linker = Linker::new(&engine);
        wasmfx_wasi::add_to_linker(&mut linker, |host: &mut Host| &mut host.wasi)?;
        self.define_shared_memories(&mut linker, &module)?;
        let uses_threads = module
            .imports()
            .any(|i| i.module() == "wasi" && i.name() == "thread-spawn");
        if uses_threads && !settings.wasi_threads {
            bail!(
                "`{}` starts threads (it imports `wasi::thread-spawn`); run it with `-S threads`",
                self.file().display()
            );
        }
        if uses_threads {
            wasmfx_wasi::threads::add_to_linker(&mut linker, |host: &Host| {
                host.threads.as_deref()
            })?;
        }
        let linker = Arc::new(linker);
        let threads = if uses_threads {
            let setup = move |store: &mut Store<Host>| set_up_store(store, &settings);
            let ctx = WasiThreadsCtx::new(module.clone(), linker.clone(), Arc::new(setup))
                .with_context(|| format!("`{}` cannot start threads", self.file().display()))?;
            Some(Arc::new(ctx))
        } else {
            None
        };
        let host = Host {
            wasi: self.wasi_ctx()?,
            limits: settings.store.unwrap_or_default().build(),
            threads,
        };
        let mut store = Store::new(&engine, host);
        set_up_store(&mut store, &settings)?;
        if let Some(timeout) = settings.timeout {
            // One tick, from a thread that sleeps for the timeout; the process ends with the
            // run, so the thread is not joined.
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(timeout);
                engine.increment_epoch();
            });
        }
        let instance = linker
            .instantiate(&mut store, &module)
            .with_context(|| format!("failed to instantiate `{}`", self.file().display()))?;

        let name = self.invoke.as_deref().unwrap_or("_start");
        let Some(func) = instance.get_func(&mut store, name) else {
            let exported_funcs: Vec<String> = module
                .exports()
                .filter(|export| matches!(export.ty(), wasmfx::ExternType::Func(_)))
                .map(|export| export.name().to_string())
                .collect();
            if self.invoke.is_none() {
                bail!(
                    "`{}` does not export a `_start` function; pass `--invoke NAME` to call one of: {}",
                    self.file().display(),
                    describe_names(&exported_funcs)
                );
            }
            bail!(
                "`{}` has no exported function `{name}`; exported functions: {}",
                self.file().display(),
                describe_names(&exported_funcs)
            );
        };

        let ty = func.ty(&store);
        // A function's arguments are its parameters; a command's are only its argv.
        let params: &[String] = if self.invoke.is_some() {
            self.args()
        } else {
            &[]
        };
        if ty.params().len() != params.len() {
            bail!(
                "`{name}` takes {} argument(s) ({}), but {} were given",
                ty.params().len(),
                ty.params()
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                params.len()
            );
        }
        let args = ty
            .params()
            .iter()
            .zip(params)
            .enumerate()
            .map(|(i, (ty, text))| {
                parse_arg(*ty, text)
                    .with_context(|| format!("invalid argument {} for `{name}`", i + 1))
            })
            .collect::<Result<Vec<_>>>()?;
        // Placeholders: `call` overwrites every result.
        let mut results = vec![Val::I32(0); ty.results().len()];
        if let Err(err) = func.call(&mut store, &args, &mut results) {
            if let Some(exit) = err.downcast_ref::<I32Exit>() {
                // Exit statuses are a byte on unix, as `exit(3)` makes them.
                return Ok(ExitCode::from(exit.0 as u8));
            }
            return Err(err.context(format!("failed to invoke `{name}`")));
        }
        for result in &results {
            println!("{}", format_val(result));
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Defines, for each shared memory `module` imports, a new one of the import's type (as
    /// wasmtime does: threaded programs import their memory).
    fn define_shared_memories(&self, linker: &mut Linker<Host>, module: &Module) -> Result<()> {
        for import in module.imports() {
            if let ExternType::Memory(ty) = import.ty() {
                if ty.is_shared() {
                    let memory = SharedMemory::new(module.engine(), ty).with_context(|| {
                        format!(
                            "failed to create the shared memory `{}::{}`",
                            import.module(),
                            import.name()
                        )
                    })?;
                    linker.define_shared_memory(import.module(), import.name(), memory)?;
                }
            }
        }
        Ok(())
    }

    /// The path of the module to run.
    fn file(&self) -> &Path {
        // Clap requires FILE, so the list is never empty.
        Path::new(&self.module_and_args[0])
    }

    /// The arguments after FILE.
    fn args(&self) -> &[String] {
        &self.module_and_args[1..]
    }

    /// The program's `argv[0]`: `--argv0`, or else the last component of FILE's path, as
    /// wasmtime passes it (the program does not learn the host's directories).
    fn program_name(&self) -> String {
        if let Some(name) = &self.argv0 {
            return name.clone();
        }
        let file = self.file();
        match file.components().next_back() {
            Some(last) => last.as_os_str().to_string_lossy().into_owned(),
            None => file.display().to_string(),
        }
    }

    /// The module in FILE: compiled, or loaded if precompiled and allowed (mapped from the
    /// file, not read: see `Module::deserialize_file`).
    fn load_module(&self, engine: &Engine) -> Result<Module> {
        let file = self.file();
        let precompiled = Engine::is_precompiled_file(file)
            .with_context(|| format!("failed to read `{}`", file.display()))?;
        if !precompiled {
            let bytes = std::fs::read(file)
                .with_context(|| format!("failed to read `{}`", file.display()))?;
            return Module::new(engine, &bytes)
                .with_context(|| format!("failed to compile `{}`", file.display()));
        }
        if !self.allow_precompiled {
            bail!(
                "`{}` is a precompiled module; running it requires `--allow-precompiled`",
                file.display()
            );
        }
        // SAFETY: the user allowed precompiled code, vouching for the file; the header checks
        // reject files from other builds and configurations.
        unsafe { Module::deserialize_file(engine, file) }
            .with_context(|| format!("failed to load `{}`", file.display()))
    }

    /// The program's WASI context: argv, environment, preopened directories and
    /// the host's standard streams.
    fn wasi_ctx(&self) -> Result<WasiCtx> {
        let mut builder = WasiCtxBuilder::new();
        builder.inherit_stdio();
        builder.arg(self.program_name());
        builder.args(self.args().iter().cloned());
        for env in &self.envs {
            match env.split_once('=') {
                Some((name, value)) => builder.env(name, value),
                None => match std::env::var(env) {
                    Ok(value) => builder.env(env.as_str(), value),
                    Err(_) => &mut builder,
                },
            };
        }
        for dir in &self.dirs {
            let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
            builder.preopened_dir(host, guest)?;
        }
        Ok(builder.build())
    }
}

/// Sets up a store of the run (the main thread's or a new thread's) with the run's limits,
/// fuel and deadline.
fn set_up_store(store: &mut Store<Host>, settings: &RunSettings) -> Result<()> {
    if settings.store.is_some() {
        store.limiter(|host| &mut host.limits);
    }
    if let Some(fuel) = settings.fuel {
        store.set_fuel(fuel)?;
    }
    if settings.timeout.is_some() {
        // The engine's epoch ticks once, when the timeout passes.
        store.set_epoch_deadline(1);
    }
    Ok(())
}

/// Parses a command-line argument as a value of type `ty`. Integers may be
/// given signed or unsigned (`-1` and `4294967295` are the same i32).
fn parse_arg(ty: ValType, text: &str) -> Result<Val> {
    Ok(match ty {
        ValType::I32 => Val::I32(match text.parse::<i32>() {
            Ok(x) => x,
            Err(_) => text
                .parse::<u32>()
                .map(|x| x as i32)
                .map_err(|_| anyhow!("`{text}` is not an i32"))?,
        }),
        ValType::I64 => Val::I64(match text.parse::<i64>() {
            Ok(x) => x,
            Err(_) => text
                .parse::<u64>()
                .map(|x| x as i64)
                .map_err(|_| anyhow!("`{text}` is not an i64"))?,
        }),
        ValType::F32 => Val::F32(
            text.parse::<f32>()
                .map_err(|_| anyhow!("`{text}` is not an f32"))?
                .to_bits(),
        ),
        ValType::F64 => Val::F64(
            text.parse::<f64>()
                .map_err(|_| anyhow!("`{text}` is not an f64"))?
                .to_bits(),
        ),
        // The 128 bits as one unsigned number (as results are printed), decimal or `0x` hex.
        ValType::V128 => Val::V128(
            match text.strip_prefix("0x") {
                Some(hex) => u128::from_str_radix(hex, 16),
                None => text.parse::<u128>(),
            }
            .map_err(|_| anyhow!("`{text}` is not a v128 (a 128-bit unsigned number)"))?
            .into(),
        ),
        other => bail!(
            "parameters of type {} cannot be given on the command line",
            other
        ),
    })
}

/// Prints a result the way wasmtime does: plain numbers, `1.5` for floats.
fn format_val(val: &Val) -> String {
    match val {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::V128(x) => x.as_u128().to_string(),
        Val::FuncRef(None) => "<null funcref>".to_string(),
        Val::FuncRef(Some(_)) => "<funcref>".to_string(),
        Val::ExternRef(None) => "<null externref>".to_string(),
        Val::ExternRef(Some(_)) => "<externref>".to_string(),
        Val::AnyRef(None) => "<null anyref>".to_string(),
        Val::AnyRef(Some(_)) => "<anyref>".to_string(),
        Val::ExnRef(None) => "<null exnref>".to_string(),
        Val::ExnRef(Some(_)) => "<exnref>".to_string(),
        Val::ContRef(None) => "<null contref>".to_string(),
        Val::ContRef(Some(_)) => "<contref>".to_string(),
    }
}

/// A list of names for error messages.
fn describe_names(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert!(matches!(
            parse_arg(ValType::I32, "-7").unwrap(),
            Val::I32(-7)
        ));
        assert!(matches!(
            parse_arg(ValType::I32, "4294967295").unwrap(),
            Val::I32(-1)
        ));
        assert!(matches!(
            parse_arg(ValType::I64, "12").unwrap(),
            Val::I64(12)
        ));
        assert!(
            matches!(parse_arg(ValType::F32, "1.5").unwrap(), Val::F32(b) if b == 1.5f32.to_bits())
        );
        assert!(
            matches!(parse_arg(ValType::F64, "-0").unwrap(), Val::F64(b) if b == (-0.0f64).to_bits())
        );
        assert!(parse_arg(ValType::I32, "x").is_err());
        assert!(parse_arg(ValType::I32, "4294967296").is_err());
        assert_eq!(
            parse_arg(ValType::V128, "0x10")
                .unwrap()
                .unwrap_v128()
                .as_u128(),
            16
        );
        assert_eq!(
            parse_arg(ValType::V128, &u128::MAX.to_string())
                .unwrap()
                .unwrap_v128()
                .as_u128(),
            u128::MAX
        );
        assert!(parse_arg(ValType::V128, "-1").is_err());
        assert!(parse_arg(ValType::V128, "0xg").is_err());
    }

    #[test]
    fn printing() {
        assert_eq!(format_val(&Val::F32(1.5f32.to_bits())), "1.5");
        assert_eq!(format_val(&Val::F64(3.0f64.to_bits())), "3");
        assert_eq!(format_val(&Val::I32(-4)), "-4");
    }
}
