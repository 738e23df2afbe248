//! Writing data to stdout: JSON, or YAML for people who prefer it.

use std::io::Write;

use serde_json::Value;

/// Writes `data` to stdout. A closed pipe (`| head`) is not an error.
pub fn print_data(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// YAML for a JSON value: block style, strings quoted when YAML would read them
/// as something else.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    emit(v, 0, &mut out, false);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn emit(v: &Value, indent: usize, out: &mut String, inline_first: bool) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (i, (k, val)) in map.iter().enumerate() {
                if !(i == 0 && inline_first) {
                    out.push_str(&pad);
                }
                out.push_str(&scalar(&Value::String(k.clone())));
                out.push(':');
                write_value(val, indent, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                if !(i == 0 && inline_first) {
                    out.push_str(&pad);
                }
                out.push_str("- ");
                match item {
                    Value::Object(m) if !m.is_empty() => emit(item, indent + 2, out, true),
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        emit(item, indent + 2, out, false);
                    }
                    _ => {
                        out.push_str(&scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_value(val: &Value, indent: usize, out: &mut String) {
    match val {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            emit(val, indent + 2, out, false);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            emit(val, indent, out, false);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(val));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => {
            let plain_ok = !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./@+=,()".contains(c))
                && !s.starts_with(['-', '.'])
                && s.parse::<f64>().is_err()
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "~" | "y" | "n"
                );
            if plain_ok {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
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
            "nested": [[1, 2], []]
        });
        let y = to_yaml(&v);
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
