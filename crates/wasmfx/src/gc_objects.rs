//! Struct and array objects of the GC heap seen from the host: [`StructRef`] and [`ArrayRef`],
//! made from an [`AnyRef`] that refers to one or allocated by the host, with their fields and
//! elements read and written as [`Val`]s (checked against the type, mutability included).

use crate::store::StoreOpaque;
use crate::{AnyRef, AsContext, AsContextMut, TypeId, Val, ValType};
use anyhow::{bail, Result};
use wasmfx_environ::{
    gc_header, ArrayLayout, GcStorage, GcTypeLayout, StructLayout, WasmCompositeType, WasmFieldType,
};
use wasmfx_runtime::{element, load_bits, store_bits};

/// A reference to a struct object: a `structref`, or a reference to a defined struct type.
/// Rooted as the [`AnyRef`] it is made from.
#[derive(Clone, Copy, Debug)]
pub struct StructRef(AnyRef);

/// A reference to an array object: an `arrayref`, or a reference to a defined array type.
/// Rooted as the [`AnyRef`] it is made from.
#[derive(Clone, Copy, Debug)]
pub struct ArrayRef(AnyRef);

/// A field's type, as the host sees it, with how it is stored.
struct Field {
    /// The value type (`i32` for a packed field).
    ty: ValType,
    storage: GcStorage,
    mutable: bool,
}

/// The fields of struct type `type_id` (with their layout), or of the elements of array type
/// `type_id`, of the engine of `store`.
fn fields_of(store: &StoreOpaque, type_id: u32) -> Result<(Vec<Field>, GcTypeLayout)> {
    let types = store.engine.types();
    let (Some(layout), true) = (types.gc_layout(type_id), (type_id as usize) < types.len()) else {
        bail!("type {type_id} is not a struct or array type");
    };
    let fields: Vec<&WasmFieldType> = match &types.get(type_id).composite {
        WasmCompositeType::Struct(fields) => fields.iter().collect(),
        WasmCompositeType::Array(elem) => vec![elem],
        _ => bail!("type {type_id} is not a struct or array type"),
    };
    let fields = fields
        .into_iter()
        .map(|f| {
            Ok(Field {
                ty: ValType::from_env(f.ty)?,
                storage: types.field_storage(f),
                mutable: f.mutable,
            })
        })
        .collect::<Result<_>>()?;
    Ok((fields, layout))
}

/// A new object of engine type `type_id` laid out as `layout`, `size` bytes with header length
/// `length`: zeroed, and rooted in the innermost scope.
fn allocate(
    store: &mut StoreOpaque,
    type_id: u32,
    layout: &GcTypeLayout,
    size: usize,
    length: u32,
) -> Result<(usize, AnyRef)> {
    store.state.register_gc_type(type_id, layout);
    // The host's references are all rooted, so the allocation may collect first.
    let Some(object) = store.state.gc_alloc(type_id, size, length, true)? else {
        bail!("GC heap exhausted: no room for an object of {size} bytes");
    };
    let Some(anyref) = AnyRef::from_raw(store, object as u64) else {
        bail!("the GC heap gave no object");
    };
    Ok((object, anyref))
}

/// Writes `value`, checked against `field`, at `addr`.
fn write(store: &mut StoreOpaque, field: &Field, addr: usize, value: Val) -> Result<()> {
    let bits = value.to_raw(store, field.ty)?.get_u128();
    // SAFETY: `addr` is a field or element of a live object stored as `field.storage`.
    unsafe { store_bits(addr, field.storage, bits) };
    Ok(())
}

/// Reads the value of `field` at `addr`.
fn read(store: &mut StoreOpaque, field: &Field, addr: usize) -> Val {
    // SAFETY: `addr` is a field or element of a live object stored as `field.storage`.
    let bits = unsafe { load_bits(addr, field.storage) };
    Val::from_raw(store, wasmfx_runtime::VMVal::u128(bits), field.ty)
}

impl AnyRef {
    /// This reference as a [`StructRef`], if it refers to a struct. Fails if it belongs to
    /// another store or its scope has ended.
    pub fn as_struct(&self, store: impl AsContext) -> Result<Option<StructRef>> {
        Ok(self.is_struct(store)?.then_some(StructRef(*self)))
    }

