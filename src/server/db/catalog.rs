//! Regions, services and endpoints: the service catalog. Rows are read and written with
//! the generic [`get`](super::get), [`insert`](super::insert), [`save`](super::save) and
//! [`delete`](super::delete); what is here are the lists.

use super::select::Select;
use super::table::table;
use super::{DbError, C};

table! {
    pub struct RegionRow in "regions" {
        pub id: String,
        pub description: String,
        pub parent_region_id: Option<String>,
    }
}

table! {
    pub struct ServiceRow in "services" {
        pub id: String,
        pub service_type as "type": String,
        pub name: String,
        pub description: String,
        pub enabled: i64,
    }
}

table! {
    pub struct EndpointRow in "endpoints" {
        pub id: String,
        pub service_id: String,
        pub interface: String,
        pub region_id: Option<String>,
        pub url: String,
        pub enabled: i64,
    }
}

pub async fn region_list(c: &mut C) -> Result<Vec<RegionRow>, DbError> {
    Select::table().order_by("id").fetch_all(c).await
}

pub async fn service_list(
    c: &mut C,
    service_type: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<ServiceRow>, DbError> {
    Select::table()
        .eq("type", service_type)
        .eq("name", name)
        .order_by("type, name")
        .fetch_all(c)
        .await
}

pub async fn endpoint_list(
    c: &mut C,
    service_id: Option<&str>,
    interface: Option<&str>,
    region_id: Option<&str>,
) -> Result<Vec<EndpointRow>, DbError> {
    Select::table()
        .eq("service_id", service_id)
        .eq("interface", interface)
        .eq("region_id", region_id)
        .order_by("service_id, interface")
        .fetch_all(c)
        .await
}
