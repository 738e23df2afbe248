//! Where the SDK's settings come from, read without asking the network: the
//! profiles the config files name, and the region the SDK would pick.

use std::borrow::Cow;

use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::{AwsError, ErrorKind};

/// The profiles `~/.aws/config` and `~/.aws/credentials` name (or the files
/// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE point at).
pub async fn known_profiles() -> Vec<String> {
    let set = aws_config::profile::load(
        &Fs::real(),
        &Env::real(),
        &EnvConfigFiles::default(),
        None::<Cow<'static, str>>,
    )
    .await;
    let mut names: Vec<String> = set
        .map(|s| s.profiles().map(str::to_string).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The profile chosen (the flag, then AWS_PROFILE) must exist: the SDK would
/// otherwise carry on with other credentials, silently.
pub async fn check_profile(flag: Option<&str>) -> Result<(), AwsError> {
    let from_env = std::env::var("AWS_PROFILE").ok();
    let Some((chosen, how)) = flag
        .map(|p| (p.to_string(), "--profile"))
        .or_else(|| from_env.map(|p| (p, "AWS_PROFILE")))
        .filter(|(p, _)| !p.is_empty() && p != "default")
    else {
        return Ok(());
    };
    let known = known_profiles().await;
    if known.contains(&chosen) {
        return Ok(());
    }
    let have = if known.is_empty() {
        "there are no profiles in ~/.aws/config or ~/.aws/credentials".to_string()
    } else {
        format!("the profiles are: {}", known.join(", "))
    };
    Err(AwsError::new(
        "config",
        ErrorKind::Invalid,
        format!("there is no AWS profile \"{chosen}\" ({how}); {have}"),
    ))
}

/// The region the SDK would use, without the instance metadata service: the
/// flag, then AWS_REGION and AWS_DEFAULT_REGION, then the profile's.
pub async fn configured_region(flag: Option<&str>, profile: Option<&str>) -> Option<String> {
    if let Some(r) = flag {
        return Some(r.to_string());
    }
    let mut profile_region = ProfileFileRegionProvider::builder();
    if let Some(p) = profile {
        profile_region = profile_region.profile_name(p);
    }
    RegionProviderChain::first_try(
        aws_config::environment::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(profile_region.build())
    .region()
    .await
    .map(|r| r.to_string())
}
