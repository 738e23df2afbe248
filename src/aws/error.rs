//! AWS errors, classified for decisions (retry? missing? denied?) and worded
//! for people. Error messages from AWS never carry secret values: sidecarctl
//! never asks for them.

use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
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
}

impl AwsError {
    pub fn new(op: &'static str, kind: ErrorKind, message: impl Into<String>) -> Self {
        AwsError {
            op,
            kind,
            code: None,
            message: message.into(),
        }
    }

    /// Classifies an SDK error.
    pub fn from_sdk<E, R>(op: &'static str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let (kind, code, message) = match &err {
            SdkError::ServiceError(ctx) => {
                let e = ctx.err();
                let code = e.code().map(str::to_string);
                let message = e.message().unwrap_or_default().to_string();
                let raw = format!("{:?}", ctx.raw());
                let status_5xx = raw.contains("StatusCode(5") || raw.contains("status: 5");
                (
                    classify(code.as_deref(), &message, status_5xx),
                    code,
                    message,
                )
            }
            SdkError::TimeoutError(_) => (ErrorKind::Transient, None, "timed out".to_string()),
            SdkError::DispatchFailure(d) => {
                let text = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
                let transient_other = matches!(
                    d.as_other(),
                    Some(
                        aws_smithy_types::retry::ErrorKind::TransientError
                            | aws_smithy_types::retry::ErrorKind::ServerError
                            | aws_smithy_types::retry::ErrorKind::ThrottlingError
                    )
                );
                let kind = if text.contains("credentials") || text.contains("Credentials") {
                    ErrorKind::Credentials
                } else if d.is_io() || d.is_timeout() || transient_other {
                    ErrorKind::Transient
                } else {
                    ErrorKind::Other
                };
                (kind, None, text)
            }
            SdkError::ResponseError(_) => (
                ErrorKind::Transient,
                None,
                aws_smithy_types::error::display::DisplayErrorContext(&err).to_string(),
            ),
            _ => {
                let text = aws_smithy_types::error::display::DisplayErrorContext(&err).to_string();
                let kind = if text.contains("credential") || text.contains("MissingSigningRegion") {
                    ErrorKind::Credentials
                } else {
                    ErrorKind::Other
                };
                (kind, None, text)
            }
        };
        AwsError {
            op,
            kind,
            code,
            message,
        }
    }

    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }

    /// Whether trying again later could succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Throttled | ErrorKind::Transient)
    }
}

fn classify(code: Option<&str>, message: &str, status_5xx: bool) -> ErrorKind {
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
        | "NotFoundException" => ErrorKind::NotFound,
        "EntityAlreadyExists"
        | "ResourceAlreadyExistsException"
        | "ParameterAlreadyExists"
        | "ResourceExistsException" => ErrorKind::AlreadyExists,
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
        "ClientException" | "InvalidParameterException"
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
pub fn aws_err<E, R>(op: &'static str) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
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
