//! The portal's languages. Every string lives in one `Texts` struct and each language is
//! one constant of it, so a language that misses a string does not compile.

mod compute;
pub mod errors;
mod network;

pub use compute::*;
pub use network::*;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::types::AppError;

/// The current language's texts, for components.
pub fn use_texts() -> impl Fn() -> &'static Texts + Copy {
    let lang = use_context::<RwSignal<Lang>>().unwrap_or_else(|| RwSignal::new(Lang::En));
    move || lang.get().texts()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        match code {
            "ko" => Lang::Ko,
            _ => Lang::En,
        }
    }

    /// The language a request's `Cookie` header chose (`gureum_lang`), English otherwise.
    pub fn from_cookies(header: &str) -> Lang {
        header
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .find(|(k, _)| *k == "gureum_lang")
            .map_or(Lang::En, |(_, v)| Lang::from_code(v))
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Ko => &KO,
        }
    }
}

pub struct Texts {
    pub brand: &'static str,
    // Login.
    pub log_in: &'static str,
    pub log_in_title: &'static str,
    pub domain: &'static str,
    pub user_name: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub invalid_credentials: &'static str,
    pub account_locked: &'static str,
    // Shell.
    pub project: &'static str,
    pub admin: &'static str,
    pub identity: &'static str,
    pub settings: &'static str,
    pub api_access: &'static str,
    pub system_information: &'static str,
    pub projects: &'static str,
    pub users: &'static str,
    pub groups: &'static str,
    pub roles: &'static str,
    pub application_credentials: &'static str,
    pub no_project: &'static str,
    // Tables.
    pub filter: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub project_id: &'static str,
    pub domain_name: &'static str,
    pub enabled: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub actions: &'static str,
    pub email: &'static str,
    pub user_id: &'static str,
    pub group_id: &'static str,
    pub role_id: &'static str,
    pub locked: &'static str,
    /// "{n}" stands for the number of rows.
    pub displaying_items: &'static str,
    /// The same for exactly one (English says "item"; Korean has one form).
    pub displaying_item: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub no_items: &'static str,
    pub loading: &'static str,
    // Actions.
    pub create_project: &'static str,
    pub edit_project: &'static str,
    pub delete_project: &'static str,
    pub delete_projects: &'static str,
    pub manage_members: &'static str,
    pub set_active_project: &'static str,
    pub create_user: &'static str,
    pub edit_user: &'static str,
    pub change_password: &'static str,
    pub enable_user: &'static str,
    pub disable_user: &'static str,
    pub delete_user: &'static str,
    pub delete_users: &'static str,
    pub unlock: &'static str,
    pub create_group: &'static str,
    pub delete_group: &'static str,
    pub delete_groups: &'static str,
    pub create_role: &'static str,
    pub delete_role: &'static str,
    pub delete_roles: &'static str,
    pub implied_roles: &'static str,
    pub create_app_cred: &'static str,
    pub delete_app_cred: &'static str,
    pub delete_app_creds: &'static str,
    pub save: &'static str,
    pub cancel: &'static str,
    pub create: &'static str,
    pub delete: &'static str,
    pub close: &'static str,
    pub confirm_delete: &'static str,
    pub confirm_delete_body: &'static str,
    pub cannot_undo: &'static str,
    pub members: &'static str,
    pub add: &'static str,
    pub remove: &'static str,
    pub confirm_password: &'static str,
    pub passwords_differ: &'static str,
    pub primary_project: &'static str,
    pub role: &'static str,
    pub none: &'static str,
    pub expiration: &'static str,
    pub secret: &'static str,
    pub secret_once: &'static str,
    pub original_password: &'static str,
    pub new_password: &'static str,
    pub password_changed: &'static str,
    // API access.
    pub service: &'static str,
    pub service_endpoint: &'static str,
    pub download_openrc: &'static str,
    pub download_clouds_yaml: &'static str,
    pub view_credentials: &'static str,
    // System information.
    pub services: &'static str,
    pub service_type: &'static str,
    pub region: &'static str,
    pub interface: &'static str,
    pub status: &'static str,
    pub up: &'static str,
    pub down: &'static str,
    // Settings.
    pub language: &'static str,
    pub theme: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub theme_system: &'static str,
    pub user_settings: &'static str,
    pub saved: &'static str,
    pub not_found: &'static str,
    /// An error the server keeps to itself; `{id}` is the request's id.
    pub internal_error: &'static str,
    /// The request did not reach the server; `{reason}` is why.
    pub unreachable: &'static str,
    /// The service layer's messages by their English template (`crate::message`), and the
    /// resource kinds they name.
    pub message: fn(&str) -> Option<&'static str>,
    pub noun: fn(&str) -> Option<&'static str>,
    /// The words a message carries as `{what}` and `{expected}`.
    pub phrase: fn(&str) -> Option<String>,
    /// Compute and image panels.
    pub c: &'static ComputeTexts,
    /// Network panels.
    pub n: &'static NetworkTexts,
}

