//! Writing what wasmfx computed as a `.wast` script, so that a reference engine (wasmtime's
//! `wast` command, Binaryen's `wasm-shell`) checks it: the module, then one assertion per call
//! and per exported global.

use crate::execute::{Call, CallOutcome, Outcome, Stop, Value};
use std::fmt::Write;

/// How a reference engine spells what it can check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// wasmtime's `wast` command: every assertion.
    Wasmtime,
    /// Binaryen's `wasm-shell`: no `get` of globals, no non-null reference patterns, no
    /// memories imported from a registered module.
    Binaryen,
}

impl Dialect {
    /// Whether the engine's script runner can make `value` as an argument: wasmtime's cannot
    /// make exception or continuation references, even null ones.
    fn can_pass(self, value: &Value) -> bool {
        match (self, value) {
            (Dialect::Wasmtime, Value::Null(h) | Value::NonNull(h)) => {
                !matches!(*h, "exn" | "cont")
            }
            _ => true,
        }
    }
}

/// A string literal of the text format holding `bytes`.
pub fn string_literal(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3 + 2);
    s.push('"');
    for b in bytes {
        match b {
            b' '..=b'~' if *b != b'"' && *b != b'\\' => s.push(*b as char),
            _ => write!(s, "\\{b:02x}").expect("writing to a string"),
        }
    }
    s.push('"');
    s
}

/// A result pattern for `value`: NaNs of the canonical or arithmetic kind match any such NaN
/// (their sign and payload are nondeterministic in the spec); `None` when the dialect cannot
/// check the value.
fn pattern(value: &Value, dialect: Dialect) -> Option<String> {
    Some(match value {
        Value::F32(bits) if (bits & 0x7fff_ffff) > 0x7f80_0000 => {
            let kind = if bits & 0x7fff_ffff == 0x7fc0_0000 {
                "canonical"
            } else if bits & 0x0040_0000 != 0 {
                "arithmetic"
            } else {
                return Some(value.to_string());
            };
            format!("(f32.const nan:{kind})")
        }
        Value::F64(bits) if (bits & !(1 << 63)) > 0x7ff << 52 => {
            let kind = if bits & !(1 << 63) == 0x7ff8 << 48 {
                "canonical"
            } else if bits & (1 << 51) != 0 {
                "arithmetic"
            } else {
                return Some(value.to_string());
            };
            format!("(f64.const nan:{kind})")
        }
        Value::NonNull(h) => match (dialect, *h) {
            (Dialect::Wasmtime, "func" | "extern" | "any") => format!("(ref.{h})"),
            _ => return None,
        },
        _ => value.to_string(),
    })
}

fn invoke(call: &Call) -> String {
    let mut s = format!("(invoke {}", string_literal(call.export.as_bytes()));
    for a in &call.args {
        write!(s, " {a}").expect("writing to a string");
    }
    s.push(')');
    s
}

/// The script text checking that `module` (text or `(module binary ...)`) does what
/// `outcome` says when `calls` are made, then (when no call ended the comparison) the
/// exported globals and memories. Stops at the first call whose outcome engines may
/// legitimately disagree on. `seed` names the module for the memory checker.
pub fn fragment(
    module: &str,
    calls: &[Call],
    outcome: &Outcome,
    dialect: Dialect,
    seed: u64,
) -> String {
    let mut s = String::new();
    match &outcome.instantiation {
        None => writeln!(s, "{module}"),
        Some(Stop::Trap(message)) => {
            return format!(
                "(assert_trap {module}\n  {})\n",
                string_literal(message.as_bytes())
            )
        }
        // Nothing a reference could check.
        Some(_) => return String::new(),
    }
    .expect("writing to a string");
    for (call, result) in calls.iter().zip(&outcome.calls) {
        if !call.args.iter().all(|a| dialect.can_pass(a)) {
            // Skipping the call would change what the later ones see.
            return s;
        }
        let inv = invoke(call);
        let line = match result {
            CallOutcome::Returned(values) => {
                let patterns: Option<Vec<String>> =
                    values.iter().map(|v| pattern(v, dialect)).collect();
                match patterns {
                    Some(p) => format!("(assert_return {inv} {})", p.join(" ")),
                    None => inv,
                }
            }
            CallOutcome::Stopped(Stop::Trap(message)) => {
                format!("(assert_trap {inv} {})", string_literal(message.as_bytes()))
            }
            CallOutcome::Stopped(Stop::Exception) => format!("(assert_exception {inv})"),
            CallOutcome::Stopped(Stop::UnhandledSuspension) => {
                format!("(assert_suspension {inv} \"unhandled\")")
            }
            CallOutcome::Stopped(Stop::StackExhausted | Stop::Other(_)) => return s,
        };
        writeln!(s, "{line}").expect("writing to a string");
    }
    if outcome.ended_early() {
        return s;
    }
    if dialect == Dialect::Wasmtime {
        for (name, value) in &outcome.globals {
            if let Some(p) = pattern(value, dialect) {
                writeln!(
                    s,
                    "(assert_return (get {}) {p})",
                    string_literal(name.as_bytes())
                )
                .expect("writing to a string");
            }
        }
    }
    if dialect == Dialect::Wasmtime {
        memory_checks(&mut s, outcome, seed);
    }
    s
}

