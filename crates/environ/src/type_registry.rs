//! The engine-wide type registry: canonicalises recursion groups so that equivalent types of
//! different modules (and of host functions) get the same id, and answers subtyping questions
//! about canonical types.
//!
//! A recursion group is canonicalised by rewriting its references to types inside the group as
//! group-relative indices and its references to earlier types as their engine ids; two groups
//! are equivalent exactly when those rewritten forms are equal (iso-recursive equivalence), so a
//! hash map from rewritten group to first id does the rest.

use crate::types::*;
use std::collections::HashMap;

/// A canonical type with its supertype chain.
#[derive(Clone, Debug)]
pub struct RegisteredType {
    /// The definition, every index an engine id.
    pub sub: WasmSubType,
    /// The supertype chain from the root of the hierarchy down to this type itself.
    pub chain: Box<[u32]>,
}

/// Canonical types of one engine. Types are never removed: an engine keeps the types of every
/// module it compiled.
#[derive(Default, Debug)]
pub struct TypeRegistry {
    groups: HashMap<Box<[WasmSubType]>, u32>,
    types: Vec<RegisteredType>,
}

/// A final function type with no supertype, as one recursion group of its own.
fn func_sub_type(ty: WasmFuncType) -> WasmSubType {
    WasmSubType {
        is_final: true,
        supertype: None,
        shared: false,
        composite: WasmCompositeType::Func(ty),
    }
}

/// The registry's key for recursion group `group`: module indices rewritten by `resolve`.
fn canonical_group(
    group: &[WasmSubType],
    mut resolve: impl FnMut(u32) -> TypeIndex,
) -> Box<[WasmSubType]> {
    group
        .iter()
        .map(|t| {
            t.map(&mut |i| match i {
                TypeIndex::Module(m) => resolve(m),
                other => other,
            })
        })
        .collect()
}

impl TypeRegistry {
    /// Registers the types of a module's type section (`types`, module-indexed, grouped by
    /// `rec_groups` as `(start, len)`), returning the engine id of each module type.
    pub fn register_module(
        &mut self,
        types: &[WasmSubType],
        rec_groups: &[(u32, u32)],
    ) -> Vec<u32> {
        let mut ids: Vec<u32> = Vec::with_capacity(types.len());
        for &(start, len) in rec_groups {
            let group = &types[start as usize..(start + len) as usize];
            let first = self.register_group(group, |i| {
                if i >= start {
                    TypeIndex::RecGroup(i - start)
                } else {
                    // Validation guarantees every index outside the group is an earlier one.
                    TypeIndex::Engine(ids.get(i as usize).copied().unwrap_or(u32::MAX))
                }
            });
            ids.extend(first..first + len);
        }
        ids
    }

    /// Registers a function type used outside any module (a host function's); its engine id.
    pub fn register_func(&mut self, ty: WasmFuncType) -> u32 {
        let sub = func_sub_type(ty);
        self.register_group(std::slice::from_ref(&sub), |_| TypeIndex::Engine(u32::MAX))
    }

    /// The id of the final function type `ty` (no supertype, indices engine ids), if it is
    /// registered: what [`TypeRegistry::register_func`] would return, without writing.
    pub fn func_id(&self, ty: &WasmFuncType) -> Option<u32> {
        let sub = func_sub_type(ty.clone());
        let key = canonical_group(std::slice::from_ref(&sub), |_| TypeIndex::Engine(u32::MAX));
        self.groups.get(&key).copied()
    }

    /// Registers one recursion group whose module indices `resolve` rewrites.
    fn register_group(
        &mut self,
        group: &[WasmSubType],
        resolve: impl FnMut(u32) -> TypeIndex,
    ) -> u32 {
        let key = canonical_group(group, resolve);
        if let Some(first) = self.groups.get(&key) {
            return *first;
        }
        let first = self.types.len() as u32;
        for sub in key.iter() {
            let sub = sub.map(&mut |i| match i {
                TypeIndex::RecGroup(r) => TypeIndex::Engine(first + r),
                other => other,
            });
            let id = self.types.len() as u32;
            let mut chain: Vec<u32> = match sub.supertype.and_then(TypeIndex::engine) {
                Some(sup) => self
                    .types
                    .get(sup as usize)
                    .map_or_else(Vec::new, |t| t.chain.to_vec()),
                None => Vec::new(),
            };
            chain.push(id);
            self.types.push(RegisteredType {
                sub,
                chain: chain.into(),
            });
        }
        self.groups.insert(key, first);
        first
    }

    /// The number of types registered: ids are below it.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether no type is registered.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// The supertype chain of engine type `id`, from the root of its hierarchy down to `id`
    /// itself. The slice stays where it is as long as the registry (types are never
    /// removed, and each chain is a box of its own).
    pub fn chain(&self, id: u32) -> &[u32] {
        &self.types[id as usize].chain
    }

    /// The canonical type with engine id `id`.
    pub fn get(&self, id: u32) -> &WasmSubType {
        &self.types[id as usize].sub
    }

    /// The function type with engine id `id`, if it is one.
    pub fn func_type(&self, id: u32) -> Option<&WasmFuncType> {
        self.types.get(id as usize).and_then(|t| t.sub.as_func())
    }

    /// Whether canonical type `sub` is `sup` or declared (transitively) as its subtype.
    pub fn is_subtype(&self, sub: u32, sup: u32) -> bool {
        if sub == sup {
            return true;
        }
        let (Some(a), Some(b)) = (self.types.get(sub as usize), self.types.get(sup as usize))
        else {
            return false;
        };
        let depth = b.chain.len() - 1;
        a.chain.get(depth) == Some(&sup)
    }