pub const EN: Texts = Texts {
    brand: "Gureum",
    log_in: "Log in",
    log_in_title: "Log in to Gureum",
    domain: "Domain",
    user_name: "User Name",
    password: "Password",
    sign_in: "Sign In",
    sign_out: "Sign Out",
    invalid_credentials: "Invalid credentials. Please try again.",
    account_locked: "This account is locked after too many failed logins. Try again later or ask an administrator to unlock it.",
    project: "Project",
    admin: "Admin",
    identity: "Identity",
    settings: "Settings",
    api_access: "API Access",
    system_information: "System Information",
    projects: "Projects",
    users: "Users",
    groups: "Groups",
    roles: "Roles",
    application_credentials: "Application Credentials",
    no_project: "No project",
    filter: "Filter",
    name: "Name",
    description: "Description",
    project_id: "Project ID",
    domain_name: "Domain Name",
    enabled: "Enabled",
    yes: "Yes",
    no: "No",
    actions: "Actions",
    email: "Email",
    user_id: "User ID",
    group_id: "Group ID",
    role_id: "Role ID",
    locked: "Locked",
    displaying_items: "Displaying {n} items",
    displaying_item: "Displaying 1 item",
    previous: "« Prev",
    next: "Next »",
    no_items: "No items to display.",
    loading: "Loading…",
    create_project: "Create Project",
    edit_project: "Edit Project",
    delete_project: "Delete Project",
    delete_projects: "Delete Projects",
    manage_members: "Manage Members",
    set_active_project: "Set as Active Project",
    create_user: "Create User",
    edit_user: "Edit",
    change_password: "Change Password",
    enable_user: "Enable User",
    disable_user: "Disable User",
    delete_user: "Delete User",
    delete_users: "Delete Users",
    unlock: "Unlock",
    create_group: "Create Group",
    delete_group: "Delete Group",
    delete_groups: "Delete Groups",
    create_role: "Create Role",
    delete_role: "Delete Role",
    delete_roles: "Delete Roles",
    implied_roles: "Implied Roles",
    create_app_cred: "Create Application Credential",
    delete_app_cred: "Delete Application Credential",
    delete_app_creds: "Delete Application Credentials",
    save: "Save",
    cancel: "Cancel",
    create: "Create",
    delete: "Delete",
    close: "Close",
    confirm_delete: "Confirm Delete",
    confirm_delete_body: "You have selected:",
    cannot_undo: "Please confirm your selection. This action cannot be undone.",
    members: "Members",
    add: "Add",
    remove: "Remove",
    confirm_password: "Confirm Password",
    passwords_differ: "Passwords do not match.",
    primary_project: "Primary Project",
    role: "Role",
    none: "None",
    expiration: "Expiration",
    secret: "Secret",
    secret_once: "Save this secret now: it will not be shown again.",
    original_password: "Current password",
    new_password: "New password",
    password_changed: "Password changed. Please log in again.",
    service: "Service",
    service_endpoint: "Service Endpoint",
    download_openrc: "OpenStack RC File",
    download_clouds_yaml: "OpenStack clouds.yaml File",
    view_credentials: "View Credentials",
    services: "Services",
    service_type: "Type",
    region: "Region",
    interface: "Interface",
    status: "Status",
    up: "Up",
    down: "Down",
    language: "Language",
    theme: "Theme",
    theme_light: "Light",
    theme_dark: "Dark",
    theme_system: "System",
    user_settings: "User Settings",
    saved: "Saved.",
    not_found: "Page not found.",
    internal_error: "Something went wrong on the server (request {id}).",
    unreachable: "The server could not be reached: {reason}",
    message: |_| None,
    noun: |_| None,
    phrase: |_| None,
    c: &COMPUTE_EN,
    n: &NETWORK_EN,
};

