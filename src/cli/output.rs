//! Writing data to stdout: JSON, or YAML for people who prefer it.

use std::io::Write;

use serde_json::Value;

/// Writes `data` to stdout. A closed pipe (`| head`) is not an error.
pub fn print_data(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// YAML for a value (serde-saphyr's writer: strings YAML would read as
/// something else, such as dates, numbers and booleans, are quoted).
pub fn to_yaml(v: &Value) -> String {
    let mut out = serde_saphyr::to_string(v).unwrap_or_default();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_reads_back_as_the_same_value() {
        let v = serde_json::json!({
            "family": "demo-test-api",
            "cpu": "256",
            "containerDefinitions": [
                {"name": "api", "essential": true, "portMappings": [{"containerPort": 80, "protocol": "tcp"}],
                 "command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "dockerLabels": {}},
                {"name": "yes", "environment": []}
            ],
            "empty": "",
            "nested": [[1, 2], []],
            "dateLike": "2026-11-22",
            "numberLike": "0755",
            "boolLike": "no"
        });
        let y = to_yaml(&v);
        // YAML 1.1 readers would take these for a date, a number and a boolean.
        for quoted in ["2026-11-22", "0755", "no"] {
            assert!(
                y.contains(&format!("\"{quoted}\"")) || y.contains(&format!("'{quoted}'")),
                "{quoted} is quoted:\n{y}"
            );
        }
        let back = crate::yaml::parse(&y).unwrap();
        let back = to_json(&back);
        assert_eq!(back, v, "{y}");
    }

    fn to_json(n: &crate::yaml::Node) -> Value {
        use crate::yaml::Value as Y;
        match &n.value {
            Y::Null => Value::Null,
            Y::Bool(b) => Value::Bool(*b),
            Y::Int(i) => Value::from(*i),
            Y::Float(f) => Value::from(*f),
            Y::Str(s) => Value::String(s.clone()),
            Y::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
            Y::Map(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.name.clone(), to_json(v)))
                    .collect(),
            ),
        }
    }
}
