//! EC2's security groups, the only EC2 calls sidecarctl makes (for a network
//! load balancer's group and the environment group's rule that lets its
//! traffic in).
//!
//! Not through `aws-sdk-ec2`: that crate alone takes six and a half minutes to
//! build on two cores, longer than every other AWS crate together, for four
//! operations. These speak EC2's Query protocol directly, over the SDK's own
//! pieces: its HTTP client, its SigV4 signer, its credential chain and its
//! region, with the same retries (throttling, 5xx, timeouts, dropped
//! connections) and the same errors as every other call.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use super::{AwsError, ErrorKind};
use crate::state::lb::{Ingress, IngressSource, SecurityGroup};

/// EC2's API version for the Query protocol.
const VERSION: &str = "2016-11-15";

/// A client for EC2's security group operations.
#[derive(Clone)]
pub struct Ec2 {
    endpoint: String,
    region: String,
    credentials: Option<SharedCredentialsProvider>,
    connector: Arc<aws_smithy_http_client::Connector>,
    attempts: u32,
    attempt_timeout: Duration,
}

impl std::fmt::Debug for Ec2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ec2")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// EC2's endpoint: `AWS_ENDPOINT_URL_EC2`, then the endpoint every service
/// uses (`--endpoint-url`, `AWS_ENDPOINT_URL`), then the region's.
fn endpoint(config: &aws_types::SdkConfig, region: &str) -> String {
    if let Some(e) = std::env::var("AWS_ENDPOINT_URL_EC2")
        .ok()
        .filter(|e| !e.is_empty())
    {
        return e;
    }
    if let Some(e) = config.endpoint_url() {
        return e.to_string();
    }
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://ec2.{region}.{suffix}")
}

impl Ec2 {
    pub fn new(
        config: &aws_types::SdkConfig,
        region: &str,
        attempts: u32,
        attempt_timeout: Duration,
    ) -> Ec2 {
        let settings = HttpConnectorSettings::builder()
            .connect_timeout(Duration::from_secs(5))
            .build();
        let connector = aws_smithy_http_client::Connector::builder()
            .connector_settings(settings)
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build();
        Ec2 {
            endpoint: endpoint(config, region),
            region: region.to_string(),
            credentials: config.credentials_provider(),
            connector: Arc::new(connector),
            attempts: attempts.max(1),
            attempt_timeout,
        }
    }

