//! Compute and image panels: instances, the launch wizard, images, key pairs, flavors,
//! hypervisors and quotas. Each function is one call into the services.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::types::{
    AppError, FlavorView, HypervisorSummary, HypervisorView, ImageView, InstanceDetail,
    InstanceView, InterfaceChoices, KeypairView, LaunchChoices, LaunchRequest, ListQuery, Page,
    QuotaUsage, UsageSummary,
};

#[cfg(feature = "ssr")]
pub(crate) mod convert {
    use std::collections::HashMap;

    use crate::server::services::compute::{Flavor, Keypair, PowerState, Server};
    use crate::server::services::image::Image;
    use crate::types::{FlavorView, ImageView, InstanceView, KeypairView};

    pub fn iso(t: i64) -> String {
        crate::server::time::iso_seconds(t)
    }

    pub fn power(p: PowerState) -> &'static str {
        match p {
            PowerState::Running => "Running",
            PowerState::Paused => "Paused",
            PowerState::Shutdown => "Shutdown",
            PowerState::Crashed => "Crashed",
            PowerState::Suspended => "Suspended",
            PowerState::NoState => "No State",
        }
    }

    pub fn instance(
        ctx: &crate::server::context::OpCtx,
        s: &Server,
        images: &HashMap<String, String>,
        nets: &HashMap<String, crate::server::services::network::InstanceNetworking>,
    ) -> InstanceView {
        InstanceView {
            id: s.id.clone(),
            name: s.name.clone(),
            project_id: s.project_id.clone(),
            image_name: s
                .image_id
                .as_ref()
                .map(|i| images.get(i).cloned().unwrap_or_else(|| i.clone()))
                .unwrap_or_default(),
            image_id: s.image_id.clone(),
            flavor_name: s.flavor.name.clone(),
            vcpus: s.flavor.vcpus,
            ram: s.flavor.ram,
            disk: s.flavor.disk,
            key_name: s.key_name.clone(),
            status: s.status().to_string(),
            task_state: s.task_state.map(|t| t.as_str().to_string()),
            power_state: power(s.power_state).to_string(),
            availability_zone: s.availability_zone.clone(),
            host: s.host.clone(),
            locked: s.locked,
            actionable: crate::server::services::compute::lock_allows(ctx, s),
            unlockable: crate::server::services::compute::may_unlock(ctx, s),
            created: iso(s.created_at),
            fault: s.fault.as_ref().map(|f| f.message.clone()),
            addresses: nets
                .get(&s.id)
                .map(|n| n.addresses.iter().map(|a| a.addr.clone()).collect())
                .unwrap_or_default(),
        }
    }

    pub fn flavor(f: &Flavor) -> FlavorView {
        FlavorView {
            id: f.id.clone(),
            name: f.name.clone(),
            vcpus: f.vcpus,
            ram: f.ram,
            disk: f.disk,
            ephemeral: f.ephemeral,
            swap: f.swap,
            is_public: f.is_public,
            extra_specs: f
                .extra_specs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }

    pub fn image(i: &Image) -> ImageView {
        ImageView {
            id: i.id.clone(),
            name: i.name.clone().unwrap_or_default(),
            status: i.status.clone(),
            visibility: i.visibility.clone(),
            protected: i.protected,
            disk_format: i.disk_format.clone().unwrap_or_default(),
            container_format: i.container_format.clone().unwrap_or_default(),
            size: i.size,
            min_disk: i.min_disk,
            min_ram: i.min_ram,
            owner: i.owner.clone(),
            created: iso(i.created_at),
            image_type: i
                .properties
                .get("image_type")
                .cloned()
                .unwrap_or_else(|| "image".into()),
        }
    }

    pub fn keypair(k: &Keypair) -> KeypairView {
        KeypairView {
            name: k.name.clone(),
            fingerprint: k.fingerprint.clone(),
            key_type: k.key_type.clone(),
            public_key: k.public_key.clone(),
        }
    }
}

/// Image names by id, for the tables that show an instance's image.
/// The names of the images these instances boot from.
#[cfg(feature = "ssr")]
async fn image_names(
    state: &crate::server::state::AppState,
    ctx: &crate::server::context::OpCtx,
    servers: &[crate::server::services::compute::Server],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let ids: Vec<String> = servers.iter().filter_map(|s| s.image_id.clone()).collect();
    Ok(state.image.image_names(ctx, &ids).await?)
}

