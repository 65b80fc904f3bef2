//! Conversions between `.wast` value syntax and [`wasmfx::Val`]: turning
//! `(invoke ...)` arguments into values, checking results against the
//! expected patterns of `assert_return` (NaN patterns, reference patterns,
//! `either`), and printing values and patterns for failure reports.

use wasmfx::{ExternRef, Store, Val, ValType};
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::token::{F32, F64};
use wast::{WastArg, WastRet};

/// Turns one `(invoke ...)` argument into a value, allocating host
/// references (`ref.extern N`) in `store`. `param` is the type the function
/// expects there: it decides the hierarchy of a `ref.null` of a concrete type.
pub(crate) fn arg_to_val(
    store: &mut Store<()>,
    arg: &WastArg<'_>,
    param: Option<ValType>,
) -> Result<Val, String> {
    let core = match arg {
        WastArg::Core(core) => core,
        _ => return Err("component-model argument values are not supported".to_string()),
    };
    Ok(match core {
        WastArgCore::I32(x) => Val::I32(*x),
        WastArgCore::I64(x) => Val::I64(*x),
        WastArgCore::F32(x) => Val::F32(x.bits),
        WastArgCore::F64(x) => Val::F64(x.bits),
        WastArgCore::V128(x) => Val::V128(u128::from_le_bytes(x.to_le_bytes()).into()),
        WastArgCore::RefNull(HeapType::Concrete(_) | HeapType::Exact(_)) => match param {
            Some(ValType::Ref(r)) => Val::null_of(store.engine(), r.heap_type()),
            _ => Val::FuncRef(None),
        },
        WastArgCore::RefNull(heap) => match null_kind(heap)? {
            NullKind::Func => Val::FuncRef(None),
            NullKind::Extern => Val::ExternRef(None),
            NullKind::Any => Val::AnyRef(None),
            NullKind::Exn => Val::ExnRef(None),
            NullKind::Cont => Val::ContRef(None),
        },
        WastArgCore::RefExtern(n) => Val::ExternRef(Some(ExternRef::new(&mut *store, *n))),
        // A host value in the `any` hierarchy: a host reference made internal.
        WastArgCore::RefHost(n) => Val::AnyRef(Some(ExternRef::new(&mut *store, *n).to_any())),
    })
}

/// The families of null references the runtime can represent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NullKind {
    Func,
    Extern,
    Any,
    Exn,
    Cont,
}

/// Which null a `ref.null <heaptype>` denotes.
fn null_kind(heap: &HeapType<'_>) -> Result<NullKind, String> {
    match heap {
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Func | AbstractHeapType::NoFunc,
        } => Ok(NullKind::Func),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern,
        } => Ok(NullKind::Extern),
        HeapType::Abstract {
            shared: false,
            ty:
                AbstractHeapType::Any
                | AbstractHeapType::Eq
                | AbstractHeapType::I31
                | AbstractHeapType::Struct
                | AbstractHeapType::Array
                | AbstractHeapType::None,
        } => Ok(NullKind::Any),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Exn | AbstractHeapType::NoExn,
        } => Ok(NullKind::Exn),
        HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::Cont | AbstractHeapType::NoCont,
        } => Ok(NullKind::Cont),
        other => Err(format!(
            "null references of heap type {} are not supported",
            heap_type_name(other)
        )),
    }
}

/// Whether a reference value is null, and its family; `None` for numbers.
fn reference_kind(val: &Val) -> Option<(bool, NullKind)> {
    Some(match val {
        Val::FuncRef(r) => (r.is_none(), NullKind::Func),
        Val::ExternRef(r) => (r.is_none(), NullKind::Extern),
        Val::AnyRef(r) => (r.is_none(), NullKind::Any),
        Val::ExnRef(r) => (r.is_none(), NullKind::Exn),
        Val::ContRef(r) => (r.is_none(), NullKind::Cont),
        _ => return None,
    })
}

/// A short text form of a heap type, for messages.
fn heap_type_name(heap: &HeapType<'_>) -> String {
    match heap {
        HeapType::Abstract { shared, ty } => {
            let name = match ty {
                AbstractHeapType::Func => "func",
                AbstractHeapType::Extern => "extern",
                AbstractHeapType::Exn => "exn",
                AbstractHeapType::Cont => "cont",
                AbstractHeapType::Any => "any",
                AbstractHeapType::Eq => "eq",
                AbstractHeapType::Struct => "struct",
                AbstractHeapType::Array => "array",
                AbstractHeapType::I31 => "i31",
                AbstractHeapType::NoFunc => "nofunc",
                AbstractHeapType::NoExtern => "noextern",
                AbstractHeapType::None => "none",
                AbstractHeapType::NoExn => "noexn",
                AbstractHeapType::NoCont => "nocont",
            };
            if *shared {
                format!("(shared {name})")
            } else {
                name.to_string()
            }
        }
        HeapType::Concrete(index) | HeapType::Exact(index) => format!("{index:?}"),
    }
}

