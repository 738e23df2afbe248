//! EC2's security groups, the only EC2 calls sidecarctl makes (for a network
//! load balancer's group and the environment group's rule that lets its
//! traffic in).
//!
//! Not through `aws-sdk-ec2`: that crate alone takes six and a half minutes to
//! build on two cores, longer than every other AWS crate together, for four
//! operations. These speak EC2's Query protocol directly, through [`Wire`].

use super::wire::Wire;
use super::xml::Element;
use super::{AwsError, ErrorKind};
use crate::state::lb::{Ingress, IngressSource, SecurityGroup};

/// EC2's API version for the Query protocol.
const VERSION: &str = "2016-11-15";

/// A client for EC2's security group operations.
#[derive(Clone, Debug)]
pub struct Ec2 {
    wire: Wire,
    endpoint: String,
}

impl Ec2 {
    /// EC2's endpoint: `AWS_ENDPOINT_URL_EC2`, then the endpoint every
    /// service uses (`--endpoint-url`, `AWS_ENDPOINT_URL`), then the region's.
    pub fn new(wire: Wire) -> Ec2 {
        let endpoint = wire.endpoint("EC2", "ec2");
        Ec2 { wire, endpoint }
    }

    /// One operation (Query protocol), returning the answer's XML.
    async fn call(
        &self,
        op: &'static str,
        params: &[(String, String)],
    ) -> Result<String, AwsError> {
        self.wire
            .query(op, "ec2", &self.endpoint, VERSION, params)
            .await
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
}
