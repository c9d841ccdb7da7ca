//! The standard resource classes and traits every Placement knows (os-resource-classes and
//! the part of os-traits a KVM cloud reports); operators add `CUSTOM_*` ones.

pub const RESOURCE_CLASSES: &[&str] = &[
    "VCPU",
    "MEMORY_MB",
    "DISK_GB",
    "PCI_DEVICE",
    "SRIOV_NET_VF",
    "NUMA_SOCKET",
    "NUMA_CORE",
    "NUMA_THREAD",
    "NUMA_MEMORY_MB",
    "IPV4_ADDRESS",
    "VGPU",
    "VGPU_DISPLAY_HEAD",
    "NET_BW_EGR_KILOBIT_PER_SEC",
    "NET_BW_IGR_KILOBIT_PER_SEC",
    "PCPU",
    "MEM_ENCRYPTION_CONTEXT",
    "FPGA",
    "PGPU",
    "NET_PACKET_RATE_KILOPACKET_PER_SEC",
    "NET_PACKET_RATE_EGR_KILOPACKET_PER_SEC",
    "NET_PACKET_RATE_IGR_KILOPACKET_PER_SEC",
];

pub const TRAITS: &[&str] = &[
    "COMPUTE_ACCELERATORS",
    "COMPUTE_ARCH_AARCH64",
    "COMPUTE_ARCH_X86_64",
    "COMPUTE_DEVICE_TAGGING",
    "COMPUTE_GRAPHICS_MODEL_CIRRUS",
    "COMPUTE_GRAPHICS_MODEL_VGA",
    "COMPUTE_GRAPHICS_MODEL_VIRTIO",
    "COMPUTE_IMAGE_TYPE_ISO",
    "COMPUTE_IMAGE_TYPE_QCOW2",
    "COMPUTE_IMAGE_TYPE_RAW",
    "COMPUTE_NET_ATTACH_INTERFACE",
    "COMPUTE_NET_ATTACH_INTERFACE_WITH_TAG",
    "COMPUTE_NET_VIF_MODEL_E1000",
    "COMPUTE_NET_VIF_MODEL_VIRTIO",
    "COMPUTE_NODE",
    "COMPUTE_RESCUE_BFV",
    "COMPUTE_SAME_HOST_COLD_MIGRATE",
    "COMPUTE_SECURITY_UEFI_SECURE_BOOT",
    "COMPUTE_SOCKET_PCI_NUMA_AFFINITY",
    "COMPUTE_STATUS_DISABLED",
    "COMPUTE_STORAGE_BUS_IDE",
    "COMPUTE_STORAGE_BUS_SATA",
    "COMPUTE_STORAGE_BUS_SCSI",
    "COMPUTE_STORAGE_BUS_USB",
    "COMPUTE_STORAGE_BUS_VIRTIO",
    "COMPUTE_TRUSTED_CERTS",
    "COMPUTE_VOLUME_ATTACH_WITH_TAG",
    "COMPUTE_VOLUME_EXTEND",
    "COMPUTE_VOLUME_MULTI_ATTACH",
    "HW_ARCH_AARCH64",
    "HW_ARCH_X86_64",
    "HW_CPU_HYPERTHREADING",
    "HW_CPU_X86_AESNI",
    "HW_CPU_X86_AVX",
    "HW_CPU_X86_AVX2",
    "HW_CPU_X86_SSE",
    "HW_CPU_X86_SSE2",
    "HW_CPU_X86_SSE41",
    "HW_CPU_X86_SSE42",
    "HW_CPU_X86_SSSE3",
    "HW_CPU_X86_SVM",
    "HW_CPU_X86_VMX",
    "HW_NIC_SRIOV",
    "MISC_SHARES_VIA_AGGREGATE",
    "STORAGE_DISK_HDD",
    "STORAGE_DISK_SSD",
];

/// What every user-made resource class and trait starts with.
pub const CUSTOM_PREFIX: &str = "CUSTOM_";

/// A custom name: `CUSTOM_` and then upper-case letters, digits and `_`, at most 255 in all.
pub fn is_custom_name(name: &str) -> bool {
    name.len() <= 255
        && name.strip_prefix(CUSTOM_PREFIX).is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_names_are_upper_case_after_the_prefix() {
        assert!(is_custom_name("CUSTOM_GOLD_1"));
        assert!(!is_custom_name("CUSTOM_"));
        assert!(!is_custom_name("CUSTOM_gold"));
        assert!(!is_custom_name("GOLD"));
        assert!(!is_custom_name(&format!("CUSTOM_{}", "A".repeat(250))));
    }
}
