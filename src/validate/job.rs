//! A Scheduled Job's own rules: its schedule reads as Copilot reads it.

use super::Check;
use crate::manifest::Service;
use crate::model::schedule;

pub fn schedule(svc: &Service, v: &mut Check) {
    let Some(s) = svc.job.as_ref().and_then(|j| j.schedule.as_ref()) else {
        return;
    };
    if let Err(why) = schedule::parse(&s.value) {
        v.error_at("bad-schedule", why, s).help = Some(
            "a preset (@hourly, @daily, @weekly, @monthly, @yearly), @every 30m, a 5-field cron (0 9 * * 1-5), rate(...), cron(...), or none"
                .into(),
        );
    }
}
