//! Signed requests for the few AWS operations sidecarctl makes without an SDK
//! crate (EC2's security groups, S3's objects: see `ec2` and `s3` for why),
//! over the SDK's own pieces: its HTTP client, its SigV4 signer, its
//! credential chain and its region, with the same retries (throttling, 5xx,
//! timeouts, dropped connections) and the same errors as every other call.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{
    PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
    UriPathNormalizationMode, sign,
};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use super::xml::Element;
use super::{AwsError, ErrorKind};

/// A request to sign and send.
#[derive(Clone, Debug)]
pub struct Request {
    /// `service:Operation`, as IAM names it.
    pub op: &'static str,
    /// The signing name (`ec2`, `s3`).
    pub service: &'static str,
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// An answer in the 2xx range.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// What every signed request shares: the connection, credentials, region and
/// retry settings of the SDK's configuration.
#[derive(Clone)]
pub struct Wire {
    pub region: String,
    /// `--endpoint-url` / `AWS_ENDPOINT_URL`, when given.
    custom_endpoint: Option<String>,
    credentials: Option<SharedCredentialsProvider>,
    connector: Arc<aws_smithy_http_client::Connector>,
    attempts: u32,
    attempt_timeout: Duration,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("region", &self.region)
            .field("custom_endpoint", &self.custom_endpoint)
            .finish_non_exhaustive()
    }
}

impl Wire {
    pub fn new(
        config: &aws_types::SdkConfig,
        region: &str,
        attempts: u32,
        attempt_timeout: Duration,
    ) -> Wire {
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_secs(5))
            .build();
        let connector = aws_smithy_http_client::Connector::builder()
            .connector_settings(settings)
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build();
        Wire {
            region: region.to_string(),
            custom_endpoint: config.endpoint_url().map(str::to_string),
            credentials: config.credentials_provider(),
            connector: Arc::new(connector),
            attempts: attempts.max(1),
            attempt_timeout,
        }
    }

    /// A service's endpoint: `AWS_ENDPOINT_URL_{SERVICE}`, then the endpoint
    /// every service uses, then `None` (the caller knows AWS's host names).
    pub fn custom_endpoint(&self, service_env: &str) -> Option<String> {
        std::env::var(format!("AWS_ENDPOINT_URL_{service_env}"))
            .ok()
            .filter(|e| !e.is_empty())
            .or_else(|| self.custom_endpoint.clone())
            .map(|e| e.trim_end_matches('/').to_string())
    }

    /// A service's endpoint: the custom one ([`Wire::custom_endpoint`]),
    /// else `https://{host}.{region}.{dns suffix}`.
    pub fn endpoint(&self, service_env: &str, host: &str) -> String {
        self.custom_endpoint(service_env)
            .unwrap_or_else(|| format!("https://{host}.{}.{}", self.region, self.dns_suffix()))
    }

    /// One operation of a Query-protocol service (a form-encoded `Action`
    /// and `Version`, as IAM names the operation `service:Action`): the
    /// answer's XML.
    pub async fn query(
        &self,
        op: &'static str,
        service: &'static str,
        url: &str,
        version: &str,
        params: &[(String, String)],
    ) -> Result<String, AwsError> {
        let action = op.split_once(':').map_or(op, |(_, a)| a);
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("Action", action);
        body.append_pair("Version", version);
        for (k, v) in params {
            body.append_pair(k, v);
        }
        let request = Request {
            op,
            service,
            method: "POST",
            url: url.to_string(),
            headers: vec![(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            )],
            body: body.finish().into_bytes(),
        };
        Ok(self.send(&request).await?.text())
    }

    /// The DNS suffix of the region's endpoints.
    pub fn dns_suffix(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }

    /// Sends `req`, retried as the SDK retries; an answer outside 2xx is an
    /// error, read from its XML (`<Code>`, `<Message>`) or its status alone.
    pub async fn send(&self, req: &Request) -> Result<Answer, AwsError> {
        self.send_with(req, self.attempts).await
    }

    /// As [`send`](Self::send), with at most `attempts` attempts.
    pub async fn send_with(&self, req: &Request, attempts: u32) -> Result<Answer, AwsError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match tokio::time::timeout(self.attempt_timeout, self.once(req)).await {
                Ok(r) => r,
                Err(_) => Err(AwsError {
                    timed_out: true,
                    ..AwsError::new(
                        req.op,
                        ErrorKind::Transient,
                        format!("no answer within {:?}", self.attempt_timeout),
                    )
                }),
            };
            match result {
                Err(e) if e.is_retryable() && attempt < attempts.max(1) => {
                    let backoff = Duration::from_millis(200 << (attempt - 1).min(5));
                    tracing::debug!(%e, attempt, "retrying {}", req.op);
                    tokio::time::sleep(backoff.min(Duration::from_secs(10))).await;
                }
                other => return other,
            }
        }
    }

    async fn once(&self, req: &Request) -> Result<Answer, AwsError> {
        let op = req.op;
        let credentials = match &self.credentials {
            Some(p) => p.provide_credentials().await.map_err(|e| {
                AwsError::new(
                    op,
                    ErrorKind::Credentials,
                    format!("no AWS credentials could be loaded: {e}"),
                )
            })?,
            None => {
                return Err(AwsError::new(
                    op,
                    ErrorKind::Credentials,
                    "no AWS credentials were found",
                ));
            }
        };
        let identity = credentials.into();
        let mut settings = SigningSettings::default();
        if req.service == "s3" {
            // S3 signs its payload's hash, and its paths as they are.
            settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
            settings.percent_encoding_mode = PercentEncodingMode::Single;
            settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        }
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(req.service)
            .time(SystemTime::now())
            .settings(settings)
            .build()
            .map_err(|e| AwsError::new(op, ErrorKind::Other, e.to_string()))?
            .into();
        let signable = SignableRequest::new(
            req.method,
            req.url.as_str(),
            req.headers.iter().map(|(k, v)| (*k, v.as_str())),
            SignableBody::Bytes(&req.body),
        )
        .map_err(|e| AwsError::new(op, ErrorKind::Invalid, e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| AwsError::new(op, ErrorKind::Other, e.to_string()))?
            .into_parts();
        let mut builder = http::Request::builder().method(req.method).uri(&req.url);
        for (k, v) in &req.headers {
            builder = builder.header(*k, v);
        }
        let mut request = builder
            .body(SdkBody::from(req.body.clone()))
            .map_err(|e| AwsError::new(op, ErrorKind::Invalid, e.to_string()))?;
        instructions.apply_to_request_http1x(&mut request);
        let request = HttpRequest::try_from(request)
            .map_err(|e| AwsError::new(op, ErrorKind::Invalid, e.to_string()))?;
        let response = self.connector.call(request).await.map_err(|e| {
            tracing::debug!(op, error = ?e, "dispatch failure");
            let kind = if e.is_io() || e.is_timeout() {
                ErrorKind::Transient
            } else {
                ErrorKind::Other
            };
            AwsError {
                timed_out: e.is_timeout(),
                ..AwsError::new(op, kind, super::error::dispatch_message(&e, false))
            }
        })?;
        let status = response.status().as_u16();
        // REST-JSON APIs name the error in a header (`Code:...` at most).
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .map(|t| t.split(':').next().unwrap_or(t).to_string());
        let body = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| AwsError::new(op, ErrorKind::Transient, e.to_string()))?
            .into_bytes()
            .to_vec();
        if (200..300).contains(&status) {
            return Ok(Answer { status, body });
        }
        let mut e = error_of(op, status, &String::from_utf8_lossy(&body));
        if let Some(code) = error_type.filter(|_| e.code.is_none() || e.kind == ErrorKind::Invalid)
        {
            e = classified(op, status, code, e.message);
        }
        Err(e)
    }
}

