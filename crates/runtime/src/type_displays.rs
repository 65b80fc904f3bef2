//! The engine's table of supertype displays (`VMTypeDisplay`, by engine type id): reserved
//! once for [`TypeDisplays::CAPACITY`] types, so that it never moves and generated code reads
//! it without a lock; entries are written when types are registered, and point into the type
//! registry's supertype chains, which never move either.

use crate::region::Region;
use crate::vm::VMTypeDisplay;
use anyhow::Result;
use std::sync::Mutex;
use wasmfx_environ::TypeRegistry;

/// The engine's table of supertype displays.
#[derive(Debug)]
pub struct TypeDisplays {
    region: Region,
    /// How many entries are written.
    written: Mutex<usize>,
}

impl TypeDisplays {
    /// The number of type ids the table has room for; casts involving later types ask the
    /// runtime.
    pub const CAPACITY: usize = wasmfx_environ::type_display::CAPACITY as usize;

    /// An empty table, reserved (its pages are committed as entries are written).
    pub fn new() -> Result<TypeDisplays> {
        let bytes = Self::CAPACITY * size_of::<VMTypeDisplay>();
        Ok(TypeDisplays {
            region: Region::reserve_accessible(bytes, "the table of supertype displays")?,
            written: Mutex::new(0),
        })
    }

    /// The table's address, for generated code.
    pub fn base(&self) -> usize {
        self.region.base()
    }

    /// Writes the entries of the types `registry` registered since the last call.
    ///
    /// # Safety
    ///
    /// `registry` must be the engine's registry, and must outlive the table's readers (the
    /// entries point into it).
    pub unsafe fn sync(&self, registry: &TypeRegistry) {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        let end = registry.len().min(Self::CAPACITY);
        for id in *written..end {
            let chain = registry.chain(id as u32);
            let entry = VMTypeDisplay {
                supertypes: chain.as_ptr(),
                len: chain.len() as u32,
                _pad: 0,
            };
            // SAFETY: entry `id` is within the reservation; no reader looks at an entry of a
            // type before the type is registered and its code exists.
            unsafe {
                (self.region.base() as *mut VMTypeDisplay)
                    .add(id)
                    .write(entry)
            };
        }
        *written = (*written).max(end);
    }
}

// SAFETY: the table is written under its lock and only by `sync`; readers read entries that
// are no longer written.
unsafe impl Send for TypeDisplays {}
// SAFETY: as above.
unsafe impl Sync for TypeDisplays {}
