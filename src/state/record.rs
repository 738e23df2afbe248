//! The record `sidecarctl adopt` leaves of a service it took over, in the SSM
//! parameter `/sidecarctl/services/{app}/{env}/{svc}`: the ECS service (a
//! Scheduled Job's: Copilot's rule), and the add-ons stacks left standing (their outputs stay wired into the
//! service's containers). Records written before add-ons were recorded hold
//! the service's ARN alone, and still read.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdoptRecord {
    /// The ECS service's ARN (empty for a Scheduled Job).
    #[serde(default)]
    pub service: String,
    /// The ids of the add-ons stacks that stay (Copilot's nested `AddonsStack`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addons_stacks: Vec<String>,
    /// A Scheduled Job's: the name of Copilot's rule, which runs it until a
    /// deploy switches it to EventBridge Scheduler.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_rule: Option<String>,
}

impl AdoptRecord {
    /// Reads a record: JSON, or an ARN alone (the first records).
    pub fn parse(text: &str) -> Option<AdoptRecord> {
        let text = text.trim();
        if text.starts_with("arn:") {
            return Some(AdoptRecord {
                service: text.to_string(),
                ..AdoptRecord::default()
            });
        }
        serde_json::from_str::<AdoptRecord>(text)
            .ok()
            .filter(|r| r.service.starts_with("arn:") || r.job_rule.is_some())
    }

    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_and_old_ones_still_read() {
        let r = AdoptRecord {
            service: "arn:aws:ecs:us-east-1:1:service/c/s".into(),
            addons_stacks: vec![
                "arn:aws:cloudformation:us-east-1:1:stack/a-AddonsStack-X/1".into(),
            ],
            job_rule: None,
        };
        assert_eq!(AdoptRecord::parse(&r.to_text()), Some(r.clone()));
        assert_eq!(
            AdoptRecord::parse("arn:aws:ecs:us-east-1:1:service/c/s\n"),
            Some(AdoptRecord {
                service: r.service.clone(),
                ..AdoptRecord::default()
            })
        );
        assert_eq!(AdoptRecord::parse("garbage"), None);
        assert_eq!(AdoptRecord::parse("{\"service\":\"x\"}"), None);
        let job = AdoptRecord {
            job_rule: Some("demo-test-report-Rule-1AB".into()),
            ..AdoptRecord::default()
        };
        assert_eq!(AdoptRecord::parse(&job.to_text()), Some(job));
    }
}