    /// One operation, retried as the SDK retries (throttling, 5xx, timeouts,
    /// connections that fail), returning the answer's XML.
    async fn call(
        &self,
        op: &'static str,
        params: &[(String, String)],
    ) -> Result<String, AwsError> {
        let action = op.trim_start_matches("ec2:");
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.append_pair("Action", action);
        body.append_pair("Version", VERSION);
        for (k, v) in params {
            body.append_pair(k, v);
        }
        let body = body.finish();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result =
                match tokio::time::timeout(self.attempt_timeout, self.send(op, &body)).await {
                    Ok(r) => r,
                    Err(_) => Err(AwsError {
                        timed_out: true,
                        ..AwsError::new(
                            op,
                            ErrorKind::Transient,
                            format!("no answer within {:?}", self.attempt_timeout),
                        )
                    }),
                };
            match result {
                Err(e) if e.is_retryable() && attempt < self.attempts => {
                    let backoff = Duration::from_millis(200 << (attempt - 1).min(5));
                    tracing::debug!(%e, attempt, "retrying {op}");
                    tokio::time::sleep(backoff.min(Duration::from_secs(10))).await;
                }
                other => return other,
            }
        }
    }

    async fn send(&self, op: &'static str, body: &str) -> Result<String, AwsError> {
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
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("ec2")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| AwsError::new(op, ErrorKind::Other, e.to_string()))?
            .into();
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let signable = SignableRequest::new(
            "POST",
            self.endpoint.as_str(),
            [("content-type", content_type)].into_iter(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| AwsError::new(op, ErrorKind::Invalid, e.to_string()))?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| AwsError::new(op, ErrorKind::Other, e.to_string()))?
            .into_parts();
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&self.endpoint)
            .header("content-type", content_type)
            .body(SdkBody::from(body.to_string()))
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
        let bytes = ByteStream::new(response.into_body())
            .collect()
            .await
            .map_err(|e| AwsError::new(op, ErrorKind::Transient, e.to_string()))?
            .into_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if (200..300).contains(&status) {
            return Ok(text);
        }
        let root = Element::parse(&text).unwrap_or_default();
        let code = root
            .find("Code")
            .map(|c| c.text.clone())
            .unwrap_or_default();
        let message = root
            .find("Message")
            .map(|m| m.text.clone())
            .unwrap_or_else(|| format!("HTTP {status}"));
        let kind = super::error::classify(Some(&code), &message, status >= 500);
        let kind = match kind {
            ErrorKind::Other if (400..500).contains(&status) => ErrorKind::Invalid,
            k => k,
        };
        Err(AwsError {
            code: Some(code).filter(|c| !c.is_empty()),
            status: Some(status),
            ..AwsError::new(op, kind, message)
        })
    }

    /// The security group of this name in the VPC, if there is one.
    pub async fn security_group_named(
        &self,
        name: &str,
        vpc: &str,
    ) -> Result<Option<SecurityGroup>, AwsError> {
        let params = vec![
            ("Filter.1.Name".to_string(), "group-name".to_string()),
            ("Filter.1.Value.1".to_string(), name.to_string()),
            ("Filter.2.Name".to_string(), "vpc-id".to_string()),
            ("Filter.2.Value.1".to_string(), vpc.to_string()),
        ];
        let xml = self.call("ec2:DescribeSecurityGroups", &params).await?;
        Ok(security_groups(&xml).into_iter().next())
    }

    /// The security groups with these ids (those that exist).
    pub async fn security_groups(&self, ids: &[String]) -> Result<Vec<SecurityGroup>, AwsError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<(String, String)> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (format!("GroupId.{}", i + 1), id.clone()))
            .collect();
        let xml = self.call("ec2:DescribeSecurityGroups", &params).await?;
        Ok(security_groups(&xml))
    }

    /// CreateSecurityGroup, tagged; a group of that name already there (a
    /// retried create) is looked up and returned.
    pub async fn create_security_group(
        &self,
        name: &str,
        description: &str,
        vpc: &str,
        tags: &[(String, String)],
    ) -> Result<String, AwsError> {
        const OP: &str = "ec2:CreateSecurityGroup";
        let mut params = vec![
            ("GroupName".to_string(), name.to_string()),
            ("GroupDescription".to_string(), description.to_string()),
            ("VpcId".to_string(), vpc.to_string()),
            (
                "TagSpecification.1.ResourceType".to_string(),
                "security-group".to_string(),
            ),
        ];
        for (i, (k, v)) in tags.iter().enumerate() {
            params.push((format!("TagSpecification.1.Tag.{}.Key", i + 1), k.clone()));
            params.push((format!("TagSpecification.1.Tag.{}.Value", i + 1), v.clone()));
        }
        match self.call(OP, &params).await {
            Ok(xml) => Element::parse(&xml)
                .and_then(|e| e.find("groupId").map(|g| g.text.clone()))
                .ok_or_else(|| AwsError::new(OP, ErrorKind::Other, "the answer holds no group id")),
            Err(e) if e.is(ErrorKind::AlreadyExists) => self
                .security_group_named(name, vpc)
                .await?
                .map(|g| g.id)
                .ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// AuthorizeSecurityGroupIngress; rules that exist already are fine.
    pub async fn authorize_ingress(&self, group: &str, rules: &[Ingress]) -> Result<(), AwsError> {
        let mut params = vec![("GroupId".to_string(), group.to_string())];
        for (i, r) in rules.iter().enumerate() {
            let p = format!("IpPermissions.{}", i + 1);
            params.push((format!("{p}.IpProtocol"), r.protocol.clone()));
            if let Some((from, to)) = r.ports {
                params.push((format!("{p}.FromPort"), from.to_string()));
                params.push((format!("{p}.ToPort"), to.to_string()));
            }
            let (list, key, value) = match &r.source {
                IngressSource::Cidr(c) => ("IpRanges", "CidrIp", c),
                IngressSource::Group(g) => ("Groups", "GroupId", g),
            };
            params.push((format!("{p}.{list}.1.{key}"), value.clone()));
            if let Some(d) = &r.description {
                params.push((format!("{p}.{list}.1.Description"), d.clone()));
            }
        }
        match self
            .call("ec2:AuthorizeSecurityGroupIngress", &params)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.is(ErrorKind::AlreadyExists) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// The groups of a DescribeSecurityGroups answer.
fn security_groups(xml: &str) -> Vec<SecurityGroup> {
    let Some(root) = Element::parse(xml) else {
        return Vec::new();
    };
    let Some(info) = root.child("securityGroupInfo") else {
        return Vec::new();
    };
    info.children("item")
        .map(|g| SecurityGroup {
            id: g.text_of("groupId"),
            name: g.text_of("groupName"),
            ingress: g
                .child("ipPermissions")
                .map(|p| p.children("item").flat_map(ingress_of).collect())
                .unwrap_or_default(),
        })
        .collect()
}

/// One permission's rules, a rule per source.
fn ingress_of(p: &Element) -> Vec<Ingress> {
    let protocol = p.text_of("ipProtocol");
    let port = |k: &str| p.child(k).and_then(|e| e.text.parse::<i32>().ok());
    let ports = match (port("fromPort"), port("toPort")) {
        (Some(from), Some(to)) if protocol != "-1" && from >= 0 => Some((from, to)),
        _ => None,
    };
    let rule = |source: IngressSource, item: &Element| Ingress {
        protocol: protocol.clone(),
        ports,
        source,
        description: item.child("description").map(|d| d.text.clone()),
    };
    let cidrs = p
        .child("ipRanges")
        .into_iter()
        .flat_map(|r| r.children("item"))
        .map(|i| rule(IngressSource::Cidr(i.text_of("cidrIp")), i));
    let groups = p
        .child("groups")
        .into_iter()
        .flat_map(|r| r.children("item"))
        .map(|i| rule(IngressSource::Group(i.text_of("groupId")), i));
    cidrs.chain(groups).collect()
}

/// An XML element: its local name, its text and its children.
#[derive(Clone, Debug, Default, PartialEq)]
struct Element {
    name: String,
    text: String,
    children: Vec<Element>,
}

impl Element {
    /// The document's root element; `None` when it is not XML.
    fn parse(text: &str) -> Option<Element> {
        let mut stack: Vec<Element> = vec![Element::default()];
        for token in xmlparser::Tokenizer::from(text) {
            match token.ok()? {
                xmlparser::Token::ElementStart { local, .. } => stack.push(Element {
                    name: local.as_str().to_string(),
                    ..Element::default()
                }),
                xmlparser::Token::ElementEnd { end, .. } => match end {
                    xmlparser::ElementEnd::Open => {}
                    xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty => {
                        let done = stack.pop()?;
                        stack.last_mut()?.children.push(done);
                    }
                },
                xmlparser::Token::Text { text } | xmlparser::Token::Cdata { text, .. } => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&unescape(text.as_str()));
                    }
                }
                _ => {}
            }
        }
        stack.pop()?.children.into_iter().next()
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn text_of(&self, name: &str) -> String {
        self.child(name)
            .map(|c| c.text.trim().to_string())
            .unwrap_or_default()
    }

    /// The first element of this name at any depth, this one included.
    fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }
}

