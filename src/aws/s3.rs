//! S3, for env files: a bucket made private, and objects named by their
//! content's hash (so an object, once there, is never written again).
//!
//! Not through `aws-sdk-s3`: it is the largest crate of the SDK (48 s on two
//! cores, more than ECS, with checksum crates of its own) for six
//! operations. These speak S3's REST protocol through [`Wire`].

use aws_smithy_types::base64;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha2::{Digest, Sha256};

use super::wire::{Request, Wire};
use super::{AwsError, ErrorKind};

/// What a path segment keeps as it is (RFC 3986's unreserved characters).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[derive(Clone, Debug)]
pub struct S3 {
    wire: Wire,
    /// A custom endpoint (an emulator): buckets go in the path.
    custom: Option<String>,
}

impl S3 {
    pub fn new(wire: Wire) -> S3 {
        let custom = wire.custom_endpoint("S3");
        S3 { wire, custom }
    }

    /// The URL of a bucket (`key` empty) or of an object in it: in the path
    /// for a custom endpoint or a bucket with dots, else in the host name.
    fn url(&self, bucket: &str, key: &str, query: &str) -> String {
        let key: Vec<String> = key
            .split('/')
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect();
        let key = key.join("/");
        let base = match &self.custom {
            Some(e) => format!("{e}/{bucket}"),
            None if bucket.contains('.') => format!(
                "https://s3.{}.{}/{bucket}",
                self.wire.region,
                self.wire.dns_suffix()
            ),
            None => format!(
                "https://{bucket}.s3.{}.{}",
                self.wire.region,
                self.wire.dns_suffix()
            ),
        };
        format!("{base}/{key}{query}")
    }

    fn request(
        &self,
        op: &'static str,
        method: &'static str,
        url: String,
        body: Vec<u8>,
    ) -> Request {
        Request {
            op,
            service: "s3",
            method,
            url,
            headers: Vec::new(),
            body,
        }
    }

    /// HeadBucket: whether the bucket exists and is ours to use. A bucket of
    /// that name in another account (403) is an error that says so.
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, AwsError> {
        const OP: &str = "s3:ListBucket";
        let r = self.request(OP, "HEAD", self.url(bucket, "", ""), Vec::new());
        match self.wire.send(&r).await {
            Ok(_) => Ok(true),
            Err(e) if e.is(ErrorKind::NotFound) => Ok(false),
            Err(e) if e.is(ErrorKind::AccessDenied) => Err(AwsError {
                message: format!(
                    "the bucket {bucket} exists and this account may not use it (another account's, or a policy denies it)"
                ),
                ..e
            }),
            Err(e) => Err(e),
        }
    }

    /// A new private bucket: created (in the region), public access blocked,
    /// encrypted by default (SSE-S3), tagged. A bucket already ours is fine.
    pub async fn create_private_bucket(
        &self,
        bucket: &str,
        tags: &[(String, String)],
    ) -> Result<(), AwsError> {
        let body = if self.wire.region == "us-east-1" {
            Vec::new()
        } else {
            format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.wire.region
            )
            .into_bytes()
        };
        let create = self.request("s3:CreateBucket", "PUT", self.url(bucket, "", ""), body);
        match self.wire.send(&create).await {
            Ok(_) => {}
            Err(e) if e.is(ErrorKind::AlreadyExists) => {}
            Err(e) => return Err(e),
        }
        let block = "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
        self.put_config(
            bucket,
            "s3:PutBucketPublicAccessBlock",
            "?publicAccessBlock",
            block,
        )
        .await?;
        let sse = "<ServerSideEncryptionConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
        self.put_config(bucket, "s3:PutEncryptionConfiguration", "?encryption", sse)
            .await?;
        let tag_set: String = tags
            .iter()
            .map(|(k, v)| {
                format!(
                    "<Tag><Key>{}</Key><Value>{}</Value></Tag>",
                    escape(k),
                    escape(v)
                )
            })
            .collect();
        let tagging = format!(
            "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet>{tag_set}</TagSet></Tagging>"
        );
        self.put_config(bucket, "s3:PutBucketTagging", "?tagging", &tagging)
            .await
    }

    /// A bucket configuration, with the checksum S3 requires of these
    /// requests (SHA-256, in place of the older Content-MD5).
    async fn put_config(
        &self,
        bucket: &str,
        op: &'static str,
        query: &str,
        xml: &str,
    ) -> Result<(), AwsError> {
        let mut r = self.request(
            op,
            "PUT",
            self.url(bucket, "", query),
            xml.as_bytes().to_vec(),
        );
        r.headers = vec![
            ("content-type", "application/xml".to_string()),
            ("x-amz-sdk-checksum-algorithm", "SHA256".to_string()),
            (
                "x-amz-checksum-sha256",
                base64::encode(Sha256::digest(xml.as_bytes())),
            ),
        ];
        self.wire.send(&r).await.map(|_| ())
    }

    /// HeadObject: whether the object is there.
    pub async fn object_exists(&self, bucket: &str, key: &str) -> Result<bool, AwsError> {
        const OP: &str = "s3:GetObject";
        let r = self.request(OP, "HEAD", self.url(bucket, key, ""), Vec::new());
        match self.wire.send(&r).await {
            Ok(_) => Ok(true),
            Err(e) if e.is(ErrorKind::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// PutObject. The bucket's default encryption applies (Copilot's bucket
    /// takes only its own KMS key, so no encryption header is sent).
    pub async fn put_object(&self, bucket: &str, key: &str, body: &[u8]) -> Result<(), AwsError> {
        let r = self.request(
            "s3:PutObject",
            "PUT",
            self.url(bucket, key, ""),
            body.to_vec(),
        );
        self.wire.send(&r).await.map(|_| ())
    }
}

/// Text for an XML element.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
