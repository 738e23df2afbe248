//! The order `deploy --all` deploys services in: a service that subscribes
//! to another's topics after it (its topics must exist to subscribe to).
//! Services with nothing between them deploy at once.

use crate::manifest::Service;

/// For each service, the services of the same batch it waits for (the
/// publishers of the topics it subscribes to); or, when the subscriptions go
/// round in a circle, the names along it.
pub fn publishers_first(svcs: &[&Service]) -> Result<Vec<Vec<usize>>, Vec<String>> {
    let deps: Vec<Vec<usize>> = svcs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut d: Vec<usize> = s
                .subscribe
                .iter()
                .flat_map(|sub| &sub.topics)
                .filter_map(|t| {
                    svcs.iter()
                        .position(|o| o.name.value == t.service.value)
                        .filter(|&j| j != i)
                })
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        })
        .collect();
    // Depth-first: 0 unvisited, 1 on the path, 2 done.
    let mut state = vec![0u8; svcs.len()];
    let mut path: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        deps: &[Vec<usize>],
        state: &mut [u8],
        path: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        match state[i] {
            2 => return None,
            1 => {
                let from = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut circle = path[from..].to_vec();
                circle.push(i);
                return Some(circle);
            }
            _ => {}
        }
        state[i] = 1;
        path.push(i);
        for &j in &deps[i] {
            if let Some(c) = visit(j, deps, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state[i] = 2;
        None
    }
    for i in 0..svcs.len() {
        if let Some(circle) = visit(i, &deps, &mut state, &mut path) {
            return Err(circle
                .into_iter()
                .map(|k| svcs[k].name.value.clone())
                .collect());
        }
    }
    Ok(deps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::testing::service_in;

    fn worker(name: &str, subscribes_to: &[&str]) -> Service {
        let topics: String = subscribes_to
            .iter()
            .map(|s| format!("    - name: t\n      service: {s}\n"))
            .collect();
        service_in(
            &format!(
                "name: {name}\ntype: Worker Service\nimage:\n  location: a:1\nsubscribe:\n  topics:\n{topics}"
            ),
            None,
        )
    }

    #[test]
    fn subscribers_wait_for_their_publishers_in_the_batch() {
        let (a, b, c) = (
            worker("aa", &[]),
            worker("bb", &["aa", "zz"]),
            worker("cc", &["bb", "aa"]),
        );
        assert_eq!(
            publishers_first(&[&c, &b, &a]).unwrap(),
            [vec![1, 2], vec![2], vec![]]
        );
    }

    #[test]
    fn a_circle_is_named() {
        let (a, b, c) = (
            worker("aa", &["cc"]),
            worker("bb", &["aa"]),
            worker("cc", &["bb"]),
        );
        assert_eq!(
            publishers_first(&[&a, &b, &c]).unwrap_err(),
            ["aa", "cc", "bb", "aa"]
        );
    }
}
