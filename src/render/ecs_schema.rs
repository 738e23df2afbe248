//! The task definition's fields under both of their names: CloudFormation's
//! (`AWS::ECS::TaskDefinition`'s properties, which `taskdef_overrides` paths
//! use, as in Copilot) and the ECS API's (the document sidecarctl registers).
//! Most ECS names are the CloudFormation name with a lower-case first letter;
//! the table names the exceptions.

/// What a field holds.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Str,
    Int,
    Bool,
    /// A map whose keys are the user's (Docker labels, driver options): kept
    /// as written, values as strings.
    StrMap,
    Obj(&'static [Field]),
    List(&'static Shape),
}

#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub cfn: &'static str,
    /// The ECS name when it is not `cfn` with a lower-case first letter.
    ecs: Option<&'static str>,
    pub shape: Shape,
}

impl Field {
    pub fn ecs(&self) -> String {
        match self.ecs {
            Some(e) => e.to_string(),
            None => {
                let mut c = self.cfn.chars();
                c.next()
                    .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
                    .unwrap_or_default()
            }
        }
    }
}

const fn f(cfn: &'static str, shape: Shape) -> Field {
    Field {
        cfn,
        ecs: None,
        shape,
    }
}

const fn renamed(cfn: &'static str, ecs: &'static str, shape: Shape) -> Field {
    Field {
        cfn,
        ecs: Some(ecs),
        shape,
    }
}

use Shape::*;

const STRS: Shape = List(&Str);
const NAME_VALUE: Shape = Obj(&[f("Name", Str), f("Value", Str)]);
const SECRET: Shape = Obj(&[f("Name", Str), f("ValueFrom", Str)]);

const CONTAINER: Shape = Obj(&[
    f("Command", STRS),
    f("Cpu", Int),
    f("CredentialSpecs", STRS),
    f(
        "DependsOn",
        List(&Obj(&[f("Condition", Str), f("ContainerName", Str)])),
    ),
    f("DisableNetworking", Bool),
    f("DnsSearchDomains", STRS),
    f("DnsServers", STRS),
    f("DockerLabels", StrMap),
    f("DockerSecurityOptions", STRS),
    f("EntryPoint", STRS),
    f("Environment", List(&NAME_VALUE)),
    f(
        "EnvironmentFiles",
        List(&Obj(&[f("Type", Str), f("Value", Str)])),
    ),
    f("Essential", Bool),
    f(
        "ExtraHosts",
        List(&Obj(&[f("Hostname", Str), f("IpAddress", Str)])),
    ),
    f(
        "FirelensConfiguration",
        Obj(&[f("Options", StrMap), f("Type", Str)]),
    ),
    f(
        "HealthCheck",
        Obj(&[
            f("Command", STRS),
            f("Interval", Int),
            f("Retries", Int),
            f("StartPeriod", Int),
            f("Timeout", Int),
        ]),
    ),
    f("Hostname", Str),
    f("Image", Str),
    f("Interactive", Bool),
    f("Links", STRS),
    f(
        "LinuxParameters",
        Obj(&[
            f("Capabilities", Obj(&[f("Add", STRS), f("Drop", STRS)])),
            f(
                "Devices",
                List(&Obj(&[
                    f("ContainerPath", Str),
                    f("HostPath", Str),
                    f("Permissions", STRS),
                ])),
            ),
            f("InitProcessEnabled", Bool),
            f("MaxSwap", Int),
            f("SharedMemorySize", Int),
            f("Swappiness", Int),
            f(
                "Tmpfs",
                List(&Obj(&[
                    f("ContainerPath", Str),
                    f("MountOptions", STRS),
                    f("Size", Int),
                ])),
            ),
        ]),
    ),
    f(
        "LogConfiguration",
        Obj(&[
            f("LogDriver", Str),
            f("Options", StrMap),
            f("SecretOptions", List(&SECRET)),
        ]),
    ),
    f("Memory", Int),
    f("MemoryReservation", Int),
    f(
        "MountPoints",
        List(&Obj(&[
            f("ContainerPath", Str),
            f("ReadOnly", Bool),
            f("SourceVolume", Str),
        ])),
    ),
    f("Name", Str),
    f(
        "PortMappings",
        List(&Obj(&[
            f("AppProtocol", Str),
            f("ContainerPort", Int),
            f("ContainerPortRange", Str),
            f("HostPort", Int),
            f("Name", Str),
            f("Protocol", Str),
        ])),
    ),
    f("Privileged", Bool),
    f("PseudoTerminal", Bool),
    f("ReadonlyRootFilesystem", Bool),
    f(
        "RepositoryCredentials",
        Obj(&[f("CredentialsParameter", Str)]),
    ),
    f(
        "ResourceRequirements",
        List(&Obj(&[f("Type", Str), f("Value", Str)])),
    ),
    f(
        "RestartPolicy",
        Obj(&[
            f("Enabled", Bool),
            f("IgnoredExitCodes", List(&Int)),
            f("RestartAttemptPeriod", Int),
        ]),
    ),
    f("Secrets", List(&SECRET)),
    f("StartTimeout", Int),
    f("StopTimeout", Int),
    f(
        "SystemControls",
        List(&Obj(&[f("Namespace", Str), f("Value", Str)])),
    ),
    f(
        "Ulimits",
        List(&Obj(&[
            f("HardLimit", Int),
            f("Name", Str),
            f("SoftLimit", Int),
        ])),
    ),
    f("User", Str),
    f("VersionConsistency", Str),
    f(
        "VolumesFrom",
        List(&Obj(&[f("ReadOnly", Bool), f("SourceContainer", Str)])),
    ),
    f("WorkingDirectory", Str),
]);

