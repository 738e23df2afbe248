//! Image references: the grammar registries and ECS accept
//! (`[registry/]path[:tag][@digest]`), and what an ECR image URI says.

/// An image reference, read by the OCI distribution grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `registry.example.com:5000`, when the first component is a host.
    pub domain: Option<&'a str>,
    /// `team/app`.
    pub path: &'a str,
    pub tag: Option<&'a str>,
    /// `sha256:…`.
    pub digest: Option<&'a str>,
}

/// ECS takes image references of up to 255 characters.
pub const MAX_IMAGE_LEN: usize = 255;

impl<'a> ImageRef<'a> {
    /// Reads `s`; the error says in words what is wrong with it.
    pub fn parse(s: &'a str) -> Result<ImageRef<'a>, String> {
        if s.is_empty() {
            return Err("it is empty".into());
        }
        if s.chars().count() > MAX_IMAGE_LEN {
            return Err(format!(
                "it is {} characters long; ECS takes at most {MAX_IMAGE_LEN}",
                s.chars().count()
            ));
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("it contains {}", describe_char(c)));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (s, None),
        };
        if let Some(d) = digest {
            check_digest(d)?;
        }
        // A tag follows the last ':' after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag {
            check_tag(t)?;
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, rest))
                if first.contains('.')
                    || first.contains(':')
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                check_domain(first)?;
                (Some(first), rest)
            }
            _ => (None, name),
        };
        if path.is_empty() {
            return Err("it names no repository".into());
        }
        for component in path.split('/') {
            check_path_component(component)?;
        }
        Ok(ImageRef {
            domain,
            path,
            tag,
            digest,
        })
    }
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".into(),
        '\t' => "a tab".into(),
        c => format!("the character U+{:04X}", c as u32),
    }
}

fn check_tag(t: &str) -> Result<(), String> {
    let ok = !t.is_empty()
        && t.len() <= 128
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        return Ok(());
    }
    let hint = if t.contains(['<', '>', '{', '}', '$']) {
        " (a placeholder left in?)"
    } else {
        ""
    };
    Err(format!(
        "the tag {t:?} is not a valid tag{hint}: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"
    ))
}

fn check_digest(d: &str) -> Result<(), String> {
    let Some((algo, hex)) = d.split_once(':') else {
        return Err(format!(
            "the digest {d:?} is not ALGORITHM:HEX, such as sha256:…"
        ));
    };
    let algo_ok = !algo.is_empty()
        && algo.split(['+', '.', '-', '_']).all(|p| {
            p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars().all(|c| c.is_ascii_alphanumeric())
        });
    let hex_ok = hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    if algo_ok && hex_ok {
        Ok(())
    } else {
        Err(format!(
            "the digest {d:?} is not ALGORITHM:HEX, such as sha256:…"
        ))
    }
}

fn check_domain(domain: &str) -> Result<(), String> {
    let (host, port) = match domain.rsplit_once(':') {
        Some((h, p)) if !h.starts_with('[') || h.ends_with(']') => (h, Some(p)),
        _ => (domain, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "the registry {domain:?} has a port that is not a number"
        ));
    }
    if host.starts_with('[') && host.ends_with(']') {
        return Ok(());
    }
    let ok = !host.is_empty()
        && host.split('.').all(|c| {
            !c.is_empty()
                && !c.starts_with('-')
                && !c.ends_with('-')
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("the registry {domain:?} is not a host name"))
    }
}

fn check_path_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("the repository has an empty path component ('//' or a trailing '/')".into());
    }
    if c.chars().any(|ch| ch.is_ascii_uppercase()) {
        return Err(format!(
            "the repository {c:?} has capital letters; repository names are lowercase"
        ));
    }
    // alpha-numeric (separator alpha-numeric)*, separator: [_.] | __ | -+
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    let mut ok = alnum(b[0]);
    while ok && i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let sep_len = match b[i] {
            b'.' => 1,
            b'_' if b.get(i + 1) == Some(&b'_') => 2,
            b'_' => 1,
            b'-' => b[i..].iter().take_while(|x| **x == b'-').count(),
            _ => 0,
        };
        ok = sep_len > 0 && b.get(i + sep_len).is_some_and(|x| alnum(*x));
        i += sep_len;
    }
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the repository {c:?} may only hold lowercase letters and digits, separated by '.', '_', '__' or '-'"
        ))
    }
}

/// An image in ECR, read from its URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcrImage {
    pub account: String,
    pub region: String,
    pub repository: String,
    /// A tag, or `sha256:...` for a digest.
    pub reference: String,
    pub is_digest: bool,
}