/// Checks the contents of every exported memory of the module just run: the module is
/// registered, and a checker module importing each memory returns its hash (the one
/// [`crate::execute`] computes: FNV-1a over little-endian 8-byte words).
fn memory_checks(s: &mut String, outcome: &Outcome, seed: u64) {
    if outcome.memories.is_empty() {
        return;
    }
    let registered = format!("fuzzed{seed}");
    writeln!(s, "(register {})", string_literal(registered.as_bytes())).expect("writing");
    for memory in &outcome.memories {
        // The checker's memory import, size in bytes and address of word $i, for the
        // memory's index type (the memories are small: an i32 counts their bytes). A shared
        // memory is imported as one, which needs a maximum: one no memory exceeds.
        let (limits, size, address) = if memory.is_64 {
            (
                "i64 0",
                "(i32.wrap_i64 (i64.shl (memory.size) (i64.const 16)))",
                "(i64.extend_i32_u (local.get $i))",
            )
        } else {
            (
                "0",
                "(i32.shl (memory.size) (i32.const 16))",
                "(local.get $i)",
            )
        };
        writeln!(
            s,
            "(module (import {} {} (memory {limits}{shared}))\n\
             (func (export \"hash\") (result i64) (local $i i32) (local $n i32) (local $h i64)\n\
             (local.set $h (i64.const 0xcbf29ce484222325))\n\
             (local.set $n {size})\n\
             (block $done (loop $l (br_if $done (i32.ge_u (local.get $i) (local.get $n)))\n\
             (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load {address})) (i64.const 0x100000001b3)))\n\
             (local.set $i (i32.add (local.get $i) (i32.const 8))) (br $l)))\n\
             (local.get $h)))\n\
             (assert_return (invoke \"hash\") (i64.const {}))",
            string_literal(registered.as_bytes()),
            string_literal(memory.name.as_bytes()),
            memory.hash as i64,
            shared = match (memory.shared, memory.is_64) {
                (false, _) => "",
                (true, false) => " 65536 shared",
                (true, true) => " 0x1000000 shared",
            },
        )
        .expect("writing to a string");
    }
}

/// `(module binary "...")` for `wasm`.
pub fn binary_module(wasm: &[u8]) -> String {
    format!("(module binary {})", string_literal(wasm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_literals_escape_everything_but_plain_ascii() {
        assert_eq!(string_literal(b"a\"\\\x00\xff z"), r#""a\22\5c\00\ff z""#);
    }

    #[test]
    fn nans_become_patterns() {
        let canon = Value::F32(0xffc0_0000);
        assert_eq!(
            pattern(&canon, Dialect::Wasmtime).unwrap(),
            "(f32.const nan:canonical)"
        );
        let arith = Value::F64(0x7ff8_0000_0000_0001);
        assert_eq!(
            pattern(&arith, Dialect::Wasmtime).unwrap(),
            "(f64.const nan:arithmetic)"
        );
        let signalling = Value::F32(0x7f80_0001);
        assert_eq!(
            pattern(&signalling, Dialect::Wasmtime).unwrap(),
            "(f32.const nan:0x1)"
        );
    }
}
