//! EventBridge Scheduler (GetSchedule, CreateSchedule, UpdateSchedule), for
//! Scheduled Jobs. Its REST-JSON API is three calls: they go through
//! [`Wire`] rather than another SDK crate.

use serde_json::Value;

use super::wire::{Request, Wire};
use super::{AwsError, ErrorKind};

#[derive(Clone, Debug)]
pub struct Scheduler {
    wire: Wire,
    endpoint: String,
}

/// What a schedule's name keeps as it is in a URL path (its characters are
/// `[0-9a-zA-Z-_.]`).
const NAME: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.');

/// The schedule group sidecarctl's schedules live in.
pub const GROUP: &str = "default";

impl Scheduler {
    pub fn new(wire: Wire) -> Scheduler {
        let endpoint = wire.endpoint("SCHEDULER", "scheduler");
        Scheduler { wire, endpoint }
    }

    /// A schedule's URL; without `groupName`, Scheduler's default group
    /// ([`GROUP`]) is meant.
    fn url(&self, name: &str) -> String {
        format!(
            "{}/schedules/{}",
            self.endpoint.trim_end_matches('/'),
            percent_encoding::utf8_percent_encode(name, NAME)
        )
    }

    async fn call(
        &self,
        op: &'static str,
        method: &'static str,
        name: &str,
        body: Option<&Value>,
    ) -> Result<Value, AwsError> {
        let request = Request {
            op,
            service: "scheduler",
            method,
            url: self.url(name),
            headers: vec![("content-type", "application/json".to_string())],
            body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
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

    /// The schedule as Scheduler holds it, or none.
    pub async fn get(&self, name: &str) -> Result<Option<Value>, AwsError> {
        match self.call("scheduler:GetSchedule", "GET", name, None).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is(ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// CreateSchedule (`create`) or UpdateSchedule of `schedule` (the
    /// request's body: the expression, state, time window and target).
    pub async fn put(
        &self,
        name: &str,
        schedule: &Value,
        create: bool,
    ) -> Result<String, AwsError> {
        let (op, method) = if create {
            ("scheduler:CreateSchedule", "POST")
        } else {
            ("scheduler:UpdateSchedule", "PUT")
        };
        let mut body = schedule.clone();
        body["GroupName"] = Value::String(GROUP.into());
        let v = self.call(op, method, name, Some(&body)).await?;
        Ok(v["ScheduleArn"].as_str().unwrap_or_default().to_string())
    }
}
