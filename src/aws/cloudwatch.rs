//! CloudWatch alarms (DescribeAlarms, PutMetricAlarm), for Copilot's
//! rollback alarms. Not through `aws-sdk-cloudwatch`: it speaks CBOR with
//! request compression, some twenty crates more, for two operations. These
//! speak CloudWatch's Query protocol through [`Wire`].

use super::AwsError;
use super::wire::Wire;
use super::xml::Element;
use crate::state::alarm::{self, Alarm};

const VERSION: &str = "2010-08-01";

#[derive(Clone, Debug)]
pub struct CloudWatch {
    wire: Wire,
    endpoint: String,
}

impl CloudWatch {
    pub fn new(wire: Wire) -> CloudWatch {
        let endpoint = wire.endpoint("CLOUDWATCH", "monitoring");
        CloudWatch { wire, endpoint }
    }

    async fn call(
        &self,
        op: &'static str,
        params: &[(String, String)],
    ) -> Result<String, AwsError> {
        self.wire
            .query(op, "monitoring", &self.endpoint, VERSION, params)
            .await
    }

    /// The metric alarms of these names that exist (those sidecarctl reads
    /// back: the evaluation settings must be Copilot's, else the alarm is
    /// read with a description that differs, so that it is put again).
    pub async fn alarms(&self, names: &[String]) -> Result<Vec<Alarm>, AwsError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let params: Vec<(String, String)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("AlarmNames.member.{}", i + 1), n.clone()))
            .collect();
        let xml = self.call("cloudwatch:DescribeAlarms", &params).await?;
        Ok(parse_alarms(&xml))
    }

    pub async fn put_alarm(&self, a: &Alarm) -> Result<(), AwsError> {
        let mut params = vec![
            ("AlarmName".to_string(), a.name.clone()),
            ("AlarmDescription".to_string(), a.description.clone()),
            ("Namespace".to_string(), a.namespace.clone()),
            ("MetricName".to_string(), a.metric.clone()),
            ("Statistic".to_string(), alarm::STATISTIC.to_string()),
            (
                "ComparisonOperator".to_string(),
                alarm::COMPARISON.to_string(),
            ),
            (
                "DatapointsToAlarm".to_string(),
                alarm::DATAPOINTS.to_string(),
            ),
            ("EvaluationPeriods".to_string(), alarm::PERIODS.to_string()),
            ("Period".to_string(), alarm::PERIOD_S.to_string()),
            ("Threshold".to_string(), a.threshold.to_string()),
            ("Unit".to_string(), a.unit.clone()),
        ];
        for (i, (k, v)) in a.dimensions.iter().enumerate() {
            params.push((format!("Dimensions.member.{}.Name", i + 1), k.clone()));
            params.push((format!("Dimensions.member.{}.Value", i + 1), v.clone()));
        }
        self.call("cloudwatch:PutMetricAlarm", &params)
            .await
            .map(|_| ())
    }
}

fn parse_alarms(xml: &str) -> Vec<Alarm> {
    let Some(root) = Element::parse(xml) else {
        return Vec::new();
    };
    let Some(list) = root.find("MetricAlarms") else {
        return Vec::new();
    };
    list.children("member")
        .map(|m| {
            let copilots = m.text_of("Statistic") == alarm::STATISTIC
                && m.text_of("ComparisonOperator") == alarm::COMPARISON
                && m.text_of("EvaluationPeriods") == alarm::PERIODS.to_string()
                && m.text_of("Period") == alarm::PERIOD_S.to_string()
                && m.text_of("DatapointsToAlarm") == alarm::DATAPOINTS.to_string();
            let description = m.text_of("AlarmDescription");
            Alarm {
                name: m.text_of("AlarmName"),
                description: if copilots {
                    description
                } else {
                    format!("{description} (evaluated otherwise)")
                },
                namespace: m.text_of("Namespace"),
                metric: m.text_of("MetricName"),
                dimensions: m
                    .child("Dimensions")
                    .map(|d| {
                        d.children("member")
                            .map(|x| (x.text_of("Name"), x.text_of("Value")))
                            .collect()
                    })
                    .unwrap_or_default(),
                threshold: m.text_of("Threshold").parse().unwrap_or(f64::NAN),
                unit: m.text_of("Unit"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn described_alarms_read_back_as_put() {
        let xml = r#"<DescribeAlarmsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/"><DescribeAlarmsResult><MetricAlarms><member>
<AlarmName>app-test-api-CopilotRollbackCPUAlarm</AlarmName><AlarmDescription>Roll back</AlarmDescription>
<Namespace>AWS/ECS</Namespace><MetricName>CPUUtilization</MetricName><Statistic>Average</Statistic>
<Dimensions><member><Name>ClusterName</Name><Value>app-test</Value></member><member><Name>ServiceName</Name><Value>api</Value></member></Dimensions>
<Period>60</Period><EvaluationPeriods>3</EvaluationPeriods><DatapointsToAlarm>2</DatapointsToAlarm><Threshold>70.0</Threshold>
<ComparisonOperator>GreaterThanOrEqualToThreshold</ComparisonOperator><Unit>Percent</Unit></member></MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>"#;
        let a = &parse_alarms(xml)[0];
        assert_eq!(a.name, "app-test-api-CopilotRollbackCPUAlarm");
        assert_eq!(a.description, "Roll back");
        assert_eq!(a.threshold, 70.0);
        assert_eq!(a.dimensions[1], ("ServiceName".into(), "api".into()));
    }
}