    /// Whether heap type `a` matches `b` (both with engine indices).
    pub fn is_heap_subtype(&self, a: WasmHeapType, b: WasmHeapType) -> bool {
        use AbstractHeapType as A;
        match (a, b) {
            (WasmHeapType::Concrete(x), WasmHeapType::Concrete(y)) => {
                match (x.engine(), y.engine()) {
                    (Some(x), Some(y)) => self.is_subtype(x, y),
                    _ => false,
                }
            }
            (WasmHeapType::Concrete(x), WasmHeapType::Abstract { shared, ty }) => {
                let Some(def) = x.engine().and_then(|x| self.types.get(x as usize)) else {
                    return false;
                };
                if def.sub.shared != shared {
                    return false;
                }
                matches!(
                    (&def.sub.composite, ty),
                    (WasmCompositeType::Func(_), A::Func)
                        | (WasmCompositeType::Cont(_), A::Cont)
                        | (WasmCompositeType::Struct(_), A::Struct | A::Eq | A::Any)
                        | (WasmCompositeType::Array(_), A::Array | A::Eq | A::Any)
                )
            }
            (WasmHeapType::Abstract { shared, ty }, WasmHeapType::Concrete(y)) => {
                let Some(def) = y.engine().and_then(|y| self.types.get(y as usize)) else {
                    return false;
                };
                def.sub.shared == shared && ty == abstract_bottom(def.sub.top())
            }
            (
                WasmHeapType::Abstract { shared: sa, ty: ta },
                WasmHeapType::Abstract { shared: sb, ty: tb },
            ) => sa == sb && abstract_is_subtype(ta, tb),
        }
    }

    /// Whether reference type `a` matches `b`.
    pub fn is_ref_subtype(&self, a: WasmRefType, b: WasmRefType) -> bool {
        (!a.nullable || b.nullable) && self.is_heap_subtype(a.heap, b.heap)
    }

    /// Whether value type `a` matches `b`.
    pub fn is_val_subtype(&self, a: WasmValType, b: WasmValType) -> bool {
        match (a, b) {
            (WasmValType::Ref(a), WasmValType::Ref(b)) => self.is_ref_subtype(a, b),
            (a, b) => a == b,
        }
    }
}

/// Subtyping between abstract heap types.
pub fn abstract_is_subtype(a: AbstractHeapType, b: AbstractHeapType) -> bool {
    use AbstractHeapType as A;
    if a == b {
        return true;
    }
    if abstract_top(a) != abstract_top(b) {
        return false;
    }
    if a == abstract_bottom(a) || b == abstract_top(b) {
        return true;
    }
    matches!((a, b), (A::I31 | A::Struct | A::Array, A::Eq))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn func(params: &[WasmValType], supertype: Option<TypeIndex>, is_final: bool) -> WasmSubType {
        WasmSubType {
            is_final,
            supertype,
            shared: false,
            composite: WasmCompositeType::Func(WasmFuncType {
                params: params.into(),
                results: Box::new([]),
            }),
        }
    }

    fn ref_to(i: TypeIndex) -> WasmValType {
        WasmValType::Ref(WasmRefType {
            nullable: true,
            heap: WasmHeapType::Concrete(i),
        })
    }

    #[test]
    fn equivalent_groups_share_ids_across_modules() {
        let mut reg = TypeRegistry::default();
        // (rec (type $a (func (param (ref null $b)))) (type $b (func (param (ref null $a)))))
        let m1 = vec![
            func(&[ref_to(TypeIndex::Module(1))], None, true),
            func(&[ref_to(TypeIndex::Module(0))], None, true),
        ];
        let a = reg.register_module(&m1, &[(0, 2)]);
        // The same group after an unrelated type.
        let m2 = vec![
            func(&[WasmValType::I32], None, true),
            func(&[ref_to(TypeIndex::Module(2))], None, true),
            func(&[ref_to(TypeIndex::Module(1))], None, true),
        ];
        let b = reg.register_module(&m2, &[(0, 1), (1, 2)]);
        assert_eq!(&b[1..], &a[..]);
        assert_ne!(b[0], a[0]);
        // The same two types as separate groups are different types.
        let m3 = vec![func(&[WasmValType::I32], None, true)];
        let c = reg.register_module(&m3, &[(0, 1)]);
        assert_eq!(c[0], b[0]);
        assert_eq!(
            reg.register_func(WasmFuncType {
                params: Box::new([WasmValType::I32]),
                results: Box::new([]),
            }),
            b[0]
        );
    }

    #[test]
    fn declared_subtypes() {
        let mut reg = TypeRegistry::default();
        let m = vec![
            func(&[], None, false),
            func(&[], Some(TypeIndex::Module(0)), false),
            func(&[], Some(TypeIndex::Module(1)), true),
        ];
        let ids = reg.register_module(&m, &[(0, 1), (1, 1), (2, 1)]);
        assert!(reg.is_subtype(ids[2], ids[0]));
        assert!(reg.is_subtype(ids[1], ids[0]));
        assert!(!reg.is_subtype(ids[0], ids[1]));
        let func_top = WasmHeapType::abs(AbstractHeapType::Func);
        let concrete = WasmHeapType::Concrete(TypeIndex::Engine(ids[2]));
        assert!(reg.is_heap_subtype(concrete, func_top));
        assert!(!reg.is_heap_subtype(func_top, concrete));
        assert!(reg.is_heap_subtype(WasmHeapType::abs(AbstractHeapType::NoFunc), concrete));
        assert!(!reg.is_heap_subtype(WasmHeapType::abs(AbstractHeapType::NoExtern), concrete));
    }
}
