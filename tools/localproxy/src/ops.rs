//! Which AWS operation a request is, and how that service's protocol writes errors.

use hyper::http::request::Parts;

/// The AWS wire protocol of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// `X-Amz-Target` with a JSON body (ECS, ECR, CloudWatch Logs, SSM, Secrets Manager).
    Json,
    /// Form-encoded `Action=` with XML answers (IAM, STS, EC2).
    Query,
    /// REST with JSON (EFS).
    RestJson,
    /// REST with XML (S3, path-style).
    RestXml,
}

/// `service:Operation`, as IAM names it, and the protocol.
pub fn identify(parts: &Parts, body: &[u8]) -> (String, Protocol) {
    let service = signing_service(parts).unwrap_or_else(|| "unknown".into());
    if let Some(target) = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
    {
        let op = target.rsplit('.').next().unwrap_or(target);
        return (format!("{service}:{op}"), Protocol::Json);
    }
    let text = std::str::from_utf8(body).unwrap_or_default();
    if let Some(action) = text.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return (format!("{service}:{action}"), Protocol::Query);
    }
    let path = parts.uri.path();
    let method = parts.method.as_str();
    if service == "s3" {
        return (format!("s3:{}", s3_operation(parts)), Protocol::RestXml);
    }
    let op = match (method, path.trim_end_matches('/')) {
        ("GET", p) if p.ends_with("/file-systems") => "DescribeFileSystems".to_string(),
        ("POST", p) if p.ends_with("/file-systems") => "CreateFileSystem".to_string(),
        ("GET", p) if p.ends_with("/access-points") => "DescribeAccessPoints".to_string(),
        ("POST", p) if p.ends_with("/access-points") => "CreateAccessPoint".to_string(),
        // EventBridge Scheduler: /schedules/{name}.
        (m, p) if service == "scheduler" && p.starts_with("/schedules/") => match m {
            "GET" => "GetSchedule",
            "POST" => "CreateSchedule",
            "PUT" => "UpdateSchedule",
            "DELETE" => "DeleteSchedule",
            _ => return (format!("scheduler:{method} {path}"), Protocol::RestJson),
        }
        .to_string(),
        ("GET", "/schedules") if service == "scheduler" => "ListSchedules".to_string(),
        _ => format!("{method} {path}"),
    };
    (format!("{service}:{op}"), Protocol::RestJson)
}

/// An S3 request's operation, from its method, path-style path and query.
fn s3_operation(parts: &Parts) -> String {
    let path = parts.uri.path().trim_start_matches('/');
    let object = path.split_once('/').is_some_and(|(_, k)| !k.is_empty());
    let query = parts.uri.query().unwrap_or_default();
    let sub = |name: &str| {
        query
            .split('&')
            .any(|q| q == name || q.starts_with(&format!("{name}=")))
    };
    let method = parts.method.as_str();
    let op = match (method, object) {
        ("HEAD", false) => "HeadBucket",
        ("HEAD", true) => "HeadObject",
        ("GET", true) => "GetObject",
        ("PUT", true) => "PutObject",
        ("DELETE", true) => "DeleteObject",
        ("PUT", false) if sub("publicAccessBlock") => "PutPublicAccessBlock",
        ("PUT", false) if sub("encryption") => "PutBucketEncryption",
        ("PUT", false) if sub("tagging") => "PutBucketTagging",
        ("PUT", false) if sub("policy") => "PutBucketPolicy",
        ("PUT", false) => "CreateBucket",
        ("GET", false) => "ListObjects",
        ("DELETE", false) => "DeleteBucket",
        _ => return format!("{method} /{path}"),
    };
    op.to_string()
}

/// What a JSON request is about: an ECS service or a task definition family.
pub fn target(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let name = v["service"]
        .as_str()
        .or(v["serviceName"].as_str())
        .or(v["services"][0].as_str())
        .or(v["family"].as_str())
        .or(v["taskDefinition"].as_str())
        .or(v["Name"].as_str())?;
    Some(name.rsplit('/').next().unwrap_or(name).to_string())
}

/// The service in the SigV4 credential scope: `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
fn signing_service(parts: &Parts) -> Option<String> {
    let auth = parts.headers.get("authorization")?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?;
    let scope: Vec<&str> = cred.split(',').next()?.split('/').collect();
    scope.get(3).map(|s| s.to_string())
}

/// The region a request was signed for.
pub fn signing_region(parts: &Parts) -> Option<String> {
    let auth = parts.headers.get("authorization")?.to_str().ok()?;
    let cred = auth.split("Credential=").nth(1)?;
    let scope: Vec<&str> = cred.split(',').next()?.split('/').collect();
    scope.get(2).map(|s| s.to_string())
}

/// An error answer in the protocol's own format.
pub fn error_body(
    protocol: Protocol,
    status: u16,
    code: &str,
    message: &str,
) -> (u16, Vec<(&'static str, String)>, String) {
    match protocol {
        Protocol::Json => (
            status,
            vec![
                ("content-type", "application/x-amz-json-1.1".into()),
                ("x-amzn-errortype", code.into()),
            ],
            serde_json::json!({"__type": code, "message": message}).to_string(),
        ),
        Protocol::RestJson => (
            status,
            vec![
                ("content-type", "application/json".into()),
                ("x-amzn-errortype", code.into()),
            ],
            serde_json::json!({"ErrorCode": code, "Message": message}).to_string(),
        ),
        Protocol::RestXml => (
            status,
            vec![("content-type", "application/xml".into())],
            format!("<Error><Code>{code}</Code><Message>{message}</Message></Error>"),
        ),
        Protocol::Query => (
            status,
            vec![("content-type", "text/xml".into())],
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>sim</RequestId></ErrorResponse>",
                if status >= 500 { "Receiver" } else { "Sender" }
            ),
        ),
    }
}