/// Project → Instances (or, `all_projects`, Admin → Instances): newest first.
#[server(input = Json)]
pub async fn list_instances(
    query: ListQuery,
    all_projects: bool,
) -> Result<Page<InstanceView>, AppError> {
    use crate::server::services::compute::ServerListQuery;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let size = query.size() as i64;
    let list = state
        .compute
        .server_list(
            &ctx,
            ServerListQuery {
                all_projects,
                name: Some(query.filter.clone()).filter(|f| !f.is_empty()),
                limit: Some(size),
                offset: query.page as i64 * size,
                ..Default::default()
            },
        )
        .await?;
    let images = image_names(&state, &ctx, &list.servers).await?;
    let ids: Vec<String> = list.servers.iter().map(|s| s.id.clone()).collect();
    let nets = state.compute.networking_of(&ids).await?;
    Ok(Page {
        items: list
            .servers
            .iter()
            .map(|s| convert::instance(&ctx, s, &images, &nets))
            .collect(),
        total: list.total as u64,
        page: query.page,
        page_size: query.size(),
    })
}

#[server(input = Json)]
pub async fn get_instance(id: String) -> Result<InstanceDetail, AppError> {
    use crate::types::InstanceActionView;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let s = state.compute.server_get(&ctx, &id).await?;
    let images = image_names(&state, &ctx, std::slice::from_ref(&s)).await?;
    let actions = state.compute.instance_actions(&ctx, &id).await?;
    let nets = state
        .compute
        .networking_of(std::slice::from_ref(&s.id))
        .await?;
    Ok(InstanceDetail {
        instance: convert::instance(&ctx, &s, &images, &nets),
        hostname: s.hostname.clone(),
        user_id: s.user_id.clone(),
        launched_at: s.launched_at.map(convert::iso),
        metadata: s
            .metadata
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        actions: actions
            .into_iter()
            .map(|a| InstanceActionView {
                action: a.action,
                request_id: a.request_id,
                start_time: convert::iso(a.start_time),
                user_id: a.user_id,
                message: a.message,
            })
            .collect(),
        has_console: state.compute.driver_kind() == "qemu",
        may_operate: crate::server::services::compute::ComputeService::may_operate(&ctx, &s),
    })
}

/// A row action of the Instances table.
#[server(input = Json)]
pub async fn instance_action(id: String, action: String) -> Result<(), AppError> {
    use crate::server::services::compute::{RebootKind, ServerAction};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let a = match action.as_str() {
        "start" => ServerAction::Start,
        "stop" => ServerAction::Stop,
        "soft_reboot" => ServerAction::Reboot(RebootKind::Soft),
        "hard_reboot" => ServerAction::Reboot(RebootKind::Hard),
        "pause" => ServerAction::Pause,
        "unpause" => ServerAction::Unpause,
        "suspend" => ServerAction::Suspend,
        "resume" => ServerAction::Resume,
        "lock" => ServerAction::Lock { reason: None },
        "unlock" => ServerAction::Unlock,
        "confirm_resize" => ServerAction::ConfirmResize,
        "revert_resize" => ServerAction::RevertResize,
        other => return Err(AppError::Invalid(msg!("unknown action {other}", other))),
    };
    Ok(state.compute.server_action(&ctx, &id, a).await?)
}

/// (id, `name (cidr, …)`) of the networks the project can put an instance on: its own
/// and shared ones with a subnet, not external.
#[cfg(feature = "ssr")]
async fn network_choices(
    state: &crate::server::state::AppState,
    ctx: &crate::server::context::OpCtx,
) -> Result<Vec<(String, String)>, AppError> {
    let networks = state.compute.usable_networks(ctx).await?;
    let subnets = state.network.subnet_list(ctx, Default::default()).await?;
    let mut choices: Vec<(String, String)> = networks
        .iter()
        .map(|n| {
            let cidrs: Vec<&str> = subnets
                .iter()
                .filter(|s| s.network_id == n.id)
                .map(|s| s.cidr.as_str())
                .collect();
            (n.id.clone(), format!("{} ({})", n.name, cidrs.join(", ")))
        })
        .collect();
    choices.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(choices)
}

