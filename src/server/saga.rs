//! Sagas: multi-step operations whose every step has an undo.
//!
//! A saga runs its steps in order. When one fails, the steps that already ran are undone
//! in reverse order, so a failure at any point leaves nothing behind: no VM process, no
//! disk file, no held resources. Undo steps must be idempotent (they may find the thing
//! already gone) and should not fail; when one does, the failure is logged and the other
//! undos still run.
//!
//! A saga is a constant (`Saga`) beside its steps: running it and listing its failure
//! points read the same list, so a test that fails it at every point cannot miss a step.
//! Tests inject a failure before any step by name (`launch.spawn`), through `FailPoints`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::server::error::{Error, Result};

/// One step of a saga over the state `S` the steps share.
#[async_trait]
pub trait Step<S: Send>: Send + Sync {
    fn name(&self) -> &'static str;
    async fn run(&self, state: &mut S) -> Result<()>;
    /// Reverses `run`; the default is for steps with no effect to reverse.
    async fn undo(&self, _state: &mut S) -> Result<()> {
        Ok(())
    }
}

/// Where tests make a saga fail: `saga.step` names.
#[derive(Clone, Default, Debug)]
pub struct FailPoints(Arc<Mutex<HashSet<String>>>);

impl FailPoints {
    pub fn set(&self, point: &str) {
        self.0
            .lock()
            .expect("fail points")
            .insert(point.to_string());
    }

    pub fn clear(&self) {
        self.0.lock().expect("fail points").clear();
    }

    fn hit(&self, point: &str) -> bool {
        self.0.lock().expect("fail points").contains(point)
    }
}

/// How a saga failed: the step, its error, and whether every undo succeeded.
#[derive(Debug)]
pub struct SagaFailure {
    pub step: &'static str,
    pub error: Error,
    pub undone: bool,
}

/// A saga: its name and its steps, in the order they run.
pub struct Saga<S: 'static> {
    pub name: &'static str,
    pub steps: &'static [&'static dyn Step<S>],
}

impl<S: Send> Saga<S> {
    /// Runs the steps over `state`; on a failure undoes what ran, newest first.
    pub async fn execute(
        &self,
        state: &mut S,
        fail_points: &FailPoints,
    ) -> std::result::Result<(), SagaFailure> {
        execute(self.name, self.steps, state, fail_points).await
    }

    /// Its failure points, `saga.step`, in order.
    pub fn points(&self) -> Vec<String> {
        self.steps
            .iter()
            .map(|step| format!("{}.{}", self.name, step.name()))
            .collect()
    }
}

async fn execute<S: Send>(
    saga: &'static str,
    steps: &[&dyn Step<S>],
    state: &mut S,
    fail_points: &FailPoints,
) -> std::result::Result<(), SagaFailure> {
    for (n, step) in steps.iter().enumerate() {
        let point = format!("{saga}.{}", step.name());
        let outcome = if fail_points.hit(&point) {
            Err(Error::Internal(anyhow::anyhow!(
                "injected failure at {point}"
            )))
        } else {
            step.run(state).await
        };
        if let Err(error) = outcome {
            tracing::warn!(saga, step = step.name(), error = %format!("{error:#}"), "saga step failed; undoing");
            let mut undone = true;
            for done in steps[..n].iter().rev() {
                if let Err(e) = done.undo(state).await {
                    undone = false;
                    tracing::error!(saga, step = done.name(), error = %format!("{e:#}"), "saga undo failed");
                }
            }
            return Err(SagaFailure {
                step: step.name(),
                error,
                undone,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Record(&'static str);

    #[async_trait]
    impl Step<Vec<String>> for Record {
        fn name(&self) -> &'static str {
            self.0
        }
        async fn run(&self, log: &mut Vec<String>) -> Result<()> {
            log.push(format!("run {}", self.0));
            Ok(())
        }
        async fn undo(&self, log: &mut Vec<String>) -> Result<()> {
            log.push(format!("undo {}", self.0));
            Ok(())
        }
    }

    static T: Saga<Vec<String>> = Saga {
        name: "t",
        steps: &[&Record("a"), &Record("b"), &Record("c")],
    };

    #[tokio::test]
    async fn a_failure_undoes_the_steps_that_ran_newest_first() {
        let points = FailPoints::default();
        assert_eq!(T.points(), ["t.a", "t.b", "t.c"]);
        let mut log = Vec::new();
        T.execute(&mut log, &points).await.unwrap();
        assert_eq!(log, ["run a", "run b", "run c"]);

        points.set("t.c");
        let mut log = Vec::new();
        let failure = T.execute(&mut log, &points).await.unwrap_err();
        assert_eq!(failure.step, "c");
        assert!(failure.undone);
        assert_eq!(log, ["run a", "run b", "undo b", "undo a"]);
    }
}
