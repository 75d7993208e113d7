//! Rendering a COS template (alert rules, dashboard) to JSON: compiled once per process,
//! errors naming the template file.

use super::CosError;
use serde_json::Value;
use std::sync::OnceLock;

/// A compiled template (or why it does not compile), kept for the process.
pub(super) type Compiled = OnceLock<Result<tera::Tera, String>>;

/// Renders template `name` (text `template`, compiled into `cell` on first use) with
/// `context` and parses the result as JSON.
pub(super) fn render_json(
    cell: &'static Compiled,
    name: &str,
    template: &str,
    context: &tera::Context,
) -> Result<Value, CosError> {
    let error = |message: String| CosError::Render {
        template: format!("templates/cos/{name}"),
        message,
    };
    let tera = cell
        .get_or_init(|| {
            let mut t = tera::Tera::default();
            t.autoescape_on(vec![]);
            t.add_raw_template(name, template)
                .map_err(|e| format!("{e:?}"))?;
            Ok(t)
        })
        .as_ref()
        .map_err(|e| error(e.clone()))?;
    let text = tera
        .render(name, context)
        .map_err(|e| error(format!("{e:?}")))?;
    serde_json::from_str(&text).map_err(|e| error(e.to_string()))
}
