//! Credentials never reach the output, not even in `-vv` debug logs: the AWS
//! SDK logs the access key id of the identity it signs with, so every log line
//! is filtered on its way to stderr.

use std::io::Write;

/// Key ids: AKIA (user), ASIA (temporary), and the other four-letter prefixes
/// IAM uses, followed by 16 capitals or digits.
const KEY_ID_PREFIXES: [&str; 6] = ["AKIA", "ASIA", "AIDA", "AROA", "ANPA", "AGPA"];

/// `text` with every credential in `secrets` and every key-id-shaped word masked.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "** redacted **");
        }
    }
    let bytes = out.as_bytes();
    let mut masked = String::with_capacity(out.len());
    let mut i = 0;
    while i < bytes.len() {
        let is_key = KEY_ID_PREFIXES
            .iter()
            .any(|p| bytes[i..].starts_with(p.as_bytes()))
            && bytes.len() >= i + 20
            && bytes[i + 4..i + 20]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && bytes.get(i + 20).is_none_or(|b| !b.is_ascii_alphanumeric())
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric());
        if is_key {
            masked.push_str(&out[i..i + 4]);
            masked.push_str("****************");
            i += 20;
        } else {
            let ch = out[i..].chars().next().expect("a char at a char boundary");
            masked.push(ch);
            i += ch.len_utf8();
        }
    }
    masked
}

/// The credential values known from the environment.
pub fn known_secrets() -> Vec<String> {
    [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok())
    .collect()
}

/// Stderr, redacted, for the log subscriber.
pub struct RedactedStderr {
    pub secrets: std::sync::Arc<Vec<String>>,
}

impl Write for RedactedStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr()
            .lock()
            .write_all(redact(&text, &self.secrets).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_key_ids_and_known_values() {
        let secrets = vec!["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_string()];
        let line = "Credentials { access_key_id: \"AKIAIOSFODNN7EXAMPLE\", secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY } ASIAXXXXXXXXXXXXXXXX";
        let r = redact(line, &secrets);
        assert!(!r.contains("IOSFODNN7EXAMPLE"), "{r}");
        assert!(!r.contains("wJalrXUtnFEMI"), "{r}");
        assert!(r.contains("AKIA****************"), "{r}");
        assert!(r.contains("ASIA****************"), "{r}");
    }

    #[test]
    fn leaves_other_text_alone() {
        let line = "AKIAshort and XAKIAIOSFODNN7EXAMPLE and AKIAIOSFODNN7EXAMPLEX — résumé";
        assert_eq!(redact(line, &[]), line);
    }
}
