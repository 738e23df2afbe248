//! The tag an image is pushed as when `--image-tag` does not say: the git
//! commit (short SHA, `-dirty` when the tree has changes), else the time.

use std::path::Path;

/// The tag for a build from `workspace`.
pub async fn default_tag(workspace: &Path) -> String {
    match git_tag(workspace).await {
        Some(t) => t,
        None => timestamp(crate::clock::now_ms()),
    }
}

async fn git(workspace: &Path, args: &[&str]) -> Option<String> {
    let out = tokio::process::Command::new("git")
        .arg("-C")
        .arg(workspace)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

async fn git_tag(workspace: &Path) -> Option<String> {
    let (sha, status) = tokio::join!(
        git(workspace, &["rev-parse", "--short", "HEAD"]),
        git(workspace, &["status", "--porcelain"])
    );
    Some(tag_of(&sha?, &status?))
}

/// `abc1234`, or `abc1234-dirty` when `git status --porcelain` lists changes.
pub fn tag_of(sha: &str, status: &str) -> String {
    if status.trim().is_empty() {
        sha.to_string()
    } else {
        format!("{sha}-dirty")
    }
}

/// `20261204T061530Z`: a tag's characters only.
pub fn timestamp(ms: i64) -> String {
    crate::clock::rfc3339_ms(ms)
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_alphanumeric() || *c == 'T')
        .collect::<String>()
        + "Z"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_tree_is_its_commit_a_changed_one_says_so() {
        assert_eq!(tag_of("abc1234", ""), "abc1234");
        assert_eq!(tag_of("abc1234", " M api/main.go\n"), "abc1234-dirty");
    }

    #[test]
    fn without_git_the_time_is_the_tag() {
        assert_eq!(timestamp(1_796_364_930_000), "20261204T061530Z");
    }
}