/// What the Attach Interface and Detach Interface dialogs offer for an instance.
#[server]
pub async fn interface_options(id: String) -> Result<InterfaceChoices, AppError> {
    use crate::server::services::network::PortQuery;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let own = ctx.auth.project_id().unwrap_or("").to_string();
    let networks = network_choices(&state, &ctx).await?;
    let names: std::collections::HashMap<String, String> = state
        .network
        .network_list(&ctx, Default::default())
        .await?
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect();
    let label = |net: &str, ips: Vec<String>, port: &str| {
        let net = names.get(net).cloned().unwrap_or_else(|| net.to_string());
        format!("{net}: {} ({})", ips.join(", "), &port[..port.len().min(8)])
    };
    let attached = state
        .compute
        .interface_list(&ctx, &id)
        .await?
        .into_iter()
        .map(|a| {
            let ips = a.fixed_ips.iter().map(|(ip, _)| ip.clone()).collect();
            let text = label(&a.net_id, ips, &a.port_id);
            (a.port_id, text)
        })
        .collect();
    let mut free_ports: Vec<(String, String)> = state
        .network
        .port_list(&ctx, PortQuery::default())
        .await?
        .into_iter()
        .filter(|p| p.project_id == own && p.device_id.is_empty() && !p.fixed_ips.is_empty())
        .map(|p| {
            let ips = p.fixed_ips.iter().map(|f| f.ip_address.clone()).collect();
            let text = if p.name.is_empty() {
                label(&p.network_id, ips, &p.id)
            } else {
                format!("{} — {}", p.name, label(&p.network_id, ips, &p.id))
            };
            (p.id, text)
        })
        .collect();
    free_ports.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(InterfaceChoices {
        networks,
        free_ports,
        attached,
    })
}

/// Attach Interface: by network (with perhaps a fixed address) or by port.
#[server(input = Json)]
pub async fn attach_interface(
    id: String,
    network_id: Option<String>,
    fixed_ip: Option<String>,
    port_id: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::compute::InterfaceAttach;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let blank = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (network_id, fixed_ip, port_id) = (blank(network_id), blank(fixed_ip), blank(port_id));
    if network_id.is_none() && port_id.is_none() {
        return Err(AppError::Invalid(msg!("Choose a network or a port.")));
    }
    state
        .compute
        .interface_attach(
            &ctx,
            &id,
            InterfaceAttach {
                net_id: network_id,
                port_id,
                fixed_ips: fixed_ip.into_iter().collect(),
            },
        )
        .await?;
    Ok(())
}

#[server(input = Json)]
pub async fn detach_interface(id: String, port_id: String) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    Ok(state.compute.interface_detach(&ctx, &id, &port_id).await?)
}

#[server(input = Json)]
pub async fn delete_instances(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.compute.server_delete(&ctx, &id, false).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn create_snapshot(id: String, name: String) -> Result<String, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    Ok(state
        .compute
        .server_snapshot(&ctx, &id, &name, Default::default())
        .await?)
}

#[server(input = Json)]
pub async fn instance_log(id: String, lines: Option<u32>) -> Result<String, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    Ok(state
        .compute
        .console_output(&ctx, &id, lines.map(|l| l as i64))
        .await?)
}

#[cfg(feature = "ssr")]
async fn quota_usage(
    state: &crate::server::state::AppState,
    ctx: &crate::server::context::OpCtx,
) -> Result<Vec<QuotaUsage>, AppError> {
    let Some(project) = ctx.auth.project_id() else {
        return Ok(Vec::new());
    };
    let q = state.compute.quota_get(ctx, project).await?;
    let keypairs = state.compute.keypairs_used(ctx).await?;
    Ok(["instances", "cores", "ram", "key_pairs"]
        .iter()
        .map(|r| QuotaUsage {
            resource: r.to_string(),
            limit: q.limits.get(*r).copied().unwrap_or(-1),
            used: if *r == "key_pairs" {
                keypairs
            } else {
                q.in_use.get(*r).copied().unwrap_or(0)
            },
        })
        .collect())
}

