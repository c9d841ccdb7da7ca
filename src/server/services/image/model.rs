//! An image as the service hands it out, the attributes a client may set (with Glance's
//! schema checks and limits), and the list query.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::*;
use crate::server::authz::Resource;
use crate::server::db::images::ImageRow;
use crate::server::error::{Error, Result};

pub const VISIBILITIES: [&str; 4] = ["public", "private", "shared", "community"];
pub const MEMBER_STATUSES: [&str; 3] = ["pending", "accepted", "rejected"];

/// Attributes Glance computes; a client may not set them.
const READ_ONLY: [&str; 13] = [
    "id",
    "status",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "size",
    "virtual_size",
    "created_at",
    "updated_at",
    "file",
    "self",
    "schema",
    "direct_url",
];
/// Names no property may take.
const RESERVED: [&str; 4] = [
    "deleted",
    "deleted_at",
    "locations",
    "os_glance_import_task",
];

/// An image as the service hands it out.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub id: String,
    pub name: Option<String>,
    pub owner: String,
    pub status: String,
    pub visibility: String,
    pub protected: bool,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub size: Option<i64>,
    pub virtual_size: Option<i64>,
    pub checksum: Option<String>,
    pub os_hash_algo: Option<String>,
    pub os_hash_value: Option<String>,
    pub min_disk: i64,
    pub min_ram: i64,
    pub properties: BTreeMap<String, String>,
    pub tags: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<ImageRow> for Image {
    fn from(r: ImageRow) -> Image {
        Image {
            properties: serde_json::from_str(&r.properties).unwrap_or_default(),
            tags: serde_json::from_str(&r.tags).unwrap_or_default(),
            id: r.id,
            name: r.name,
            owner: r.owner,
            status: r.status,
            visibility: r.visibility,
            protected: r.protected != 0,
            disk_format: r.disk_format,
            container_format: r.container_format,
            size: r.size,
            virtual_size: r.virtual_size,
            checksum: r.checksum,
            os_hash_algo: r.os_hash_algo,
            os_hash_value: r.os_hash_value,
            min_disk: r.min_disk,
            min_ram: r.min_ram,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl Image {
    pub(super) fn to_row(&self) -> ImageRow {
        ImageRow {
            id: self.id.clone(),
            name: self.name.clone(),
            owner: self.owner.clone(),
            status: self.status.clone(),
            visibility: self.visibility.clone(),
            protected: self.protected as i64,
            disk_format: self.disk_format.clone(),
            container_format: self.container_format.clone(),
            size: self.size,
            virtual_size: self.virtual_size,
            checksum: self.checksum.clone(),
            os_hash_algo: self.os_hash_algo.clone(),
            os_hash_value: self.os_hash_value.clone(),
            min_disk: self.min_disk,
            min_ram: self.min_ram,
            properties: serde_json::to_string(&self.properties).unwrap_or_else(|_| "{}".into()),
            tags: serde_json::to_string(&self.tags).unwrap_or_else(|_| "[]".into()),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// Sets one attribute as a client sets it (create or patch), with Glance's checks.
    pub(super) fn set(&mut self, attr: ImageAttr) -> Result<()> {
        let name = attr.name().to_string();
        check_settable(&name)?;
        match attr {
            ImageAttr::Name(v) => {
                if v.as_ref().is_some_and(|n| n.chars().count() > 255) {
                    return Err(bad_value(
                        &name,
                        &json!(v),
                        "a string of at most 255 characters",
                    ));
                }
                self.name = v;
            }
            ImageAttr::Owner(v) => {
                if v.is_empty() || v.chars().count() > 255 {
                    return Err(bad_value(&name, &json!(v), "a project id"));
                }
                self.owner = v;
            }
            ImageAttr::Visibility(v) => {
                if !VISIBILITIES.contains(&v.as_str()) {
                    return Err(bad_value(
                        &name,
                        &json!(v),
                        "one of public, private, shared, community",
                    ));
                }
                self.visibility = v;
            }
            ImageAttr::Protected(v) => self.protected = v,
            ImageAttr::DiskFormat(v) => self.set_format(&name, v, &DISK_FORMATS)?,
            ImageAttr::ContainerFormat(v) => self.set_format(&name, v, &CONTAINER_FORMATS)?,
            ImageAttr::MinDisk(n) | ImageAttr::MinRam(n) => {
                if n < 0 {
                    return Err(bad_value(&name, &json!(n), "a non-negative integer"));
                }
                if name == "min_disk" {
                    self.min_disk = n;
                } else {
                    self.min_ram = n;
                }
            }
            ImageAttr::Tags(tags) => {
                if tags.len() > MAX_TAGS {
                    return Err(over_limit("tags", tags.len(), MAX_TAGS));
                }
                let mut unique = Vec::new();
                for t in tags {
                    check_tag(&t)?;
                    if !unique.contains(&t) {
                        unique.push(t);
                    }
                }
                self.tags = unique;
            }
            ImageAttr::Property(key, value) => {
                check_property_name(&key)?;
                if value.chars().count() > 65535 {
                    return Err(bad_value(&key, &Value::Null, "at most 65535 characters"));
                }
                self.properties.insert(key, value);
            }
        }
        Ok(())
    }

    /// Removes one attribute (a patch's `remove`): a property goes, an optional attribute
    /// becomes unset, and a required one is refused.
    pub(super) fn remove(&mut self, attr: &str) -> Result<()> {
        check_settable(attr)?;
        match attr {
            "name" => self.name = None,
            "owner" | "visibility" | "protected" => {
                return Err(Error::forbidden_msg(msg!(
                    "Attribute '{attr}' cannot be removed.",
                    attr
                )))
            }
            "disk_format" => self.set_format(attr, None, &DISK_FORMATS)?,
            "container_format" => self.set_format(attr, None, &CONTAINER_FORMATS)?,
            "min_disk" | "min_ram" => {
                return Err(bad_value(attr, &Value::Null, "a non-negative integer"))
            }
            "tags" => self.tags.clear(),
            _ => {
                check_property_name(attr)?;
                if self.properties.remove(attr).is_none() {
                    return Err(Error::Conflict(msg!(
                        "Property {attr} does not exist.",
                        attr
                    )));
                }
            }
        }
        Ok(())
    }

    /// A disk or container format: one Glance knows, and changed only while the image
    /// has no data.
    fn set_format(&mut self, attr: &str, v: Option<String>, allowed: &[&str]) -> Result<()> {
        if v.as_ref().is_some_and(|f| !allowed.contains(&f.as_str())) {
            return Err(bad_value(
                attr,
                &json!(v),
                &format!("one of {}", allowed.join(", ")),
            ));
        }
        if self.status != "queued" && v != self.field_str(attr) {
            return Err(Error::forbidden_msg(msg!(
                "Attribute {attr} can be only replaced for a queued image.",
                attr
            )));
        }
        if attr == "disk_format" {
            self.disk_format = v;
        } else {
            self.container_format = v;
        }
        Ok(())
    }

    fn field_str(&self, attr: &str) -> Option<String> {
        match attr {
            "disk_format" => self.disk_format.clone(),
            "container_format" => self.container_format.clone(),
            _ => None,
        }
    }

    /// The image as the policy sees it.
    pub(super) fn resource<'a>(&'a self, member: bool) -> Resource<'a> {
        Resource::Image {
            id: &self.id,
            owner: &self.owner,
            visibility: &self.visibility,
            member,
        }
    }
}

/// Glance's refusal of a value: the attribute, the value as JSON, what it should be.
pub fn bad_value(attr: &str, v: &Value, expected: &str) -> Error {
    Error::invalid(msg!(
        "Invalid value {v} for attribute '{attr}': expected {expected}.",
        v,
        attr,
        expected
    ))
}

/// Refuses the attributes no client sets: those Glance computes and the reserved names.
pub fn check_settable(attr: &str) -> Result<()> {
    if READ_ONLY.contains(&attr) {
        return Err(Error::forbidden_msg(msg!(
            "Attribute '{attr}' is read-only.",
            attr
        )));
    }
    // Glance keeps every `os_glance` name for itself.
    if RESERVED.contains(&attr) || attr.starts_with("os_glance") {
        return Err(Error::forbidden_msg(msg!(
            "Attribute '{attr}' is reserved.",
            attr
        )));
    }
    Ok(())
}

/// The attributes with types of their own (`ImageAttr`'s other variants).
const TYPED: [&str; 9] = [
    "name",
    "owner",
    "visibility",
    "protected",
    "disk_format",
    "container_format",
    "min_disk",
    "min_ram",
    "tags",
];

fn check_property_name(key: &str) -> Result<()> {
    if key.is_empty() || key.chars().count() > 255 || key.contains('/') || TYPED.contains(&key) {
        return Err(Error::invalid(msg!("Invalid property name '{key}'.", key)));
    }
    Ok(())
}

/// Glance's `image_property_quota`, `image_tag_quota` and `image_member_quota`: counted
/// before the work a longer list would cost.
pub const MAX_PROPERTIES: usize = 128;
pub const MAX_TAGS: usize = 128;
pub const MAX_MEMBERS: usize = 128;

/// Glance's 413 for one of those limits.
pub fn over_limit(what: &str, attempted: usize, maximum: usize) -> Error {
    Error::TooLarge(msg!(
        "The limit has been exceeded on the number of allowed image {what}. \
         Attempted: {attempted}, Maximum: {maximum}",
        what,
        attempted,
        maximum
    ))
}

pub(super) fn check_properties(image: &Image) -> Result<()> {
    match image.properties.len() {
        n if n > MAX_PROPERTIES => Err(over_limit("properties", n, MAX_PROPERTIES)),
        _ => Ok(()),
    }
}

pub(super) fn check_tag(tag: &str) -> Result<()> {
    if tag.is_empty() || tag.chars().count() > 255 {
        return Err(Error::invalid(msg!(
            "Invalid tag '{tag}': a tag has 1 to 255 characters.",
            tag
        )));
    }
    Ok(())
}

/// An attribute a client sets on an image, already of its type; what it may hold is
/// checked by the service.
#[derive(Clone, Debug, PartialEq)]
pub enum ImageAttr {
    Name(Option<String>),
    /// The owning project (administrators give an image to another project).
    Owner(String),
    Visibility(String),
    Protected(bool),
    DiskFormat(Option<String>),
    ContainerFormat(Option<String>),
    MinDisk(i64),
    MinRam(i64),
    Tags(Vec<String>),
    /// Any other name: a free-form property (`os_distro`, `hw_disk_bus`, …).
    Property(String, String),
}

impl ImageAttr {
    pub fn name(&self) -> &str {
        match self {
            ImageAttr::Name(_) => "name",
            ImageAttr::Owner(_) => "owner",
            ImageAttr::Visibility(_) => "visibility",
            ImageAttr::Protected(_) => "protected",
            ImageAttr::DiskFormat(_) => "disk_format",
            ImageAttr::ContainerFormat(_) => "container_format",
            ImageAttr::MinDisk(_) => "min_disk",
            ImageAttr::MinRam(_) => "min_ram",
            ImageAttr::Tags(_) => "tags",
            ImageAttr::Property(key, _) => key,
        }
    }
}

/// A new image: the attributes of `POST /v2/images`.
#[derive(Debug, Default)]
pub struct ImageCreate {
    pub id: Option<String>,
    pub attributes: Vec<ImageAttr>,
}

/// One operation of an update.
#[derive(Debug, Clone)]
pub enum ImagePatch {
    /// `add` and `replace` alike set the value (Glance treats them the same on attributes).
    Set(ImageAttr),
    Remove(String),
}

/// `GET /v2/images` parameters, already parsed.
#[derive(Debug, Clone)]
pub struct ImageQuery {
    pub visibility: Option<String>,
    pub member_status: Option<String>,
    pub name: Option<String>,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub disk_format: Option<String>,
    pub container_format: Option<String>,
    pub protected: Option<bool>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
    pub tags: Vec<String>,
    /// Case-insensitive substring of the name (the portal's filter box).
    pub name_contains: Option<String>,
    /// Only these images.
    pub ids: Vec<String>,
    /// List what a member of the token's project sees, even for an administrator
    /// (Horizon's Project → Images, the launch wizard).
    pub project_view: bool,
    pub sort: ImageSort,
    pub descending: bool,
    pub marker: Option<String>,
    pub limit: Option<i64>,
    /// Rows to skip (the portal's numbered pages).
    pub offset: i64,
}

impl Default for ImageQuery {
    fn default() -> Self {
        ImageQuery {
            visibility: None,
            member_status: None,
            name: None,
            status: None,
            owner: None,
            disk_format: None,
            container_format: None,
            protected: None,
            size_min: None,
            size_max: None,
            tags: Vec::new(),
            name_contains: None,
            ids: Vec::new(),
            project_view: false,
            sort: ImageSort::CreatedAt,
            descending: true,
            marker: None,
            limit: None,
            offset: 0,
        }
    }
}

/// A page of images; `more` when another page follows the last one.
pub struct ImagePage {
    pub images: Vec<Image>,
    pub more: bool,
}

/// The largest page Glance serves (`api_limit_max`).
pub const MAX_PAGE: i64 = 1000;