const VOLUME: Shape = Obj(&[
    f("ConfiguredAtLaunch", Bool),
    f(
        "DockerVolumeConfiguration",
        Obj(&[
            f("Autoprovision", Bool),
            f("Driver", Str),
            f("DriverOpts", StrMap),
            f("Labels", StrMap),
            f("Scope", Str),
        ]),
    ),
    renamed(
        "EFSVolumeConfiguration",
        "efsVolumeConfiguration",
        Obj(&[
            f(
                "AuthorizationConfig",
                Obj(&[f("AccessPointId", Str), renamed("IAM", "iam", Str)]),
            ),
            renamed("FilesystemId", "fileSystemId", Str),
            f("RootDirectory", Str),
            f("TransitEncryption", Str),
            f("TransitEncryptionPort", Int),
        ]),
    ),
    renamed(
        "FSxWindowsFileServerVolumeConfiguration",
        "fsxWindowsFileServerVolumeConfiguration",
        Obj(&[
            f(
                "AuthorizationConfig",
                Obj(&[f("CredentialsParameter", Str), f("Domain", Str)]),
            ),
            f("FileSystemId", Str),
            f("RootDirectory", Str),
        ]),
    ),
    f("Host", Obj(&[f("SourcePath", Str)])),
    f("Name", Str),
]);

/// `AWS::ECS::TaskDefinition`'s properties (`Tags` left out: sidecarctl
/// tags the task definition itself).
pub const TASK: Shape = Obj(&[
    f("ContainerDefinitions", List(&CONTAINER)),
    f("Cpu", Str),
    f("EnableFaultInjection", Bool),
    f("EphemeralStorage", Obj(&[f("SizeInGiB", Int)])),
    f("ExecutionRoleArn", Str),
    f("Family", Str),
    f(
        "InferenceAccelerators",
        List(&Obj(&[f("DeviceName", Str), f("DeviceType", Str)])),
    ),
    f("IpcMode", Str),
    f("Memory", Str),
    f("NetworkMode", Str),
    f("PidMode", Str),
    f(
        "PlacementConstraints",
        List(&Obj(&[f("Expression", Str), f("Type", Str)])),
    ),
    f(
        "ProxyConfiguration",
        Obj(&[
            f("ContainerName", Str),
            renamed(
                "ProxyConfigurationProperties",
                "properties",
                List(&NAME_VALUE),
            ),
            f("Type", Str),
        ]),
    ),
    f("RequiresCompatibilities", STRS),
    f(
        "RuntimePlatform",
        Obj(&[f("CpuArchitecture", Str), f("OperatingSystemFamily", Str)]),
    ),
    f("TaskRoleArn", Str),
    f("Volumes", List(&VOLUME)),
]);

/// The field `cfn` of an object shape.
pub fn field(shape: Shape, cfn: &str) -> Option<Field> {
    match shape {
        Obj(fields) => fields.iter().find(|f| f.cfn == cfn).copied(),
        _ => None,
    }
}

/// The CloudFormation names of an object shape's fields, for suggestions.
pub fn names(shape: Shape) -> Vec<&'static str> {
    match shape {
        Obj(fields) => fields.iter().map(|f| f.cfn).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecs_names_follow_cloudformation_names_but_for_the_exceptions() {
        let c = |path: &[&str]| {
            let mut shape = TASK;
            let mut last = None;
            for p in path {
                let f = field(shape, p).unwrap();
                shape = match f.shape {
                    List(s) => *s,
                    s => s,
                };
                last = Some(f);
            }
            last.unwrap().ecs()
        };
        assert_eq!(c(&["ContainerDefinitions", "StopTimeout"]), "stopTimeout");
        assert_eq!(c(&["EphemeralStorage", "SizeInGiB"]), "sizeInGiB");
        assert_eq!(
            c(&["Volumes", "EFSVolumeConfiguration", "FilesystemId"]),
            "fileSystemId"
        );
        assert_eq!(
            c(&[
                "Volumes",
                "EFSVolumeConfiguration",
                "AuthorizationConfig",
                "IAM"
            ]),
            "iam"
        );
        assert_eq!(
            c(&["ProxyConfiguration", "ProxyConfigurationProperties"]),
            "properties"
        );
        assert_eq!(
            c(&["ContainerDefinitions", "ExtraHosts", "IpAddress"]),
            "ipAddress"
        );
    }
}
