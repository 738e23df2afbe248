//! Which container and task a log stream belongs to.
//!
//! The service's group has `copilot/{container}/{task-id}` (the awslogs
//! driver's prefix `copilot`); FireLens's CloudWatch output names streams
//! `{log_stream_prefix}{container}-firelens-{task-id}`.

/// `(container, task id)` of a stream; unknown layouts give the stream as the
/// container and no task.
pub fn parse(stream: &str) -> (String, String) {
    if let Some(rest) = stream.strip_prefix("copilot/")
        && let Some((container, task)) = rest.split_once('/')
    {
        return (container.to_string(), task.to_string());
    }
    let last = stream.rsplit('/').next().unwrap_or(stream);
    if let Some((container, task)) = last.split_once("-firelens-") {
        return (container.to_string(), task.to_string());
    }
    (stream.to_string(), String::new())
}

/// Whether a stream passes `--container` and `--tasks` (prefixes of task ids).
pub fn wanted(container: &str, task: &str, containers: &[String], tasks: &[String]) -> bool {
    (containers.is_empty() || containers.iter().any(|c| c == container))
        && (tasks.is_empty() || tasks.iter().any(|t| task.starts_with(t.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_awslogs_and_firelens_streams() {
        assert_eq!(
            parse("copilot/nginx/0a1b2c3d4e"),
            ("nginx".into(), "0a1b2c3d4e".into())
        );
        assert_eq!(
            parse("copilot/firelens_log_router/abc"),
            ("firelens_log_router".into(), "abc".into())
        );
        assert_eq!(
            parse("copilot/api-firelens-9f8e7d"),
            ("api".into(), "9f8e7d".into())
        );
        assert_eq!(
            parse("something-else"),
            ("something-else".into(), String::new())
        );
    }

    #[test]
    fn filters_by_container_and_task_prefix() {
        let c = vec!["api".to_string(), "nginx".to_string()];
        assert!(wanted("api", "0a1b", &c, &[]));
        assert!(!wanted("config-agent", "0a1b", &c, &[]));
        assert!(wanted("api", "0a1b2c", &[], &["0a1".into()]));
        assert!(!wanted("api", "ffff", &[], &["0a1".into()]));
    }
}
