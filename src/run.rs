//! `wasmfx run`: compiles a `.wasm` or `.wat` module, instantiates it (no
//! imports are provided yet), calls one exported function with arguments
//! taken from the command line and prints its results, one per line.

use std::path::PathBuf;

use crate::options::{apply_optimize_options, apply_wasm_options};
use anyhow::{anyhow, bail, Context, Result};
use wasmfx::{Config, Engine, Linker, Module, Store, Val, ValType};

/// Options of `wasmfx run`.
#[derive(clap::Args)]
pub struct RunCommand {
    /// The exported function to call [default: `_start`].
    #[arg(long, value_name = "NAME")]
    invoke: Option<String>,

    #[arg(short = 'W', value_name = "OPT[=VAL],...", help = crate::options::WASM_OPTIONS_HELP)]
    wasm: Vec<String>,

    #[arg(short = 'O', value_name = "OPT[=VAL],...", help = crate::options::OPTIMIZE_OPTIONS_HELP)]
    optimize: Vec<String>,

    /// The module to run: a `.wasm` binary or a `.wat` text file.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Arguments for the function, parsed according to its parameter types
    /// (i32, i64, f32, f64).
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<String>,
}

impl RunCommand {
    /// Runs the module; errors (including traps) are returned for `main` to
    /// report.
    pub fn execute(self) -> Result<()> {
        let mut config = Config::new();
        for group in &self.wasm {
            apply_wasm_options(&mut config, group)?;
        }
        apply_optimize_options(&mut config, &self.optimize)?;
        let engine = Engine::new(&config).context("failed to create the engine")?;

        let bytes = std::fs::read(&self.file)
            .with_context(|| format!("failed to read `{}`", self.file.display()))?;
        let module = Module::new(&engine, &bytes)
            .with_context(|| format!("failed to compile `{}`", self.file.display()))?;

        let imports: Vec<String> = module
            .imports()
            .map(|import| format!("`{}::{}`", import.module(), import.name()))
            .collect();
        if !imports.is_empty() {
            bail!(
                "`{}` imports {}, but `wasmfx run` does not provide any imports yet",
                self.file.display(),
                imports.join(", ")
            );
        }

        let mut store = Store::new(&engine, ());
        let linker = Linker::new(&engine);
        let instance = linker
            .instantiate(&mut store, &module)
            .with_context(|| format!("failed to instantiate `{}`", self.file.display()))?;

        let exported_funcs: Vec<String> = module
            .exports()
            .filter(|export| matches!(export.ty(), wasmfx::ExternType::Func(_)))
            .map(|export| export.name().to_string())
            .collect();
        let name = match &self.invoke {
            Some(name) => name.clone(),
            None if exported_funcs.iter().any(|n| n == "_start") => "_start".to_string(),
            None => bail!(
                "`{}` does not export a `_start` function; pass `--invoke NAME` to call one of: {}",
                self.file.display(),
                describe_names(&exported_funcs)
            ),
        };
        let func = instance.get_func(&mut store, &name).ok_or_else(|| {
            anyhow!(
                "`{}` has no exported function `{name}`; exported functions: {}",
                self.file.display(),
                describe_names(&exported_funcs)
            )
        })?;

        let ty = func.ty(&store);
        if ty.params().len() != self.args.len() {
            bail!(
                "`{name}` takes {} argument(s) ({}), but {} were given",
                ty.params().len(),
                ty.params()
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                self.args.len()
            );
        }
        let args = ty
            .params()
            .iter()
            .zip(&self.args)
            .enumerate()
            .map(|(i, (ty, text))| {
                parse_arg(*ty, text)
                    .with_context(|| format!("invalid argument {} for `{name}`", i + 1))
            })
            .collect::<Result<Vec<_>>>()?;
        // Placeholders: `call` overwrites every result.
        let mut results = vec![Val::I32(0); ty.results().len()];
        func.call(&mut store, &args, &mut results)
            .with_context(|| format!("failed to invoke `{name}`"))?;
        for result in &results {
            println!("{}", format_val(result));
        }
        Ok(())
    }
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
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(None) => "<null funcref>".to_string(),
        Val::FuncRef(Some(_)) => "<funcref>".to_string(),
        Val::ExternRef(None) => "<null externref>".to_string(),
        Val::ExternRef(Some(_)) => "<externref>".to_string(),
        Val::AnyRef(_) => "<null anyref>".to_string(),
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
        assert!(parse_arg(ValType::V128, "0").is_err());
    }

    #[test]
    fn printing() {
        assert_eq!(format_val(&Val::F32(1.5f32.to_bits())), "1.5");
        assert_eq!(format_val(&Val::F64(3.0f64.to_bits())), "3");
        assert_eq!(format_val(&Val::I32(-4)), "-4");
    }
}