/// Project → Overview: the project's limits and what it uses.
#[server]
pub async fn project_usage() -> Result<Vec<QuotaUsage>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    quota_usage(&state, &ctx).await
}

#[server]
pub async fn launch_options() -> Result<LaunchChoices, AppError> {
    use crate::server::services::image::{ImageQuery, MAX_PAGE};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let images = state
        .image
        .image_list(
            &ctx,
            ImageQuery {
                limit: Some(MAX_PAGE),
                status: Some("active".into()),
                project_view: true,
                ..Default::default()
            },
        )
        .await?
        .images;
    let flavors = state.compute.flavor_list(&ctx, Default::default()).await?;
    let keypairs = state.compute.keypair_list(&ctx, None).await?;
    let own = ctx.auth.project_id().unwrap_or("").to_string();
    let network_choices = network_choices(&state, &ctx).await?;
    let mut groups: Vec<String> = state
        .network
        .security_group_list(&ctx, Default::default())
        .await?
        .into_iter()
        .filter(|g| g.project_id == own)
        .map(|g| g.name)
        .collect();
    groups.sort();
    groups.dedup();
    Ok(LaunchChoices {
        images: images.iter().map(convert::image).collect(),
        flavors: flavors.iter().map(convert::flavor).collect(),
        keypairs: keypairs.iter().map(convert::keypair).collect(),
        quota: quota_usage(&state, &ctx).await?,
        networks: network_choices,
        security_groups: groups,
    })
}

#[server(input = Json)]
pub async fn launch_instance(request: LaunchRequest) -> Result<Vec<String>, AppError> {
    use crate::server::services::compute::{NetworkRequest, NicRequest, ServerCreate};
    use base64::Engine;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let count = request.count.max(1) as i64;
    let user_data = (!request.user_data.is_empty())
        .then(|| base64::engine::general_purpose::STANDARD.encode(request.user_data.as_bytes()));
    let launched = state
        .compute
        .server_create(
            &ctx,
            ServerCreate {
                name: request.name,
                image_id: Some(request.image_id).filter(|i| !i.is_empty()),
                flavor_id: request.flavor_id,
                key_name: request.key_name.filter(|k| !k.is_empty()),
                user_data,
                metadata: Default::default(),
                min_count: count,
                max_count: count,
                availability_zone: None,
                hostname: None,
                group: None,
                labels: Default::default(),
                // The wizard's Networks step, in order; none chosen is no interface.
                networks: if request.networks.is_empty() {
                    NetworkRequest::None
                } else {
                    NetworkRequest::List(
                        request
                            .networks
                            .iter()
                            .map(|id| NicRequest {
                                network_id: Some(id.clone()),
                                ..Default::default()
                            })
                            .collect(),
                    )
                },
                security_groups: request.security_groups.clone(),
                admin_pass: None,
            },
        )
        .await?;
    Ok(launched.servers.into_iter().map(|s| s.id).collect())
}

/// Project → Images (or Admin → Images with `all_projects`).
#[server(input = Json)]
pub async fn list_images(
    query: ListQuery,
    all_projects: bool,
) -> Result<Page<ImageView>, AppError> {
    use crate::server::services::image::ImageQuery;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    // Glance's default set: public, the project's own, and shared with it (accepted);
    // for an administrator (Admin → Images), every image.
    let size = query.size() as i64;
    let q = ImageQuery {
        project_view: !all_projects,
        name_contains: Some(query.filter.clone()).filter(|f| !f.is_empty()),
        limit: Some(size),
        offset: query.page as i64 * size,
        ..Default::default()
    };
    let total = state.image.image_count(&ctx, q.clone()).await?;
    let images = state.image.image_list(&ctx, q).await?.images;
    Ok(Page {
        items: images.iter().map(convert::image).collect(),
        total: total as u64,
        page: query.page,
        page_size: query.size(),
    })
}

