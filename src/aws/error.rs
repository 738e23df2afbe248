//! AWS errors, classified for decisions (retry? missing? denied?) and worded
//! for people. Error messages from AWS never carry secret values: sidecarctl
//! never asks for them.

use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The thing asked about does not exist.
    NotFound,
    /// It exists already (a create that raced or was retried).
    AlreadyExists,
    AccessDenied,
    /// Still throttled after the SDK's retries.
    Throttled,
    /// 5xx, timeouts, connection failures, after the SDK's retries.
    Transient,
    /// No credentials, or they were refused.
    Credentials,
    /// The request was refused as invalid.
    Invalid,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// `service:Operation`, as IAM names it.
    pub op: &'static str,
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
    /// The HTTP status of AWS's answer, when there was one.
    pub status: Option<u16>,
    /// No answer came in time.
    pub timed_out: bool,
}

type HttpResponse = aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// Whether a credentials provider's error is somewhere in `err`'s causes.
fn caused_by_credentials(err: &(dyn std::error::Error + 'static)) -> bool {
    causes(err).any(|e| e.downcast_ref::<CredentialsError>().is_some())
}

fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |e| e.source())
}

/// What went wrong before AWS could answer, in one sentence of cause and one
/// of remedy (the SDK's whole chain of causes goes to the `-v` log).
/// What went wrong with a request that got no answer, in one sentence.
pub(crate) fn dispatch_message(
    err: &(dyn std::error::Error + 'static),
    credentials: bool,
) -> String {
    if credentials {
        return "no AWS credentials were found. Set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in with `aws sso login`".into();
    }
    let io = causes(err).find_map(|e| e.downcast_ref::<std::io::Error>());
    let innermost = causes(err)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default();
    match io.map(std::io::Error::kind) {
        Some(std::io::ErrorKind::ConnectionRefused) => {
            "the endpoint refused the connection. Check --endpoint-url (or AWS_ENDPOINT_URL) and that the endpoint is up".into()
        }
        Some(std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::UnexpectedEof) => {
            "the connection was closed before AWS answered. Try again; if it lasts, check the network and any proxy in between".into()
        }
        _ if innermost.contains("dns error") || innermost.contains("failed to lookup address") => {
            format!("the endpoint's host name could not be resolved ({innermost}). Check --region, --endpoint-url and the network's DNS")
        }
        _ => format!("the request could not be sent: {innermost}. Run with -v for the details"),
    }
}

impl AwsError {
    pub fn new(op: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        AwsError {
            op,
            kind,
            code: None,
            message: message.into(),
            status: None,
            timed_out: false,
        }
    }

    /// Classifies an SDK error.
    pub fn from_sdk<E>(op: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let context = || DisplayErrorContext(&err).to_string();
        let mut out = AwsError::new(op, ErrorKind::Other, String::new());
        match &err {
            SdkError::ServiceError(ctx) => {
                let e = ctx.err();
                let status = ctx.raw().status().as_u16();
                out.code = e.code().map(str::to_string);
                out.message = e.message().unwrap_or_default().to_string();
                out.status = Some(status);
                out.kind = classify(out.code.as_deref(), &out.message, status >= 500);
            }
            SdkError::TimeoutError(_) => {
                out.kind = ErrorKind::Transient;
                out.timed_out = true;
                out.message = "timed out".into();
            }
            SdkError::DispatchFailure(d) => {
                tracing::debug!(op, detail = %context(), "dispatch failure");
                let transient_other = matches!(
                    d.as_other(),
                    Some(
                        aws_smithy_types::retry::ErrorKind::TransientError
                            | aws_smithy_types::retry::ErrorKind::ServerError
                            | aws_smithy_types::retry::ErrorKind::ThrottlingError
                    )
                );
                out.timed_out = d.is_timeout();
                let credentials = caused_by_credentials(&err);
                out.kind = if credentials {
                    ErrorKind::Credentials
                } else if d.is_io() || d.is_timeout() || transient_other {
                    ErrorKind::Transient
                } else {
                    ErrorKind::Other
                };
                out.message = if d.is_timeout() {
                    "no answer came in time (--api-timeout); it was tried again, then given up"
                        .into()
                } else {
                    dispatch_message(&err, credentials)
                };
            }
            SdkError::ResponseError(r) => {
                tracing::debug!(op, detail = %context(), "unreadable answer");
                out.kind = ErrorKind::Transient;
                out.status = Some(r.raw().status().as_u16());
                out.message = format!(
                    "AWS's answer could not be read (HTTP {}). Run with -v for the details",
                    r.raw().status().as_u16()
                );
            }
            _ => {
                tracing::debug!(op, detail = %context(), "request failed");
                let credentials = caused_by_credentials(&err);
                out.kind = if credentials {
                    ErrorKind::Credentials
                } else {
                    ErrorKind::Other
                };
                out.message = dispatch_message(&err, credentials);
            }
        }
        out
    }

    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }

    /// Whether trying again later could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }

    /// Whether the request may still be on its way (no answer came in time).
    pub fn is_timeout(&self) -> bool {
        self.timed_out
    }
}

