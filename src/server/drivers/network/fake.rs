//! The fake data plane: it keeps the last plan in memory and moves no packets. Tests and
//! development use it; agents report `"driver": "fake"` so nobody mistakes it for a
//! working network.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{DriverResult, HostPlan, HostState, NetworkDriver};

#[derive(Clone, Default)]
pub struct FakeNetworkDriver {
    plan: Arc<Mutex<HostPlan>>,
    fail: Arc<Mutex<bool>>,
}

impl FakeNetworkDriver {
    pub fn new() -> FakeNetworkDriver {
        FakeNetworkDriver::default()
    }

    /// The plan applied last.
    pub fn plan(&self) -> HostPlan {
        self.plan.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Makes every apply fail until cleared (tests of what the services do then).
    pub fn fail_applies(&self, fail: bool) {
        if let Ok(mut f) = self.fail.lock() {
            *f = fail;
        }
    }
}

#[async_trait]
impl NetworkDriver for FakeNetworkDriver {
    fn kind(&self) -> &'static str {
        "fake"
    }

    async fn apply(&self, plan: &HostPlan) -> DriverResult<()> {
        if self.fail.lock().map(|f| *f).unwrap_or(false) {
            anyhow::bail!("injected failure in the fake network driver");
        }
        if let Ok(mut p) = self.plan.lock() {
            *p = plan.clone();
        }
        Ok(())
    }

    async fn observe(&self) -> DriverResult<HostState> {
        Ok(HostState::expected(&self.plan()))
    }

    fn makes_taps(&self) -> bool {
        false
    }
}
