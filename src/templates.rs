//! Tera, built once at start from the templates embedded in the binary.

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

/// Parses every embedded template; names end in `.html`, so Tera autoescapes them.
pub fn build() -> Result<tera::Tera, tera::Error> {
    let mut tera = tera::Tera::new();
    let files: Vec<(String, String)> = TemplateFiles::iter()
        .filter_map(|name| {
            let file = TemplateFiles::get(&name)?;
            Some((
                name.to_string(),
                String::from_utf8_lossy(&file.data).into_owned(),
            ))
        })
        .collect();
    tera.add_raw_templates(files)?;
    Ok(tera)
}