    /// This reference as an [`ArrayRef`], if it refers to an array. Fails if it belongs to
    /// another store or its scope has ended.
    pub fn as_array(&self, store: impl AsContext) -> Result<Option<ArrayRef>> {
        Ok(self.is_array(store)?.then_some(ArrayRef(*self)))
    }
}

impl StructRef {
    /// A new struct of type `ty` (a struct type of the store's engine, such as
    /// [`Module::type_id`](crate::Module::type_id) gives) with `fields`, one value per field
    /// of the type's (packed fields take an `i32`, truncated). Fails if a value does not match
    /// its field's type, or if the GC heap is exhausted.
    pub fn new(mut store: impl AsContextMut, ty: TypeId, fields: &[Val]) -> Result<StructRef> {
        let store = &mut store.as_context_mut().0.opaque;
        let (types, layout) = fields_of(store, ty.0)?;
        let GcTypeLayout::Struct(struct_layout) = &layout else {
            bail!("type {} is an array type, not a struct type", ty.0);
        };
        if fields.len() != types.len() {
            bail!(
                "a struct of this type has {} fields, {} values given",
                types.len(),
                fields.len()
            );
        }
        // Checked before allocating: a failed check leaves nothing behind.
        for (field, value) in types.iter().zip(fields) {
            (*value).to_raw(store, field.ty)?;
        }
        let size = struct_layout.size as usize;
        let (object, anyref) = allocate(store, ty.0, &layout, size, gc_header::STRUCT_LENGTH)?;
        for ((field, place), value) in types.iter().zip(&struct_layout.fields).zip(fields) {
            write(store, field, object + place.offset as usize, *value)?;
        }
        Ok(StructRef(anyref))
    }

    /// The struct as an [`AnyRef`].
    pub fn to_anyref(&self) -> AnyRef {
        self.0
    }

    /// The struct `anyref` refers to (known to be one).
    pub(crate) fn from_anyref(anyref: AnyRef) -> StructRef {
        StructRef(anyref)
    }

    /// The struct's type.
    pub fn ty(&self, store: impl AsContext) -> Result<TypeId> {
        Ok(TypeId(self.object(&store.as_context().0.opaque)?.1))
    }

    /// The object's address and type id, and its fields with their places.
    fn object(&self, store: &StoreOpaque) -> Result<(usize, u32)> {
        match self.0.object(store)? {
            Some((object, type_id, _)) => Ok((object, type_id)),
            None => bail!("not a reference to a struct"),
        }
    }

    /// The field `index` of the struct, with its address.
    fn field_at(&self, store: &StoreOpaque, index: usize) -> Result<(Field, usize)> {
        let (object, type_id) = self.object(store)?;
        let (mut fields, layout) = fields_of(store, type_id)?;
        let GcTypeLayout::Struct(StructLayout { fields: places, .. }) = layout else {
            bail!("not a reference to a struct");
        };
        if index >= fields.len() {
            bail!(
                "field {index} out of bounds: the struct has {} fields",
                fields.len()
            );
        }
        Ok((
            fields.swap_remove(index),
            object + places[index].offset as usize,
        ))
    }

    /// The number of fields.
    pub fn fields_len(&self, store: impl AsContext) -> Result<usize> {
        let store = &store.as_context().0.opaque;
        Ok(fields_of(store, self.object(store)?.1)?.0.len())
    }

    /// The value of field `index` (a packed field's zero-extended).
    pub fn field(&self, mut store: impl AsContextMut, index: usize) -> Result<Val> {
        let store = &mut store.as_context_mut().0.opaque;
        let (field, addr) = self.field_at(store, index)?;
        Ok(read(store, &field, addr))
    }

    /// Sets field `index` to `value` (truncated for a packed field). Fails if the field is
    /// immutable or `value` does not match its type.
    pub fn set_field(&self, mut store: impl AsContextMut, index: usize, value: Val) -> Result<()> {
        let store = &mut store.as_context_mut().0.opaque;
        let (field, addr) = self.field_at(store, index)?;
        if !field.mutable {
            bail!("field {index} of the struct is immutable");
        }
        write(store, &field, addr, value)
    }
}

