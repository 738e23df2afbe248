//! What `publish` and `subscribe` give the task, from what AWS holds: the
//! variables, the topics and queues its role reaches; a subscription to a
//! topic that is not there is missing, at its place in the manifest.

use super::{Answers, Missing, Request};
use crate::model::messaging::{Place, wanted};
use crate::render::Facts;

pub(super) fn messaging(req: &Request, a: &Answers, facts: &mut Facts, missing: &mut Missing) {
    let Some(now) = &a.messaging else {
        return;
    };
    let place = Place {
        app: req.app,
        env: req.env,
        partition: &facts.partition,
        region: req.region,
        account: &facts.account,
    };
    let w = wanted(req.svc, &place, now);
    for s in &w.subscriptions {
        if now.topics.get(&s.topic_arn).is_some_and(Option::is_some) {
            continue;
        }
        missing.at(
            format!(
                "the topic {} of service {} does not exist: {}",
                s.topic, s.service, s.topic_arn
            ),
            s.pos,
            &s.path,
            Some(&format!(
                "deploy {} first (publish.topics names it), or `sidecarctl deploy --all`, which deploys publishers before their subscribers",
                s.service
            )),
        );
    }
    facts.messaging = crate::model::messaging::facts(req.svc, &place, now);
}