/// XML's five predefined entities and numeric character references.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DescribeSecurityGroups' answer, in the shape of EC2's documentation.
    const DESCRIBED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
  <securityGroupInfo>
    <item>
      <ownerId>123456789012</ownerId>
      <groupId>sg-1a2b3c4d</groupId>
      <groupName>api-nlb</groupName>
      <groupDescription>Allow traffic &amp; more</groupDescription>
      <vpcId>vpc-1a2b3c4d</vpcId>
      <ipPermissions>
        <item>
          <ipProtocol>tcp</ipProtocol>
          <fromPort>443</fromPort>
          <toPort>443</toPort>
          <groups/>
          <ipRanges>
            <item><cidrIp>0.0.0.0/0</cidrIp><description>from anyone on 443</description></item>
          </ipRanges>
        </item>
        <item>
          <ipProtocol>-1</ipProtocol>
          <groups>
            <item><userId>123456789012</userId><groupId>sg-9z8y7x6w</groupId></item>
          </groups>
          <ipRanges/>
        </item>
      </ipPermissions>
    </item>
  </securityGroupInfo>
</DescribeSecurityGroupsResponse>"#;

    #[test]
    fn described_groups_read_with_their_inbound_rules() {
        let groups = security_groups(DESCRIBED);
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!((g.id.as_str(), g.name.as_str()), ("sg-1a2b3c4d", "api-nlb"));
        assert_eq!(
            g.ingress,
            vec![
                Ingress {
                    protocol: "tcp".into(),
                    ports: Some((443, 443)),
                    source: IngressSource::Cidr("0.0.0.0/0".into()),
                    description: Some("from anyone on 443".into()),
                },
                Ingress {
                    protocol: "-1".into(),
                    ports: None,
                    source: IngressSource::Group("sg-9z8y7x6w".into()),
                    description: None,
                },
            ]
        );
    }

    #[test]
    fn errors_read_in_either_shape() {
        let ec2 = "<Response><Errors><Error><Code>InvalidGroup.Duplicate</Code><Message>The security group &apos;x&apos; already exists</Message></Error></Errors><RequestID>1</RequestID></Response>";
        let root = Element::parse(ec2).unwrap();
        assert_eq!(root.find("Code").unwrap().text, "InvalidGroup.Duplicate");
        assert_eq!(
            root.find("Message").unwrap().text,
            "The security group 'x' already exists"
        );
        let kind =
            |code: &str, status: u16| crate::aws::error::classify(Some(code), "", status >= 500);
        assert_eq!(
            kind("InvalidGroup.Duplicate", 400),
            ErrorKind::AlreadyExists
        );
        assert_eq!(
            kind("InvalidPermission.Duplicate", 400),
            ErrorKind::AlreadyExists
        );
        assert_eq!(kind("InvalidGroup.NotFound", 400), ErrorKind::NotFound);
        assert_eq!(kind("RequestLimitExceeded", 503), ErrorKind::Throttled);
        assert_eq!(kind("InternalError", 500), ErrorKind::Transient);
        assert_eq!(kind("UnauthorizedOperation", 403), ErrorKind::AccessDenied);
        assert_eq!(kind("AuthFailure", 401), ErrorKind::Credentials);
        assert!(Element::parse("not xml at all <").is_none());
    }

    #[test]
    fn entities_are_unescaped() {
        assert_eq!(
            unescape("a &amp; b &lt;c&gt; &#65;&#x42; &bogus; &"),
            "a & b <c> AB &bogus; &"
        );
    }
}