/// Creates an image record; the browser then uploads its file to
/// `/portal/images/{id}/file` with a progress bar.
#[server(input = Json)]
pub async fn create_image(
    name: String,
    disk_format: String,
    container_format: String,
    visibility: String,
    min_disk: i64,
    min_ram: i64,
    protected: bool,
) -> Result<String, AppError> {
    use crate::server::services::image::{ImageAttr, ImageCreate};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let attributes = vec![
        ImageAttr::Name(Some(name)),
        ImageAttr::DiskFormat(Some(disk_format)),
        ImageAttr::ContainerFormat(Some(container_format)),
        ImageAttr::Visibility(visibility),
        ImageAttr::MinDisk(min_disk),
        ImageAttr::MinRam(min_ram),
        ImageAttr::Protected(protected),
    ];
    let image = state
        .image
        .image_create(
            &ctx,
            ImageCreate {
                id: None,
                attributes,
            },
        )
        .await?;
    Ok(image.id)
}

#[server(input = Json)]
pub async fn update_image(
    id: String,
    name: String,
    visibility: String,
    min_disk: i64,
    min_ram: i64,
    protected: bool,
) -> Result<(), AppError> {
    use crate::server::services::image::{ImageAttr, ImagePatch};
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .image
        .image_update(
            &ctx,
            &id,
            vec![
                ImagePatch::Set(ImageAttr::Name(Some(name))),
                ImagePatch::Set(ImageAttr::Visibility(visibility)),
                ImagePatch::Set(ImageAttr::MinDisk(min_disk)),
                ImagePatch::Set(ImageAttr::MinRam(min_ram)),
                ImagePatch::Set(ImageAttr::Protected(protected)),
            ],
        )
        .await?;
    Ok(())
}

#[server(input = Json)]
pub async fn delete_images(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.image.image_delete(&ctx, &id).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_keypairs(query: ListQuery) -> Result<Page<KeypairView>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let keypairs = state.compute.keypair_list(&ctx, None).await?;
    let rows = keypairs.iter().map(convert::keypair).collect();
    Ok(super::table_page(
        rows,
        &query,
        |k| &k.name,
        |k, col| match col {
            "fingerprint" => k.fingerprint.clone(),
            _ => k.name.clone(),
        },
    ))
}

/// Creates a key pair; with no public key one is generated and its private half returned
/// (once) for the browser to save as `NAME.pem`.
#[server(input = Json)]
pub async fn create_keypair(
    name: String,
    public_key: Option<String>,
) -> Result<Option<String>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let made = state
        .compute
        .keypair_create(
            &ctx,
            &name,
            None,
            public_key.as_deref().filter(|k| !k.trim().is_empty()),
        )
        .await?;
    Ok(made.private_key)
}

#[server(input = Json)]
pub async fn delete_keypairs(names: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for name in names {
        state.compute.keypair_delete(&ctx, &name, None).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn list_flavors(query: ListQuery) -> Result<Page<FlavorView>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let flavors = state.compute.flavor_list(&ctx, Default::default()).await?;
    let rows = flavors.iter().map(convert::flavor).collect();
    Ok(super::table_page(
        rows,
        &query,
        |f| &f.name,
        |f, col| match col {
            "id" => f.id.clone(),
            "vcpus" => format!("{:012}", f.vcpus),
            "ram" => format!("{:012}", f.ram),
            "disk" => format!("{:012}", f.disk),
            _ => f.name.clone(),
        },
    ))
}

#[server(input = Json)]
pub async fn create_flavor(
    name: String,
    id: String,
    vcpus: i64,
    ram: i64,
    disk: i64,
    ephemeral: i64,
    swap: i64,
    is_public: bool,
) -> Result<String, AppError> {
    use crate::server::services::compute::FlavorCreate;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let f = state
        .compute
        .flavor_create(
            &ctx,
            FlavorCreate {
                id: Some(id).filter(|i| !i.trim().is_empty()),
                name,
                vcpus,
                ram,
                disk,
                ephemeral,
                swap,
                rxtx_factor: 1.0,
                is_public,
                description: None,
            },
        )
        .await?;
    Ok(f.id)
}

#[server(input = Json)]
pub async fn delete_flavors(ids: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    for id in ids {
        state.compute.flavor_delete(&ctx, &id).await?;
    }
    Ok(())
}

#[server(input = Json)]
pub async fn hypervisor_totals() -> Result<HypervisorSummary, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let s = state.compute.hypervisor_statistics(&ctx).await?;
    Ok(HypervisorSummary {
        vcpus: s.vcpus_allocatable,
        vcpus_used: s.vcpus_used,
        memory_mb: s.memory_mb_allocatable,
        memory_mb_used: s.memory_mb_used,
        local_gb: s.local_gb,
        local_gb_used: s.local_gb_used,
    })
}

