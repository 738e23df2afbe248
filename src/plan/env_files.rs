//! The plan's part for env files: sidecarctl's bucket when it is not there,
//! then each object not there yet, before anything that starts a task.

use super::{Desired, Groups, Step};

pub fn plan_env_files(d: &Desired, g: &mut Groups) {
    let Some(e) = &d.env_files else {
        return;
    };
    if e.create_bucket {
        g.prepare.push(Step::CreateBucket {
            name: e.bucket.clone(),
        });
    }
    for (key, file) in &e.uploads {
        g.first.push(Step::UploadEnvFile {
            bucket: e.bucket.clone(),
            key: key.clone(),
            path: file.path.value.clone(),
        });
    }
}
