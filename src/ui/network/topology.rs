//! Project → Network → Network Topology: Horizon's graph, drawn on the server as SVG.
//! Each network is a vertical bar (external ones first); routers and instances are boxes
//! on rows, with a line across to every network they have a port on. Instance changes
//! changes and network, subnet and router changes pushed by the server redraw it (no
//! polling); Launch Instance, Create Network and Create Router open their dialogs here.

use leptos::prelude::*;

use super::networks::CreateNetworkWorkflow;
use super::routers::CreateRouterDialog;
use crate::i18n::use_texts;
use crate::server_fns::network::{list_networks, topology, CreateNetwork, CreateRouter};
use crate::types::{ListQuery, TopologyView};
use crate::ui::components::{close_on_success, Modal};
use crate::ui::compute::launch::LaunchWizard;
use crate::ui::compute::use_pushed_events;

const TOP: f64 = 70.0;
const COL: f64 = 170.0;
const LEFT: f64 = 40.0;
const ROW: f64 = 56.0;
const BOX_W: f64 = 120.0;
const BOX_H: f64 = 34.0;

/// Where everything goes: x of each network's bar, y of each row.
struct Layout {
    width: f64,
    height: f64,
}

fn layout(v: &TopologyView) -> Layout {
    let rows = (v.routers.len() + v.instances.len()).max(1) as f64;
    Layout {
        width: LEFT * 2.0 + COL * v.networks.len().max(1) as f64 + BOX_W,
        height: TOP + ROW * rows + 40.0,
    }
}

fn bar_x(v: &TopologyView, network_id: &str) -> Option<f64> {
    v.networks
        .iter()
        .position(|n| n.id == network_id)
        .map(|i| LEFT + COL * i as f64 + 10.0)
}

/// A box on row `row` joined to the bars at `xs`: the line spans them, the box sits just
/// right of the leftmost bar.
fn node(
    v: &TopologyView,
    row: usize,
    kind: &'static str,
    name: String,
    status: String,
    networks: Vec<String>,
    labels: Vec<String>,
) -> impl IntoView {
    let y = TOP + ROW * row as f64 + 10.0;
    let xs: Vec<f64> = networks.iter().filter_map(|n| bar_x(v, n)).collect();
    let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let box_x = if xs.is_empty() { LEFT } else { min + 24.0 };
    let line = (!xs.is_empty()).then(|| {
        let right = max.max(box_x + BOX_W / 2.0);
        view! { <line class="link" x1=min y1=y + BOX_H / 2.0 x2=right y2=y + BOX_H / 2.0/> }
    });
    let dots = xs
        .iter()
        .zip(labels)
        .map(|(x, label)| {
            view! {
                <circle class="port" cx=*x cy=y + BOX_H / 2.0 r="5"><title>{label}</title></circle>
            }
        })
        .collect_view();
    let class = format!("node {kind} status-{}", status.to_lowercase());
    let label = name.clone();
    let joined = networks.join(" ");
    view! {
        <g class=class data-kind=kind data-name=label data-networks=joined>
            {line}
            {dots}
            <rect x=box_x y=y width=BOX_W height=BOX_H rx="5"/>
            <text x=box_x + BOX_W / 2.0 y=y + 22.0 text-anchor="middle">{name}</text>
        </g>
    }
}

#[component]
pub fn TopologyPage() -> impl IntoView {
    let t = use_texts();
    let events = use_pushed_events(&["instance", "network"]);
    let launched = RwSignal::new(0u64);
    let create_network = ServerAction::<CreateNetwork>::new();
    let create_router = ServerAction::<CreateRouter>::new();
    // Pushed events redraw the graph; the page's own changes redraw it at once too.
    let data = Resource::new(
        move || {
            (
                events.get(),
                launched.get(),
                create_network.version().get(),
                create_router.version().get(),
            )
        },
        |_| topology(),
    );
    let launch_open = RwSignal::new(false);
    let network_open = RwSignal::new(false);
    let router_open = RwSignal::new(false);
    let external = Resource::new(
        move || router_open.get(),
        |open| async move {
            if open {
                list_networks(ListQuery::all(), false)
                    .await
                    .map(|p| p.items)
            } else {
                Ok(Vec::new())
            }
        },
    );
    let external = Signal::derive(move || {
        external
            .get()
            .and_then(|r| r.ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.external)
            .collect()
    });
    close_on_success(create_network, network_open);
    view! {
        <div class="page-header"><h2>{move || t().n.topology}</h2></div>
        <div class="table-toolbar">
            <button class="btn btn-primary" id="topology-launch" on:click=move |_| launch_open.set(true)>{move || t().c.launch_instance}</button>
            <button class="btn" id="topology-create-network" on:click=move |_| network_open.set(true)>"+ "{move || t().n.create_network}</button>
            <button class="btn" id="topology-create-router" on:click=move |_| router_open.set(true)>"+ "{move || t().n.create_router}</button>
        </div>
        <LaunchWizard open=launch_open on_launched=Callback::new(move |_| launched.update(|v| *v += 1))/>
        <Modal title=Signal::derive(move || t().n.create_network.to_string()) open=network_open>
            <CreateNetworkWorkflow action=create_network admin=false/>
        </Modal>
        <CreateRouterDialog open=router_open create=create_router external/>
        <Transition fallback=move || view! { <p>{t().loading}</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <div class="alert alert-error">{crate::ui::components::error_text(t(), e)}</div> }.into_any(),
                    Ok(v) if v.networks.is_empty() => view! { <p class="empty" id="topology-empty">{t().n.topology_empty}</p> }.into_any(),
                    Ok(v) => {
                        let l = layout(&v);
                        let bars = v.networks.iter().enumerate().map(|(i, n)| {
                            let x = LEFT + COL * i as f64;
                            let class = if n.external { "network external" } else { "network" };
                            view! {
                                <g class=class data-kind="network" data-name=n.name.clone() data-id=n.id.clone()>
                                    <rect x=x y=TOP - 10.0 width="20" height=l.height - TOP rx="4"/>
                                    <text class="net-name" x=x y="22">{n.name.clone()}</text>
                                    <text class="net-cidr" x=x y="40">{n.cidrs.join(", ")}</text>
                                </g>
                            }
                        }).collect_view();
                        let mut row = 0;
                        let routers = v.routers.iter().map(|r| {
                            let mut nets: Vec<String> = r.gateway.iter().cloned().collect();
                            nets.extend(r.networks.iter().cloned());
                            let labels = nets.iter().map(|_| r.name.clone()).collect();
                            let n = node(&v, row, "router", r.name.clone(), "active".into(), nets, labels);
                            row += 1;
                            n
                        }).collect_view();
                        let instances = v.instances.iter().map(|i| {
                            let nets: Vec<String> = i.ports.iter().map(|(n, _)| n.clone()).collect();
                            let labels = i.ports.iter().map(|(_, ip)| ip.clone()).collect();
                            let n = node(&v, row, "instance", i.name.clone(), i.status.clone(), nets, labels);
                            row += 1;
                            n
                        }).collect_view();
                        view! {
                            <div class="topology-scroll">
                                <svg id="topology" class="topology" width=l.width height=l.height viewBox=format!("0 0 {} {}", l.width, l.height) role="img" aria-label=t().n.topology>
                                    {bars}
                                    {routers}
                                    {instances}
                                </svg>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
