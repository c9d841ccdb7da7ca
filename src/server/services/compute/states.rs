//! Nova's instance states as types: `vm_state` (what the instance is), `task_state` (what
//! is being done to it) and, from the driver, its power state. They are parsed once, where
//! a row is read, and printed only where a body is written, so a typo is a compile error
//! instead of a state no `match` knows.

pub use crate::server::drivers::compute::PowerState;

named_enum! {
    /// Nova's `vm_state`.
    VmState {
        Building = "building",
        Active = "active",
        Stopped = "stopped",
        Paused = "paused",
        Suspended = "suspended",
        Resized = "resized",
        Rescued = "rescued",
        Error = "error",
        Deleted = "deleted",
        SoftDeleted = "soft_deleted",
        Shelved = "shelved",
        ShelvedOffloaded = "shelved_offloaded",
    }
}

named_enum! {
    /// Nova's `task_state`: the work in progress; at most one at a time.
    TaskState {
        Scheduling = "scheduling",
        Networking = "networking",
        BlockDeviceMapping = "block_device_mapping",
        Spawning = "spawning",
        PoweringOn = "powering-on",
        PoweringOff = "powering-off",
        Rebooting = "rebooting",
        RebootingHard = "rebooting_hard",
        Pausing = "pausing",
        Unpausing = "unpausing",
        Suspending = "suspending",
        Resuming = "resuming",
        ResizePrep = "resize_prep",
        ResizeConfirming = "resize_confirming",
        ResizeReverting = "resize_reverting",
        Rebuilding = "rebuilding",
        ImageSnapshot = "image_snapshot",
        InterfaceAttaching = "interface_attaching",
        InterfaceDetaching = "interface_detaching",
        Deleting = "deleting",
    }
}

impl VmState {
    /// Read from a row; a name this version does not know reads as `error`, so the
    /// instance is shown and can be deleted rather than failing every listing.
    pub fn from_row(text: &str) -> VmState {
        VmState::parse(text).unwrap_or_else(|| {
            tracing::warn!(
                vm_state = text,
                "unknown vm_state in the database; shown as error"
            );
            VmState::Error
        })
    }
}

impl TaskState {
    /// Read from a row; an unknown task reads as none (no work of ours is running on it).
    pub fn from_row(text: Option<&str>) -> Option<TaskState> {
        let text = text?;
        let task = TaskState::parse(text);
        if task.is_none() {
            tracing::warn!(
                task_state = text,
                "unknown task_state in the database; ignored"
            );
        }
        task
    }
}

impl PowerState {
    /// Nova's power state number, as stored and as `OS-EXT-STS:power_state` shows it.
    pub fn code(self) -> i64 {
        self as i64
    }

    pub fn from_code(code: i64) -> PowerState {
        match code {
            1 => PowerState::Running,
            3 => PowerState::Paused,
            4 => PowerState::Shutdown,
            6 => PowerState::Crashed,
            7 => PowerState::Suspended,
            _ => PowerState::NoState,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_from_its_name() {
        for s in VmState::ALL {
            assert_eq!(VmState::parse(s.as_str()), Some(*s));
        }
        for t in TaskState::ALL {
            assert_eq!(TaskState::parse(t.as_str()), Some(*t));
        }
        for p in [
            PowerState::NoState,
            PowerState::Running,
            PowerState::Paused,
            PowerState::Shutdown,
            PowerState::Crashed,
            PowerState::Suspended,
        ] {
            assert_eq!(PowerState::from_code(p.code()), p);
        }
        assert_eq!(VmState::from_row("no-such-state"), VmState::Error);
        assert_eq!(TaskState::from_row(Some("no-such-task")), None);
    }
}
