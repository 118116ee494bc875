//! Static files, embedded in the binary and served with cache headers.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

/// `GET /static/{path}`: revalidated by ETag, cached for a day.
pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let file = StaticFiles::get(&path).ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let cache = HeaderValue::from_static("public, max-age=86400");
    if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(file.metadata.mimetype())
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(file.data.into_owned()))
}

/// `GET /favicon.ico`: browsers ask for it at the root.
pub async fn favicon(req: HttpRequest) -> Result<HttpResponse, AppError> {
    serve(req, web::Path::from("favicon.svg".to_owned())).await
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