/// An error answer's kind, from its code (and, for a few codes, its message).
pub(crate) fn classify(code: Option<&str>, message: &str, status_5xx: bool) -> ErrorKind {
    let code = code.unwrap_or_default();
    let lower = message.to_ascii_lowercase();
    match code {
        "Throttling"
        | "ThrottlingException"
        | "ThrottledException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "RequestThrottledException"
        | "SlowDown" => ErrorKind::Throttled,
        "ResourceNotFoundException"
        | "RepositoryNotFoundException"
        | "ImageNotFoundException"
        | "NoSuchEntity"
        | "ParameterNotFound"
        | "FileSystemNotFound"
        | "AccessPointNotFound"
        | "ServiceNotFoundException"
        | "ClusterNotFoundException"
        | "TargetGroupNotFound"
        | "LoadBalancerNotFound"
        | "ListenerNotFound"
        | "RuleNotFound"
        | "NotFoundException"
        | "NotFound"
        | "NoSuchKey"
        | "NoSuchBucket"
        | "AWS.SimpleQueueService.NonExistentQueue"
        | "QueueDoesNotExist" => ErrorKind::NotFound,
        // EventBridge Scheduler's answer to a schedule created twice.
        "ConflictException" if lower.contains("already exists") => ErrorKind::AlreadyExists,
        "EntityAlreadyExists"
        | "ResourceAlreadyExistsException"
        | "AlreadyExistsException"
        | "ParameterAlreadyExists"
        | "DuplicateTargetGroupName"
        | "PriorityInUse"
        | "ResourceExistsException"
        | "BucketAlreadyOwnedByYou"
        | "QueueAlreadyExists"
        | "QueueNameExists" => ErrorKind::AlreadyExists,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "UnrecognizedClientException" => ErrorKind::AccessDenied,
        "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "InvalidSignatureException"
        | "SignatureDoesNotMatch" => ErrorKind::Credentials,
        "ServerException"
        | "InternalFailure"
        | "InternalServerError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "InternalError" => ErrorKind::Transient,
        "ClientException" | "InvalidParameterException" | "ValidationError"
            if lower.contains("not found")
                || lower.contains("does not exist")
                || lower.contains("unable to describe") =>
        {
            ErrorKind::NotFound
        }
        "ClientException"
        | "InvalidParameterException"
        | "ValidationException"
        | "ValidationError"
        | "MalformedPolicyDocument"
        | "InvalidInput"
        | "LimitExceeded" => ErrorKind::Invalid,
        // EC2's codes: `InvalidGroup.NotFound`, `InvalidPermission.Duplicate`.
        c if c.ends_with(".NotFound") => ErrorKind::NotFound,
        c if c.ends_with(".Duplicate") => ErrorKind::AlreadyExists,
        "AuthFailure" => ErrorKind::Credentials,
        _ if status_5xx => ErrorKind::Transient,
        _ => ErrorKind::Other,
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.op)?;
        match (&self.code, self.message.is_empty()) {
            (Some(c), false) => write!(f, ": {c}: {}", self.message),
            (Some(c), true) => write!(f, ": {c}"),
            (None, false) => write!(f, ": {}", self.message),
            (None, true) => Ok(()),
        }
    }
}

impl std::error::Error for AwsError {}

/// Lookups where "it does not exist" is an answer, not an error.
pub trait Found<T> {
    /// `Ok(None)` for a not-found error, the value or other errors as they are.
    fn found(self) -> Result<Option<T>, AwsError>;
}

impl<T> Found<T> for Result<T, AwsError> {
    fn found(self) -> Result<Option<T>, AwsError> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// `result.map_err(aws_err("ecs:DescribeServices"))`.
pub fn aws_err<E>(op: &'static str) -> impl FnOnce(SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |e| AwsError::from_sdk(op, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes() {
        assert_eq!(
            classify(Some("ThrottlingException"), "", false),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(Some("Throttling"), "Rate exceeded", false),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify(Some("NoSuchEntity"), "", false),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(
                Some("ClientException"),
                "Unable to describe task definition.",
                false
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(
                Some("ClientException"),
                "Container.image should not be null",
                false
            ),
            ErrorKind::Invalid
        );
        assert_eq!(classify(Some("Weird"), "", true), ErrorKind::Transient);
        assert_eq!(classify(None, "", false), ErrorKind::Other);
    }
}
