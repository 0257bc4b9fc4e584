//! `unsafe_eval` bindings (`[[unsafe.bindings]]` with `type =
//! "unsafe_eval"`), as workerd has them for tests: `env.<name>.eval(code)`,
//! `newFunction(code, name, ...args)`, `newAsyncFunction(...)` and
//! `newWasmModule(bytes)` generate code at any time, where the global
//! `eval` and `Function` throw once a Worker serves events
//! (`global_scope/92_code_generation.js`).

use std::sync::Arc;

use crate::binding::{BannerRow, Binding, BindingKind, JsBinding, Prepared, entries};
use crate::stores::Stores;

deno_core::extension!(
    isola_unsafe_eval,
    deps = [isola_global_scope],
    esm_entry_point = "ext:isola_unsafe_eval/unsafe_eval.js",
    esm = [dir "src/unsafe_eval", "unsafe_eval.js"],
);

/// The `unsafe` kind: of its `bindings`, those of type `unsafe_eval`.
pub struct UnsafeBindings;

/// An entry of `unsafe.bindings`. Other fields are the binding type's own.
#[derive(Debug, serde::Deserialize)]
struct UnsafeEntry {
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

/// `env.<binding>`: code generation on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafeEvalBinding {
    pub binding: String,
}

impl BindingKind for UnsafeBindings {
    fn key(&self) -> &'static str {
        "unsafe"
    }

    fn configure(
        &self,
        mut value: serde_json::Value,
        _dir: &std::path::Path,
    ) -> Result<Vec<Arc<dyn Binding>>, String> {
        let Some(listed) = value.get_mut("bindings").map(serde_json::Value::take) else {
            return Ok(Vec::new());
        };
        let listed: Vec<UnsafeEntry> = entries("unsafe.bindings", listed)?;
        listed
            .into_iter()
            .enumerate()
            .map(|(i, entry)| match entry.kind.as_str() {
                "unsafe_eval" => Ok(Arc::new(UnsafeEvalBinding {
                    binding: entry.name,
                }) as Arc<dyn Binding>),
                other => Err(format!(
                    "`unsafe.bindings[{i}]` ({}): type {other:?} is not supported; \
                     only \"unsafe_eval\" is",
                    entry.name
                )),
            })
            .collect()
    }

    fn extension(&self) -> deno_core::Extension {
        isola_unsafe_eval::init()
    }
}

impl Binding for UnsafeEvalBinding {
    fn binding(&self) -> &str {
        &self.binding
    }

    fn describe(&self) -> JsBinding {
        JsBinding::new("unsafe_eval", serde_json::Map::new())
    }

    fn banner(&self) -> BannerRow {
        BannerRow {
            resource: "-".into(),
            kind: "Unsafe Eval",
        }
    }

    fn prepare(&self, _stores: &Stores) -> Result<Option<Prepared>, String> {
        Ok(None)
    }
}