#[server(input = Json)]
pub async fn list_hypervisors(query: ListQuery) -> Result<Page<HypervisorView>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let rows = state
        .compute
        .hypervisors(&ctx)
        .await?
        .into_iter()
        .map(|(h, used)| HypervisorView {
            id: h.id,
            hostname: h.host,
            hypervisor_type: h.hypervisor_type,
            vcpus: h.vcpus,
            vcpus_used: used.vcpus,
            memory_mb: h.memory_mb,
            memory_mb_used: used.memory_mb,
            local_gb: h.local_gb,
            local_gb_used: used.disk_gb,
            running_vms: used.instances,
            status: h.status,
            cpu_allocation_ratio: h.cpu_allocation_ratio,
            ram_allocation_ratio: h.ram_allocation_ratio,
        })
        .collect();
    Ok(super::table_page(
        rows,
        &query,
        |h| &h.hostname,
        |h, _| h.hostname.clone(),
    ))
}

/// Admin → Defaults: the default quotas.
#[server]
pub async fn quota_defaults() -> Result<Vec<QuotaUsage>, AppError> {
    use crate::server::services::compute::QUOTA_RESOURCES;
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    // Nova's own quotas (the network service's are its own panel's).
    Ok(state
        .compute
        .quota_defaults(&ctx)
        .await?
        .into_iter()
        .filter(|(resource, _)| QUOTA_RESOURCES.iter().any(|(r, _)| r == resource))
        .map(|(resource, limit)| QuotaUsage {
            resource,
            limit,
            used: 0,
        })
        .collect())
}

#[server(input = Json)]
pub async fn update_quota_defaults(values: Vec<(String, i64)>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    state
        .compute
        .quota_defaults_update(&ctx, values.into_iter().collect())
        .await?;
    Ok(())
}

/// Admin → Flavors → Modify Access: the projects a private flavor is given to.
#[server(input = Json)]
pub async fn flavor_access(id: String) -> Result<Vec<String>, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    Ok(state.compute.flavor_access_list(&ctx, &id).await?)
}

/// Sets a private flavor's projects to exactly `projects`.
#[server(input = Json)]
pub async fn set_flavor_access(id: String, projects: Vec<String>) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let current = state.compute.flavor_access_list(&ctx, &id).await?;
    for p in projects.iter().filter(|p| !current.contains(p)) {
        state.compute.flavor_access_add(&ctx, &id, p).await?;
    }
    for p in current.iter().filter(|p| !projects.contains(p)) {
        state.compute.flavor_access_remove(&ctx, &id, p).await?;
    }
    Ok(())
}

/// Admin → Flavors → Update Metadata: sets `specs` and removes `removed`.
#[server(input = Json)]
pub async fn set_flavor_extra_specs(
    id: String,
    specs: Vec<(String, String)>,
    removed: Vec<String>,
) -> Result<(), AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    if !specs.is_empty() {
        state
            .compute
            .flavor_extra_specs_set(&ctx, &id, specs.into_iter().collect())
            .await?;
    }
    for key in removed {
        state
            .compute
            .flavor_extra_spec_delete(&ctx, &id, &key)
            .await?;
    }
    Ok(())
}

/// Project → Overview → Usage Summary for a period (YYYY-MM-DD, both days included).
#[server]
pub async fn project_usage_report(start: String, end: String) -> Result<UsageSummary, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    let Some(project) = ctx.auth.project_id().map(str::to_string) else {
        return Err(AppError::Invalid(msg!("Choose a project first.")));
    };
    Ok(state
        .compute
        .usage_summary(&ctx, &state.identity, Some(&project), &start, &end)
        .await?)
}

/// Admin → Overview: every project's usage for a period.
#[server]
pub async fn admin_usage_report(start: String, end: String) -> Result<UsageSummary, AppError> {
    let (state, ctx) = crate::server::portal::request_ctx().await?;
    Ok(state
        .compute
        .usage_summary(&ctx, &state.identity, None, &start, &end)
        .await?)
}
