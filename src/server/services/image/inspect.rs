//! Checks that uploaded image data is what its `disk_format` claims, before the image
//! becomes `active`.
//!
//! A qcow2 that names a backing file or an external data file would make QEMU open
//! another file on the host when an instance boots from it (the class of
//! CVE-2024-32498), and a "raw" image that is really a qcow2 would be read as one by
//! anything that probes. So the data is probed with `qemu-img info` (under resource
//! limits, as Nova does) and the probe must agree with the declared format.

use crate::message::Message;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// The disk formats Glance accepts.
pub const DISK_FORMATS: [&str; 11] = [
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
];
/// The container formats Glance accepts.
pub const CONTAINER_FORMATS: [&str; 8] = [
    "ami",
    "ari",
    "aki",
    "bare",
    "ovf",
    "ova",
    "docker",
    "compressed",
];

/// What `qemu-img info --output=json` says (the parts we check).
#[derive(Debug, Deserialize)]
pub struct QemuImgInfo {
    pub format: String,
    #[serde(rename = "virtual-size")]
    pub virtual_size: Option<i64>,
    #[serde(rename = "backing-filename")]
    pub backing_filename: Option<String>,
    #[serde(rename = "full-backing-filename")]
    pub full_backing_filename: Option<String>,
    #[serde(rename = "format-specific")]
    pub format_specific: Option<FormatSpecific>,
}

#[derive(Debug, Deserialize)]
pub struct FormatSpecific {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

/// The outcome of a check: the virtual size to record, or why the data is refused.
pub type Verdict = Result<Option<i64>, Message>;

/// Runs `qemu-img info` on `path` (format probed, not given) and checks it against the
/// declared formats.
pub async fn inspect(
    qemu_img: &Path,
    path: &Path,
    disk_format: &str,
    container_format: &str,
) -> Verdict {
    if matches!(container_format, "ova" | "docker") {
        // A tar archive: the disk inside is not probed, but the archive must be one.
        return if has_tar_magic(path).await {
            Ok(None)
        } else {
            Err(msg!(
                "Image content is not a tar archive, as container_format {container_format} requires.",
                container_format
            ))
        };
    }
    let info = qemu_img_info(qemu_img, path).await?;
    let is_iso = has_iso_magic(path).await;
    check(disk_format, &info, is_iso)
}

/// The pure part of the check, for tests.
pub fn check(disk_format: &str, info: &QemuImgInfo, is_iso: bool) -> Verdict {
    if info.backing_filename.is_some() || info.full_backing_filename.is_some() {
        return Err(msg!(
            "Image data names a backing file; such images are refused."
        ));
    }
    let expected = match disk_format {
        "qcow2" => "qcow2",
        "vmdk" => "vmdk",
        "vdi" => "vdi",
        "vhd" => "vpc",
        "vhdx" => "vhdx",
        "ploop" => "parallels",
        // ISO 9660, Amazon kernels and ramdisks, and raw disks all probe as raw.
        "raw" | "iso" | "ami" | "aki" | "ari" => "raw",
        other => return Err(msg!("Unknown disk_format {other}.", other)),
    };
    if info.format != expected {
        return Err(msg!(
            "Image content does not match disk_format {disk_format}: the data is {format}.",
            disk_format,
            format = info.format
        ));
    }
    if disk_format == "iso" && !is_iso {
        return Err(msg!(
            "Image content does not match disk_format iso: no ISO 9660 volume descriptor."
        ));
    }
    if let Some(fs) = &info.format_specific {
        if fs.kind == "qcow2" && fs.data.get("data-file").is_some() {
            return Err(msg!(
                "Image data names an external data file; such images are refused."
            ));
        }
        if fs.kind == "vmdk" {
            let create_type = fs
                .data
                .get("create-type")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            if !matches!(create_type, "monolithicSparse" | "streamOptimized") {
                return Err(msg!(
                    "VMDK create-type {create_type} is refused: only monolithicSparse and streamOptimized images are self-contained.",
                    create_type = format!("{create_type:?}")
                ));
            }
        }
    }
    Ok(info.virtual_size)
}

async fn qemu_img_info(qemu_img: &Path, path: &Path) -> Result<QemuImgInfo, Message> {
    // Nova's limits for qemu-img on untrusted data: 1 GiB of address space, 30 s of CPU.
    let mut cmd = tokio::process::Command::new("prlimit");
    cmd.arg("--as=1073741824")
        .arg("--cpu=30")
        .arg(qemu_img)
        .args(["info", "--output=json"])
        .arg(path)
        .kill_on_drop(true)
        .stdin(std::process::Stdio::null());
    let output = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .map_err(|_| msg!("qemu-img info did not finish in 60 s"))?
        .map_err(|e| msg!("qemu-img could not be run: {e}", e))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(msg!(
            "qemu-img cannot read the image data: {reason}",
            reason = stderr.trim().lines().last().unwrap_or("unknown error")
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| msg!("qemu-img info output: {e}", e))
}

async fn read_at(path: &Path, offset: u64, len: usize) -> Option<Vec<u8>> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = tokio::fs::File::open(path).await.ok()?;
    f.seek(std::io::SeekFrom::Start(offset)).await.ok()?;
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf).await.ok()?;
    Some(buf)
}

