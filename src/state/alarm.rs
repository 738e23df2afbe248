//! A CloudWatch metric alarm, as far as sidecarctl sets one: Copilot's
//! rollback alarms (the average of a metric at or above a threshold in two
//! of three one-minute periods).

#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric: String,
    pub dimensions: Vec<(String, String)>,
    pub threshold: f64,
    pub unit: String,
}

/// How Copilot's rollback alarms evaluate: `Average`, `>=`, 2 of 3 periods
/// of 60 s.
pub const STATISTIC: &str = "Average";
pub const COMPARISON: &str = "GreaterThanOrEqualToThreshold";
pub const DATAPOINTS: u32 = 2;
pub const PERIODS: u32 = 3;
pub const PERIOD_S: u32 = 60;