/// Checks the values a call produced against the expected patterns of an
/// `assert_return`, returning a description of the first mismatch.
pub(crate) fn check_results(
    store: &Store<()>,
    actual: &[Val],
    expected: &[WastRet<'_>],
) -> Result<(), String> {
    if actual.len() != expected.len() {
        return Err(format!(
            "expected {} result(s) [{}], got {} [{}]",
            expected.len(),
            expected
                .iter()
                .map(ret_to_string)
                .collect::<Vec<_>>()
                .join(", "),
            actual.len(),
            actual
                .iter()
                .map(|v| val_to_string(store, v))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    for (i, (val, pattern)) in actual.iter().zip(expected).enumerate() {
        let core = match pattern {
            WastRet::Core(core) => core,
            _ => return Err("component-model result patterns are not supported".to_string()),
        };
        if !matches_pattern(store, val, core)? {
            return Err(format!(
                "result {i}: expected {}, got {}",
                ret_core_to_string(core),
                val_to_string(store, val)
            ));
        }
    }
    Ok(())
}

/// Whether `val` matches `pattern`; an error for patterns the runner cannot
/// check (host references).
fn matches_pattern(
    store: &Store<()>,
    val: &Val,
    pattern: &WastRetCore<'_>,
) -> Result<bool, String> {
    Ok(match (pattern, val) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(e), Val::F32(a)) => f32_matches(e, *a),
        (WastRetCore::F64(e), Val::F64(a)) => f64_matches(e, *a),
        (WastRetCore::V128(e), Val::V128(a)) => v128_matches(e, a.as_u128()),
        (WastRetCore::RefNull(heap), _) => match reference_kind(val) {
            None => false,
            Some((is_null, kind)) => {
                is_null
                    && match heap {
                        // A pattern `ref.null $t` says nothing about the hierarchy of `$t`
                        // the runner could check.
                        None | Some(HeapType::Concrete(_) | HeapType::Exact(_)) => true,
                        Some(h) => null_kind(h)? == kind,
                    }
            }
        },
        (WastRetCore::RefExtern(expected), Val::ExternRef(r)) => match (expected, r) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(n), Some(r)) => r.data(store).and_then(|d| d.downcast_ref::<u32>()) == Some(n),
        },
        // The script names a function by index; the runner cannot tell which
        // function a reference points to, so any non-null one matches.
        (WastRetCore::RefFunc(_), Val::FuncRef(r)) => r.is_some(),
        (WastRetCore::RefAny, Val::AnyRef(r)) => r.is_some(),
        (WastRetCore::RefI31, Val::AnyRef(r)) => r.is_some_and(|r| r.is_i31()),
        (WastRetCore::RefEq, Val::AnyRef(Some(r))) => gc_check(r.is_eqref(store))?,
        (WastRetCore::RefStruct, Val::AnyRef(Some(r))) => gc_check(r.is_struct(store))?,
        (WastRetCore::RefArray, Val::AnyRef(Some(r))) => gc_check(r.is_array(store))?,
        // Shared references are not supported: no value is one.
        (WastRetCore::RefI31Shared, _) => false,
        (WastRetCore::Either(cases), _) => {
            for case in cases {
                if matches_pattern(store, val, case)? {
                    return Ok(true);
                }
            }
            false
        }
        (WastRetCore::RefHost(n), Val::AnyRef(Some(r))) => {
            let host = ExternRef::convert_any(*r);
            host.data(store).and_then(|d| d.downcast_ref::<u32>()) == Some(n)
        }
        _ => false,
    })
}

/// The answer of a question about a GC reference, or its error as text.
fn gc_check(answer: wasmfx::Result<bool>) -> Result<bool, String> {
    answer.map_err(|e| format!("{e:#}"))
}

