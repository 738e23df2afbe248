//! ECR's registry, which the emulator lacks: the proxy answers the registry
//! protocol (`/v2/...`) by forwarding it to a real OCI registry (Debian's
//! `docker-registry`), as ECR's endpoint would:
//!
//! - `GetAuthorizationToken` names the proxy as the registry's endpoint
//!   (`proxyEndpoint`), and the proxy accepts exactly the credentials that
//!   token carries (HTTP Basic, as ECR does); anything else is 401;
//! - a manifest pushed is recorded in the emulator's ECR (PutImage with the
//!   registry's digest), so DescribeImages finds the tag and its digest;
//! - the registry's `Location` headers point back at the proxy.

use bytes::Bytes;
use hyper::http::request::Parts;
use serde_json::{Value, json};

/// The registry operation a request is, named as the proxy counts it.
pub fn operation(parts: &Parts) -> String {
    let path = parts.uri.path();
    let method = parts.method.as_str();
    let op = if path.trim_end_matches('/') == "/v2" {
        "GetApiVersion"
    } else if path.contains("/manifests/") {
        match method {
            "PUT" => "PutManifest",
            "HEAD" => "HeadManifest",
            "DELETE" => "DeleteManifest",
            _ => "GetManifest",
        }
    } else if path.contains("/blobs/uploads") {
        match method {
            "POST" => "InitiateBlobUpload",
            "PATCH" => "UploadBlobPart",
            "PUT" => "CompleteBlobUpload",
            _ => "GetBlobUpload",
        }
    } else if path.contains("/blobs/") {
        match method {
            "HEAD" => "HeadBlob",
            _ => "GetBlob",
        }
    } else {
        "Other"
    };
    format!("registry:{op}")
}

/// The answer to a request without the token's credentials.
pub fn challenge() -> (u16, Vec<(&'static str, String)>, Bytes) {
    (
        401,
        vec![
            (
                "www-authenticate",
                "Basic realm=\"sidecarctl-localproxy\"".into(),
            ),
            ("content-type", "application/json".into()),
        ],
        Bytes::from(
            json!({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
                .to_string(),
        ),
    )
}

/// Whether the request carries one of the tokens handed out.
pub fn authorized(parts: &Parts, tokens: &std::collections::BTreeSet<String>) -> bool {
    parts
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|t| tokens.contains(t.trim()))
}

/// GetAuthorizationToken's answer with the proxy as the registry; the
/// tokens it carries.
pub fn rewrite_token(response: &mut Value, endpoint: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    if let Some(data) = response
        .get_mut("authorizationData")
        .and_then(Value::as_array_mut)
    {
        for d in data {
            if let Some(t) = d.get("authorizationToken").and_then(Value::as_str) {
                tokens.push(t.to_string());
            }
            d["proxyEndpoint"] = Value::String(endpoint.to_string());
        }
    }
    tokens
}

/// A pushed manifest's repository and reference (a tag or a digest).
pub fn pushed_manifest(parts: &Parts) -> Option<(String, String)> {
    if parts.method.as_str() != "PUT" {
        return None;
    }
    let rest = parts.uri.path().strip_prefix("/v2/")?;
    let (repo, reference) = rest.rsplit_once("/manifests/")?;
    Some((repo.to_string(), reference.to_string()))
}

/// The emulator's ECR PutImage request for a pushed manifest.
pub fn put_image(
    repo: &str,
    reference: &str,
    manifest: &[u8],
    media_type: &str,
    digest: &str,
) -> Value {
    let mut body = json!({
        "repositoryName": repo,
        "imageManifest": String::from_utf8_lossy(manifest),
        "imageManifestMediaType": media_type,
        "imageDigest": digest,
    });
    if !reference.starts_with("sha256:") {
        body["imageTag"] = Value::String(reference.to_string());
    }
    body
}

/// A registry `Location` header, pointed at the proxy.
pub fn relocate(location: &str, registry: &str, endpoint: &str) -> String {
    match location.strip_prefix(registry) {
        Some(rest) => format!("{endpoint}{rest}"),
        None => location.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, path: &str) -> Parts {
        hyper::Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap()
            .into_parts()
            .0
    }

    #[test]
    fn registry_requests_are_named_and_pushes_found() {
        assert_eq!(operation(&parts("GET", "/v2/")), "registry:GetApiVersion");
        assert_eq!(
            operation(&parts("PUT", "/v2/app/api/manifests/v1")),
            "registry:PutManifest"
        );
        assert_eq!(
            operation(&parts("POST", "/v2/app/api/blobs/uploads/")),
            "registry:InitiateBlobUpload"
        );
        assert_eq!(
            operation(&parts("HEAD", "/v2/app/api/blobs/sha256:ab")),
            "registry:HeadBlob"
        );
        assert_eq!(
            pushed_manifest(&parts("PUT", "/v2/app/api/manifests/v1")),
            Some(("app/api".into(), "v1".into()))
        );
        assert_eq!(
            pushed_manifest(&parts("GET", "/v2/app/api/manifests/v1")),
            None
        );
    }

    #[test]
    fn the_token_names_the_proxy_and_a_digest_push_has_no_tag() {
        let mut r = json!({"authorizationData": [{"authorizationToken": "QVdTOnB3", "proxyEndpoint": "https://1.dkr.ecr.us-east-1.amazonaws.com"}]});
        assert_eq!(rewrite_token(&mut r, "http://127.0.0.1:9"), ["QVdTOnB3"]);
        assert_eq!(
            r["authorizationData"][0]["proxyEndpoint"],
            "http://127.0.0.1:9"
        );
        let p = put_image("app/api", "sha256:ab", b"{}", "m", "sha256:ab");
        assert!(p.get("imageTag").is_none());
        assert_eq!(
            put_image("app/api", "v1", b"{}", "m", "sha256:ab")["imageTag"],
            "v1"
        );
        assert_eq!(
            relocate(
                "http://127.0.0.1:5000/v2/x/blobs/uploads/u?a=1",
                "http://127.0.0.1:5000",
                "http://127.0.0.1:9"
            ),
            "http://127.0.0.1:9/v2/x/blobs/uploads/u?a=1"
        );
    }
}