impl ArrayRef {
    /// A new array of type `ty` (an array type of the store's engine) of `len` elements, each
    /// `elem`. Fails if `elem` does not match the element type, or if the GC heap is
    /// exhausted.
    pub fn new(mut store: impl AsContextMut, ty: TypeId, elem: &Val, len: u32) -> Result<ArrayRef> {
        let store = &mut store.as_context_mut().0.opaque;
        let (field, layout, array_layout) = Self::element_type(store, ty.0)?;
        (*elem).to_raw(store, field.ty)?;
        let (object, anyref) = Self::allocate(store, ty.0, &layout, &array_layout, len)?;
        for index in 0..len as usize {
            let addr = element(object, &array_layout, index);
            write(store, &field, addr, *elem)?;
        }
        Ok(ArrayRef(anyref))
    }

    /// A new array of type `ty` holding `elems`.
    pub fn new_fixed(mut store: impl AsContextMut, ty: TypeId, elems: &[Val]) -> Result<ArrayRef> {
        let store = &mut store.as_context_mut().0.opaque;
        let (field, layout, array_layout) = Self::element_type(store, ty.0)?;
        for elem in elems {
            (*elem).to_raw(store, field.ty)?;
        }
        let Ok(len) = u32::try_from(elems.len()) else {
            bail!("an array of {} elements is too long", elems.len());
        };
        let (object, anyref) = Self::allocate(store, ty.0, &layout, &array_layout, len)?;
        for (index, elem) in elems.iter().enumerate() {
            write(store, &field, element(object, &array_layout, index), *elem)?;
        }
        Ok(ArrayRef(anyref))
    }

    /// The element type of array type `type_id`, with the type's layout.
    fn element_type(
        store: &StoreOpaque,
        type_id: u32,
    ) -> Result<(Field, GcTypeLayout, ArrayLayout)> {
        let (mut fields, layout) = fields_of(store, type_id)?;
        let GcTypeLayout::Array(array_layout) = layout.clone() else {
            bail!("type {type_id} is a struct type, not an array type");
        };
        Ok((fields.swap_remove(0), layout, array_layout))
    }

    /// A new zeroed array of `len` elements.
    fn allocate(
        store: &mut StoreOpaque,
        type_id: u32,
        layout: &GcTypeLayout,
        array_layout: &ArrayLayout,
        len: u32,
    ) -> Result<(usize, AnyRef)> {
        let Some(size) = array_layout.size(len) else {
            bail!("an array of {len} elements does not fit in memory");
        };
        allocate(store, type_id, layout, size, len)
    }

    /// The array as an [`AnyRef`].
    pub fn to_anyref(&self) -> AnyRef {
        self.0
    }

    /// The array `anyref` refers to (known to be one).
    pub(crate) fn from_anyref(anyref: AnyRef) -> ArrayRef {
        ArrayRef(anyref)
    }

    /// The array's type.
    pub fn ty(&self, store: impl AsContext) -> Result<TypeId> {
        Ok(TypeId(self.object(&store.as_context().0.opaque)?.1))
    }

    /// The object's address, type id and length.
    fn object(&self, store: &StoreOpaque) -> Result<(usize, u32, u32)> {
        match self.0.object(store)? {
            Some(object) => Ok(object),
            None => bail!("not a reference to an array"),
        }
    }

    /// The number of elements.
    pub fn len(&self, store: impl AsContext) -> Result<u32> {
        Ok(self.object(&store.as_context().0.opaque)?.2)
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self, store: impl AsContext) -> Result<bool> {
        Ok(self.len(store)? == 0)
    }

    /// Element `index`, with its address.
    fn element_at(&self, store: &StoreOpaque, index: u32) -> Result<(Field, usize)> {
        let (object, type_id, len) = self.object(store)?;
        if index >= len {
            bail!("element {index} out of bounds: the array has {len} elements");
        }
        let (field, _, array_layout) = Self::element_type(store, type_id)?;
        Ok((field, element(object, &array_layout, index as usize)))
    }

    /// The value of element `index` (a packed element's zero-extended).
    pub fn get(&self, mut store: impl AsContextMut, index: u32) -> Result<Val> {
        let store = &mut store.as_context_mut().0.opaque;
        let (field, addr) = self.element_at(store, index)?;
        Ok(read(store, &field, addr))
    }

    /// Sets element `index` to `value` (truncated for a packed element). Fails if the
    /// elements are immutable or `value` does not match their type.
    pub fn set(&self, mut store: impl AsContextMut, index: u32, value: Val) -> Result<()> {
        let store = &mut store.as_context_mut().0.opaque;
        let (field, addr) = self.element_at(store, index)?;
        if !field.mutable {
            bail!("the elements of the array are immutable");
        }
        write(store, &field, addr, value)
    }
}
