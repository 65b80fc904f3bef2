//! Where the references of each GC object type are, for the collector: registered per engine
//! type id when an instance of a module defining the type joins the store, read by the marker
//! for every object it traces (from the type id in the object's header).

use wasmfx_environ::{GcStorage, GcTypeLayout, ModuleInfo};

/// Where an object's references are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TraceLayout {
    /// A struct: the offsets of its reference words and of its fat continuation references.
    Struct { refs: Box<[u32]>, conts: Box<[u32]> },
    /// An array whose elements, from `elements_offset`, are stored as `elem`.
    Array {
        elements_offset: u32,
        elem: GcStorage,
    },
}

/// The trace layout of every GC type of the store, by engine type id.
#[derive(Debug, Default)]
pub(crate) struct TraceLayouts {
    by_type_id: Vec<Option<TraceLayout>>,
}

impl TraceLayouts {
    /// Registers the struct and array types of a module described by `info` whose engine ids
    /// are `type_ids`.
    pub(crate) fn register_module(&mut self, info: &ModuleInfo, type_ids: &[u32]) {
        for (ty, &id) in type_ids.iter().enumerate() {
            if self.get(id).is_some() {
                continue;
            }
            let ty = ty as u32;
            if let Some(layout) = info.struct_layout(ty) {
                self.register(id, &GcTypeLayout::Struct(layout));
            } else if let Some(layout) = info.array_layout(ty) {
                self.register(id, &GcTypeLayout::Array(layout));
            }
        }
    }

    /// Registers engine type `type_id`, whose objects are laid out as `layout`.
    pub(crate) fn register(&mut self, type_id: u32, layout: &GcTypeLayout) {
        let trace = match layout {
            GcTypeLayout::Struct(layout) => {
                let offsets = |kind: GcStorage| {
                    let fields = layout.fields.iter().filter(move |f| f.storage == kind);
                    fields.map(|f| f.offset).collect()
                };
                TraceLayout::Struct {
                    refs: offsets(GcStorage::Ref),
                    conts: offsets(GcStorage::ContRef),
                }
            }
            GcTypeLayout::Array(layout) => TraceLayout::Array {
                elements_offset: layout.elements_offset,
                elem: layout.elem,
            },
        };
        let id = type_id as usize;
        if self.by_type_id.len() <= id {
            self.by_type_id.resize(id + 1, None);
        }
        self.by_type_id[id] = Some(trace);
    }

    /// The layout of engine type `type_id`, if it is a registered struct or array type.
    pub(crate) fn get(&self, type_id: u32) -> Option<&TraceLayout> {
        self.by_type_id.get(type_id as usize)?.as_ref()
    }
}