pub const KO: Texts = Texts {
    brand: "구름",
    log_in: "로그인",
    log_in_title: "구름에 로그인",
    domain: "도메인",
    user_name: "사용자 이름",
    password: "비밀번호",
    sign_in: "로그인",
    sign_out: "로그아웃",
    invalid_credentials: "인증 정보가 올바르지 않습니다. 다시 시도하십시오.",
    account_locked: "로그인 실패가 너무 많아 계정이 잠겼습니다. 나중에 다시 시도하거나 관리자에게 잠금 해제를 요청하십시오.",
    project: "프로젝트",
    admin: "관리",
    identity: "인증",
    settings: "설정",
    api_access: "API 액세스",
    system_information: "시스템 정보",
    projects: "프로젝트",
    users: "사용자",
    groups: "그룹",
    roles: "역할",
    application_credentials: "애플리케이션 자격 증명",
    no_project: "프로젝트 없음",
    filter: "필터",
    name: "이름",
    description: "설명",
    project_id: "프로젝트 ID",
    domain_name: "도메인 이름",
    enabled: "활성화",
    yes: "예",
    no: "아니오",
    actions: "작업",
    email: "이메일",
    user_id: "사용자 ID",
    group_id: "그룹 ID",
    role_id: "역할 ID",
    locked: "잠김",
    displaying_items: "{n}개 항목 표시 중",
    displaying_item: "1개 항목 표시 중",
    previous: "« 이전",
    next: "다음 »",
    no_items: "표시할 항목이 없습니다.",
    loading: "불러오는 중…",
    create_project: "프로젝트 생성",
    edit_project: "프로젝트 편집",
    delete_project: "프로젝트 삭제",
    delete_projects: "프로젝트 삭제",
    manage_members: "멤버 관리",
    set_active_project: "활성 프로젝트로 설정",
    create_user: "사용자 생성",
    edit_user: "편집",
    change_password: "비밀번호 변경",
    enable_user: "사용자 활성화",
    disable_user: "사용자 비활성화",
    delete_user: "사용자 삭제",
    delete_users: "사용자 삭제",
    unlock: "잠금 해제",
    create_group: "그룹 생성",
    delete_group: "그룹 삭제",
    delete_groups: "그룹 삭제",
    create_role: "역할 생성",
    delete_role: "역할 삭제",
    delete_roles: "역할 삭제",
    implied_roles: "암시된 역할",
    create_app_cred: "애플리케이션 자격 증명 생성",
    delete_app_cred: "애플리케이션 자격 증명 삭제",
    delete_app_creds: "애플리케이션 자격 증명 삭제",
    save: "저장",
    cancel: "취소",
    create: "생성",
    delete: "삭제",
    close: "닫기",
    confirm_delete: "삭제 확인",
    confirm_delete_body: "선택한 항목:",
    cannot_undo: "선택을 확인하십시오. 이 작업은 되돌릴 수 없습니다.",
    members: "멤버",
    add: "추가",
    remove: "제거",
    confirm_password: "비밀번호 확인",
    passwords_differ: "비밀번호가 일치하지 않습니다.",
    primary_project: "기본 프로젝트",
    role: "역할",
    none: "없음",
    expiration: "만료",
    secret: "시크릿",
    secret_once: "이 시크릿을 지금 저장하십시오. 다시 표시되지 않습니다.",
    original_password: "현재 비밀번호",
    new_password: "새 비밀번호",
    password_changed: "비밀번호가 변경되었습니다. 다시 로그인하십시오.",
    service: "서비스",
    service_endpoint: "서비스 엔드포인트",
    download_openrc: "OpenStack RC 파일",
    download_clouds_yaml: "OpenStack clouds.yaml 파일",
    view_credentials: "자격 증명 보기",
    services: "서비스",
    service_type: "유형",
    region: "리전",
    interface: "인터페이스",
    status: "상태",
    up: "작동",
    down: "중지",
    language: "언어",
    theme: "테마",
    theme_light: "밝게",
    theme_dark: "어둡게",
    theme_system: "시스템 설정",
    user_settings: "사용자 설정",
    saved: "저장되었습니다.",
    not_found: "페이지를 찾을 수 없습니다.",
    internal_error: "서버에서 오류가 발생했습니다 (요청 {id}).",
    unreachable: "서버에 연결할 수 없습니다: {reason}",
    message: errors::ko,
    noun: errors::ko_noun,
    phrase: errors::ko_phrase,
    c: &COMPUTE_KO,
    n: &NETWORK_KO,
};

/// An error as the user reads it, in their language.
pub fn error_text(t: &'static Texts, e: AppError) -> String {
    match e {
        AppError::InvalidCredentials => t.invalid_credentials.to_string(),
        AppError::AccountLocked => t.account_locked.to_string(),
        AppError::PasswordMismatch => t.passwords_differ.to_string(),
        AppError::NotSignedIn => t.log_in.to_string(),
        AppError::Invalid(m)
        | AppError::NotFound(m)
        | AppError::Conflict(m)
        | AppError::Forbidden(m) => message_text(t, &m),
        AppError::Internal(id) => t.internal_error.replace("{id}", &id),
        AppError::Transport(reason) => t.unreachable.replace("{reason}", &reason),
    }
}

/// A service's message in the user's language (English when the language has no rendering
/// of it: `tests/tidy.rs` sees that every message a service sends has one).
pub fn message_text(t: &'static Texts, m: &Message) -> String {
    match (t.message)(m.template()) {
        Some(template) => m.render_with(template, |name, value| match name {
            "kind" => (t.noun)(value).map(str::to_string),
            "what" | "expected" => (t.phrase)(value),
            _ => None,
        }),
        None => m.to_string(),
    }
}