/// An error answer: its XML's code and message, or (a HEAD request's, which
/// has no body) its status alone.
fn error_of(op: &'static str, status: u16, text: &str) -> AwsError {
    // A JSON protocol's error: `{"__type": "...#Code", "message": ...}`.
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_str(text.trim()) {
        let field = |keys: &[&str]| {
            keys.iter()
                .find_map(|k| o.get(*k).and_then(|v| v.as_str()).map(str::to_string))
        };
        let code = field(&["__type", "code", "Code"])
            .map(|t| t.rsplit('#').next().unwrap_or(&t).to_string())
            .unwrap_or_default();
        let message = field(&["message", "Message"]).unwrap_or_else(|| format!("HTTP {status}"));
        return classified(op, status, code, message);
    }
    let root = Element::parse(text).unwrap_or_default();
    let code = root
        .find("Code")
        .map(|c| c.text.clone())
        .or_else(|| match status {
            404 => Some("NotFound".to_string()),
            403 => Some("AccessDenied".to_string()),
            _ => None,
        })
        .unwrap_or_default();
    let message = root
        .find("Message")
        .map(|m| m.text.clone())
        .unwrap_or_else(|| format!("HTTP {status}"));
    classified(op, status, code, message)
}

fn classified(op: &'static str, status: u16, code: String, message: String) -> AwsError {
    let code = match (code.is_empty(), status) {
        (true, 404) => "NotFound".to_string(),
        (true, 403) => "AccessDenied".to_string(),
        _ => code,
    };
    let kind = super::error::classify(Some(&code), &message, status >= 500);
    let kind = match kind {
        ErrorKind::Other if (400..500).contains(&status) => ErrorKind::Invalid,
        k => k,
    };
    AwsError {
        code: Some(code).filter(|c| !c.is_empty()),
        status: Some(status),
        ..AwsError::new(op, kind, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_protocols_error_is_read_from_its_type_and_message() {
        let e = error_of(
            "events:DescribeRule",
            400,
            r#"{"__type":"com.amazonaws#ResourceNotFoundException","message":"Rule r does not exist."}"#,
        );
        assert_eq!(e.code.as_deref(), Some("ResourceNotFoundException"));
        assert!(e.is(ErrorKind::NotFound));
        let e = error_of(
            "scheduler:CreateSchedule",
            409,
            r#"{"Message":"Schedule s already exists."}"#,
        );
        assert!(e.is(ErrorKind::Invalid), "{e:?}");
        let e = error_of(
            "scheduler:CreateSchedule",
            409,
            r#"{"__type":"ConflictException","Message":"Schedule s already exists."}"#,
        );
        assert!(e.is(ErrorKind::AlreadyExists), "{e:?}");
    }

    #[test]
    fn an_error_without_a_body_is_read_from_its_status() {
        let e = error_of("s3:HeadObject", 404, "");
        assert_eq!(e.kind, ErrorKind::NotFound);
        let e = error_of("s3:HeadBucket", 403, "");
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        let e = error_of(
            "s3:CreateBucket",
            409,
            "<Error><Code>BucketAlreadyOwnedByYou</Code><Message>yours</Message></Error>",
        );
        assert_eq!(e.code.as_deref(), Some("BucketAlreadyOwnedByYou"));
        assert_eq!(e.message, "yours");
    }
}
