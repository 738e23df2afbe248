//! CloudWatch Events (EventBridge) rules, for the rule of a Scheduled Job
//! Copilot deployed: DescribeRule, DisableRule, and the rule's targets.
//! Three calls of a JSON 1.1 API: through [`Wire`] rather than another SDK
//! crate.

use serde_json::{Value, json};

use super::wire::{Request, Wire};
use super::{AwsError, ErrorKind};

#[derive(Clone, Debug)]
pub struct Events {
    wire: Wire,
    endpoint: String,
}

/// A rule, as DescribeRule answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub name: String,
    pub arn: String,
    pub expression: Option<String>,
    /// `ENABLED`, `DISABLED`.
    pub state: String,
}

impl Rule {
    pub fn enabled(&self) -> bool {
        self.state == "ENABLED"
    }
}

impl Events {
    pub fn new(wire: Wire) -> Events {
        let endpoint = wire.endpoint("EVENTBRIDGE", "events");
        Events { wire, endpoint }
    }

    async fn call(&self, op: &'static str, body: &Value) -> Result<Value, AwsError> {
        let action = op.rsplit(':').next().unwrap_or(op);
        let request = Request {
            op,
            service: "events",
            method: "POST",
            url: format!("{}/", self.endpoint.trim_end_matches('/')),
            headers: vec![
                ("content-type", "application/x-amz-json-1.1".to_string()),
                ("x-amz-target", format!("AWSEvents.{action}")),
            ],
            body: body.to_string().into_bytes(),
        };
        let answer = self.wire.send(&request).await?;
        if answer.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&answer.body).map_err(|e| {
            AwsError::new(
                op,
                ErrorKind::Other,
                format!("an answer that is not JSON: {e}"),
            )
        })
    }

    /// The rule, or none.
    pub async fn rule(&self, name: &str) -> Result<Option<Rule>, AwsError> {
        match self
            .call("events:DescribeRule", &json!({"Name": name}))
            .await
        {
            Ok(v) => Ok(Some(Rule {
                name: v["Name"].as_str().unwrap_or(name).to_string(),
                arn: v["Arn"].as_str().unwrap_or_default().to_string(),
                expression: v["ScheduleExpression"].as_str().map(str::to_string),
                state: v["State"].as_str().unwrap_or_default().to_string(),
            })),
            Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn disable(&self, name: &str) -> Result<(), AwsError> {
        self.call("events:DisableRule", &json!({"Name": name}))
            .await
            .map(|_| ())
    }

    pub async fn enable(&self, name: &str) -> Result<(), AwsError> {
        self.call("events:EnableRule", &json!({"Name": name}))
            .await
            .map(|_| ())
    }
}