impl EcrImage {
    /// `ACCOUNT.dkr.ecr.REGION.HOST/REPO[:TAG|@DIGEST]`; `None` for other registries.
    pub fn parse(uri: &str) -> Option<EcrImage> {
        let (host, path) = uri.split_once('/')?;
        let mut parts = host.split('.');
        let account = parts.next()?;
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if parts.next()? != "dkr" || !parts.next()?.starts_with("ecr") {
            return None;
        }
        let region = parts.next()?.to_string();
        let (repository, reference, is_digest) = if let Some((repo, digest)) = path.split_once('@')
        {
            (repo, digest, true)
        } else {
            let last_slash = path.rfind('/').map_or(0, |i| i + 1);
            match path[last_slash..].rfind(':') {
                Some(i) => (&path[..last_slash + i], &path[last_slash + i + 1..], false),
                None => (path, "latest", false),
            }
        };
        Some(EcrImage {
            account: account.to_string(),
            region,
            repository: repository.to_string(),
            reference: reference.to_string(),
            is_digest,
        })
    }

    pub fn repository_arn(&self, partition: &str) -> String {
        format!(
            "arn:{partition}:ecr:{}:{}:repository/{}",
            self.region, self.account, self.repository
        )
    }

    /// The URI without its tag or digest.
    pub fn base(uri: &str) -> &str {
        if let Some((b, _)) = uri.split_once('@') {
            return b;
        }
        let last_slash = uri.rfind('/').map_or(0, |i| i + 1);
        match uri[last_slash..].rfind(':') {
            Some(i) => &uri[..last_slash + i],
            None => uri,
        }
    }
}

/// An image URI in ECR for a repository and tag.
pub fn ecr_uri(
    account: &str,
    region: &str,
    dns_suffix: &str,
    repository: &str,
    tag: &str,
) -> String {
    format!("{account}.dkr.ecr.{region}.{dns_suffix}/{repository}:{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ecr_image_uris() {
        let i =
            EcrImage::parse("123456789012.dkr.ecr.us-west-2.amazonaws.com/team/proxy:revision_1")
                .unwrap();
        assert_eq!(
            (
                i.repository.as_str(),
                i.reference.as_str(),
                i.region.as_str()
            ),
            ("team/proxy", "revision_1", "us-west-2")
        );
        let d =
            EcrImage::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc").unwrap();
        assert!(d.is_digest);
        assert_eq!(d.reference, "sha256:abc");
        assert_eq!(
            EcrImage::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com/app")
                .unwrap()
                .reference,
            "latest"
        );
        assert!(EcrImage::parse("nginx:1.27").is_none());
        assert!(
            EcrImage::parse("public.ecr.aws/aws-observability/aws-for-fluent-bit:stable").is_none()
        );
        assert!(EcrImage::parse("localhost:5000/app:1").is_none());
        assert_eq!(EcrImage::base("localhost:5000/app:1"), "localhost:5000/app");
        assert_eq!(EcrImage::base("r/app@sha256:00"), "r/app");
    }

    #[test]
    fn accepts_what_registries_accept() {
        for ok in [
            "nginx",
            "nginx:1.27",
            "library/nginx:latest",
            "registry.example.com/platform/config-agent:1.4",
            "localhost:5000/app:1",
            "my-registry:5000/a__b/c--d.e:v1_2-3",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
            "Registry.Example.com/app:1",
        ] {
            assert!(
                ImageRef::parse(ok).is_ok(),
                "{ok}: {:?}",
                ImageRef::parse(ok)
            );
        }
        let r = ImageRef::parse("localhost:5000/app:1").unwrap();
        assert_eq!(
            (r.domain, r.path, r.tag),
            (Some("localhost:5000"), "app", Some("1"))
        );
    }

    #[test]
    fn refuses_what_ecs_cannot_pull_with_a_reason() {
        for (bad, why) in [
            ("repo:<image_tag>", "placeholder"),
            ("repo:", "not a valid tag"),
            ("My/App:1", "capital letters"),
            ("nginx :1", "a space"),
            ("app@sha256:xyz", "digest"),
            ("app//x", "empty path component"),
            ("a_-b", "lowercase letters and digits"),
            ("", "empty"),
        ] {
            let e = ImageRef::parse(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert!(
            ImageRef::parse(&format!("a/{}", "b".repeat(300)))
                .unwrap_err()
                .contains("255")
        );
    }
}