/// The primary volume descriptor of ISO 9660: `CD001` at byte 32769.
async fn has_iso_magic(path: &Path) -> bool {
    read_at(path, 32769, 5).await.is_some_and(|b| b == b"CD001")
}

/// POSIX tar: `ustar` at byte 257.
async fn has_tar_magic(path: &Path) -> bool {
    read_at(path, 257, 5).await.is_some_and(|b| b == b"ustar")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(json: &str) -> QemuImgInfo {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn declared_format_must_match_the_probe() {
        let qcow2 = info(
            r#"{"format":"qcow2","virtual-size":1048576,"format-specific":{"type":"qcow2","data":{"compat":"1.1"}}}"#,
        );
        assert_eq!(check("qcow2", &qcow2, false), Ok(Some(1048576)));
        assert!(check("raw", &qcow2, false)
            .unwrap_err()
            .to_string()
            .contains("the data is qcow2"));
        let raw = info(r#"{"format":"raw","virtual-size":512}"#);
        assert_eq!(check("raw", &raw, false), Ok(Some(512)));
        assert!(check("qcow2", &raw, false).is_err());
        assert!(check("iso", &raw, false)
            .unwrap_err()
            .to_string()
            .contains("ISO 9660"));
        assert_eq!(check("iso", &raw, true), Ok(Some(512)));
    }

    #[test]
    fn backing_and_data_files_are_refused() {
        let backed =
            info(r#"{"format":"qcow2","virtual-size":1,"backing-filename":"/etc/shadow"}"#);
        assert!(check("qcow2", &backed, false)
            .unwrap_err()
            .to_string()
            .contains("backing file"));
        let data_file = info(
            r#"{"format":"qcow2","virtual-size":1,"format-specific":{"type":"qcow2","data":{"data-file":"/dev/sda"}}}"#,
        );
        assert!(check("qcow2", &data_file, false)
            .unwrap_err()
            .to_string()
            .contains("data file"));
        let split_vmdk = info(
            r#"{"format":"vmdk","virtual-size":1,"format-specific":{"type":"vmdk","data":{"create-type":"monolithicFlat"}}}"#,
        );
        assert!(check("vmdk", &split_vmdk, false).is_err());
        let vmdk = info(
            r#"{"format":"vmdk","virtual-size":1,"format-specific":{"type":"vmdk","data":{"create-type":"streamOptimized"}}}"#,
        );
        assert_eq!(check("vmdk", &vmdk, false), Ok(Some(1)));
    }
}