/// Matches an `f32` result against a value or NaN pattern. Exact values are
/// compared bit for bit, so `-0` differs from `0` and NaN payloads matter.
fn f32_matches(pattern: &NanPattern<F32>, bits: u32) -> bool {
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

/// Matches an `f64` result against a value or NaN pattern (see [`f32_matches`]).
fn f64_matches(pattern: &NanPattern<F64>, bits: u64) -> bool {
    match pattern {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

/// Matches a `v128` result lane by lane.
fn v128_matches(pattern: &V128Pattern, actual: u128) -> bool {
    let bytes = actual.to_le_bytes();
    match pattern {
        V128Pattern::I8x16(lanes) => lanes.iter().zip(bytes).all(|(e, a)| *e as u8 == a),
        V128Pattern::I16x8(lanes) => lanes
            .iter()
            .zip(bytes.chunks_exact(2))
            .all(|(e, a)| e.to_le_bytes() == a),
        V128Pattern::I32x4(lanes) => lanes
            .iter()
            .zip(bytes.chunks_exact(4))
            .all(|(e, a)| e.to_le_bytes() == a),
        V128Pattern::I64x2(lanes) => lanes
            .iter()
            .zip(bytes.chunks_exact(8))
            .all(|(e, a)| e.to_le_bytes() == a),
        V128Pattern::F32x4(lanes) => lanes.iter().zip(bytes.chunks_exact(4)).all(|(e, a)| {
            let mut lane = [0; 4];
            lane.copy_from_slice(a);
            f32_matches(e, u32::from_le_bytes(lane))
        }),
        V128Pattern::F64x2(lanes) => lanes.iter().zip(bytes.chunks_exact(8)).all(|(e, a)| {
            let mut lane = [0; 8];
            lane.copy_from_slice(a);
            f64_matches(e, u64::from_le_bytes(lane))
        }),
    }
}

/// Formats a value for failure messages, e.g. `i32:7` or `f32:1.5 (0x3fc00000)`.
pub(crate) fn val_to_string(store: &Store<()>, val: &Val) -> String {
    match val {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(bits) => format!("f32:{} ({bits:#010x})", f32::from_bits(*bits)),
        Val::F64(bits) => format!("f64:{} ({bits:#018x})", f64::from_bits(*bits)),
        Val::V128(x) => format!("v128:{:#034x}", x.as_u128()),
        Val::FuncRef(None) => "ref.null func".to_string(),
        Val::FuncRef(Some(_)) => "ref.func".to_string(),
        Val::ExternRef(None) => "ref.null extern".to_string(),
        Val::AnyRef(None) => "ref.null any".to_string(),
        Val::AnyRef(Some(r)) => match r.as_i31() {
            Some(i) => format!("ref.i31 {}", i.get_u32()),
            None => match (r.array_len(store), r.ty(store)) {
                (Ok(Some(len)), Ok(ty)) => format!("ref.array ({ty:?}, length {len})"),
                (Ok(None), Ok(ty)) => format!("ref.struct ({ty:?})"),
                (Err(e), _) | (_, Err(e)) => format!("ref.any ({e})"),
            },
        },
        Val::ExnRef(None) => "ref.null exn".to_string(),
        Val::ExnRef(Some(_)) => "ref.exn".to_string(),
        Val::ContRef(None) => "ref.null cont".to_string(),
        Val::ContRef(Some(_)) => "ref.cont".to_string(),
        Val::ExternRef(Some(r)) => match r.data(store).and_then(|d| d.downcast_ref::<u32>()) {
            Some(n) => format!("ref.extern {n}"),
            None => "ref.extern <host value>".to_string(),
        },
    }
}

/// Formats an expected result pattern for failure messages.
fn ret_to_string(ret: &WastRet<'_>) -> String {
    match ret {
        WastRet::Core(core) => ret_core_to_string(core),
        _ => "<component value>".to_string(),
    }
}

/// Formats a core result pattern in (roughly) its script syntax.
fn ret_core_to_string(ret: &WastRetCore<'_>) -> String {
    fn f32_pattern(p: &NanPattern<F32>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".to_string(),
            NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
            NanPattern::Value(v) => format!("{} ({:#010x})", f32::from_bits(v.bits), v.bits),
        }
    }
    fn f64_pattern(p: &NanPattern<F64>) -> String {
        match p {
            NanPattern::CanonicalNan => "nan:canonical".to_string(),
            NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
            NanPattern::Value(v) => format!("{} ({:#018x})", f64::from_bits(v.bits), v.bits),
        }
    }
    match ret {
        WastRetCore::I32(x) => format!("i32:{x}"),
        WastRetCore::I64(x) => format!("i64:{x}"),
        WastRetCore::F32(p) => format!("f32:{}", f32_pattern(p)),
        WastRetCore::F64(p) => format!("f64:{}", f64_pattern(p)),
        WastRetCore::V128(p) => match p {
            V128Pattern::I8x16(l) => format!("v128 i8x16 {l:?}"),
            V128Pattern::I16x8(l) => format!("v128 i16x8 {l:?}"),
            V128Pattern::I32x4(l) => format!("v128 i32x4 {l:?}"),
            V128Pattern::I64x2(l) => format!("v128 i64x2 {l:?}"),
            V128Pattern::F32x4(l) => format!(
                "v128 f32x4 [{}]",
                l.iter().map(f32_pattern).collect::<Vec<_>>().join(", ")
            ),
            V128Pattern::F64x2(l) => format!(
                "v128 f64x2 [{}]",
                l.iter().map(f64_pattern).collect::<Vec<_>>().join(", ")
            ),
        },
        WastRetCore::RefNull(None) => "ref.null".to_string(),
        WastRetCore::RefNull(Some(h)) => format!("ref.null {}", heap_type_name(h)),
        WastRetCore::RefExtern(None) => "ref.extern".to_string(),
        WastRetCore::RefExtern(Some(n)) => format!("ref.extern {n}"),
        WastRetCore::RefHost(n) => format!("ref.host {n}"),
        WastRetCore::RefFunc(None) => "ref.func".to_string(),
        WastRetCore::RefFunc(Some(i)) => format!("ref.func {i:?}"),
        WastRetCore::RefAny => "ref.any".to_string(),
        WastRetCore::RefEq => "ref.eq".to_string(),
        WastRetCore::RefArray => "ref.array".to_string(),
        WastRetCore::RefStruct => "ref.struct".to_string(),
        WastRetCore::RefI31 => "ref.i31".to_string(),
        WastRetCore::RefI31Shared => "ref.i31_shared".to_string(),
        WastRetCore::Either(cases) => format!(
            "either({})",
            cases
                .iter()
                .map(ret_core_to_string)
                .collect::<Vec<_>>()
                .join(" | ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_patterns() {
        assert!(f32_matches(&NanPattern::CanonicalNan, 0x7fc0_0000));
        assert!(f32_matches(&NanPattern::CanonicalNan, 0xffc0_0000));
        assert!(!f32_matches(&NanPattern::CanonicalNan, 0x7fc0_0001));
        assert!(f32_matches(&NanPattern::ArithmeticNan, 0x7fc0_0001));
        assert!(!f32_matches(&NanPattern::ArithmeticNan, 0x7f80_0001));
        assert!(!f32_matches(&NanPattern::ArithmeticNan, 0x3f80_0000));
        assert!(f64_matches(
            &NanPattern::CanonicalNan,
            0xfff8_0000_0000_0000
        ));
        assert!(!f64_matches(
            &NanPattern::CanonicalNan,
            0x7ff8_0000_0000_0001
        ));
        assert!(f64_matches(
            &NanPattern::ArithmeticNan,
            0x7ff8_0000_0000_0001
        ));
        assert!(!f64_matches(
            &NanPattern::ArithmeticNan,
            0x7ff0_0000_0000_0001
        ));
        assert!(f32_matches(
            &NanPattern::Value(F32 { bits: 0x8000_0000 }),
            0x8000_0000
        ));
        assert!(!f32_matches(
            &NanPattern::Value(F32 { bits: 0 }),
            0x8000_0000
        ));
    }

    #[test]
    fn v128_lanes() {
        let v = u128::from_le_bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(v128_matches(&V128Pattern::I32x4([1, 2, 3, -1]), v));
        assert!(!v128_matches(&V128Pattern::I32x4([1, 2, 3, 4]), v));
        assert!(v128_matches(
            &V128Pattern::I64x2([0x2_0000_0001, -0x1_0000_0000 + 3]),
            v
        ));
    }

    #[test]
    fn gc_reference_patterns() {
        use wasmfx::{AnyRef, Engine, I31};
        let engine = Engine::default();
        let store = Store::new(&engine, ());
        let i31 = Val::AnyRef(Some(AnyRef::from_i31(&store, I31::wrapping_u32(7))));
        let null = Val::AnyRef(None);
        let check = |val: &Val, pattern: WastRetCore<'_>| matches_pattern(&store, val, &pattern);
        let non_null: [fn() -> WastRetCore<'static>; 3] = [
            || WastRetCore::RefAny,
            || WastRetCore::RefEq,
            || WastRetCore::RefI31,
        ];
        for pattern in non_null {
            assert_eq!(check(&i31, pattern()), Ok(true));
            assert_eq!(check(&null, pattern()), Ok(false));
            assert_eq!(check(&Val::I32(7), pattern()), Ok(false));
        }
        for pattern in [
            WastRetCore::RefStruct,
            WastRetCore::RefArray,
            WastRetCore::RefI31Shared,
            WastRetCore::RefNull(None),
            WastRetCore::RefExtern(None),
        ] {
            assert_eq!(check(&i31, pattern), Ok(false));
        }
        let null_i31 = WastRetCore::RefNull(Some(HeapType::Abstract {
            shared: false,
            ty: AbstractHeapType::I31,
        }));
        assert_eq!(check(&null, null_i31), Ok(true));
        assert_eq!(val_to_string(&store, &i31), "ref.i31 7");
        assert_eq!(val_to_string(&store, &null), "ref.null any");

        // A reference of another store is reported, not a panic.
        let other = Store::new(&engine, ());
        let foreign = Val::AnyRef(Some(AnyRef::from_i31(&other, I31::default())));
        assert!(check(&foreign, WastRetCore::RefStruct).is_err());
    }
}
