//! The credential files written on the first start: `admin-openrc.sh` (packstack's
//! `keystonerc_admin`) and `clouds.yaml`, both mode 0600.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Everything a credentials file names.
pub struct Credentials<'a> {
    pub auth_url: &'a str,
    pub username: &'a str,
    pub password: Option<&'a str>,
    pub project_name: &'a str,
    pub user_domain: &'a str,
    pub project_domain: &'a str,
    pub region: &'a str,
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn yaml_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// An OpenStack RC file, as Horizon's "OpenStack RC File" download produces.
pub fn openrc(c: &Credentials) -> String {
    let password = match c.password {
        Some(p) => format!("export OS_PASSWORD={}\n", shell_quote(p)),
        None => "echo \"Please enter your OpenStack Password for project $OS_PROJECT_NAME as user $OS_USERNAME: \"\nread -sr OS_PASSWORD_INPUT\nexport OS_PASSWORD=$OS_PASSWORD_INPUT\n".to_string(),
    };
    format!(
        "#!/usr/bin/env bash\n\
         # OpenStack credentials for Gureum ({project}).\n\
         # Source this file: . {file}\n\
         export OS_AUTH_URL={auth_url}\n\
         export OS_AUTH_TYPE=password\n\
         export OS_IDENTITY_API_VERSION=3\n\
         export OS_USERNAME={username}\n\
         {password}\
         export OS_PROJECT_NAME={project}\n\
         export OS_USER_DOMAIN_NAME={user_domain}\n\
         export OS_PROJECT_DOMAIN_NAME={project_domain}\n\
         export OS_REGION_NAME={region}\n\
         export OS_INTERFACE=public\n\
         export PS1='[\\u@\\h \\W(gureum_{user_raw})]\\$ '\n",
        auth_url = shell_quote(c.auth_url),
        username = shell_quote(c.username),
        project = shell_quote(c.project_name),
        user_domain = shell_quote(c.user_domain),
        project_domain = shell_quote(c.project_domain),
        region = shell_quote(c.region),
        file = "admin-openrc.sh",
        user_raw = c
            .username
            .chars()
            .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '_' || *ch == '-')
            .collect::<String>(),
    )
}

/// A `clouds.yaml` with one cloud, `gureum`.
pub fn clouds_yaml(c: &Credentials) -> String {
    let password = c
        .password
        .map(|p| format!("      password: {}\n", yaml_quote(p)))
        .unwrap_or_default();
    format!(
        "clouds:\n  gureum:\n    auth:\n      auth_url: {}\n      username: {}\n{password}      project_name: {}\n      user_domain_name: {}\n      project_domain_name: {}\n    region_name: {}\n    interface: public\n    identity_api_version: 3\n",
        yaml_quote(c.auth_url),
        yaml_quote(c.username),
        yaml_quote(c.project_name),
        yaml_quote(c.user_domain),
        yaml_quote(c.project_domain),
        yaml_quote(c.region),
    )
}

/// Writes a file readable by its owner only, replacing any old one.
pub fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(pw: Option<&str>) -> Credentials<'_> {
        Credentials {
            auth_url: "http://127.0.0.1:8080/identity/v3",
            username: "admin",
            password: pw,
            project_name: "admin",
            user_domain: "Default",
            project_domain: "Default",
            region: "RegionOne",
        }
    }

    #[test]
    fn openrc_quotes_passwords() {
        let rc = openrc(&creds(Some("it's $ecret")));
        assert!(
            rc.contains("export OS_PASSWORD='it'\\''s $ecret'\n"),
            "{rc}"
        );
        assert!(rc.contains("export OS_AUTH_URL='http://127.0.0.1:8080/identity/v3'\n"));
        assert!(openrc(&creds(None)).contains("read -sr OS_PASSWORD_INPUT"));
    }

    #[test]
    fn clouds_yaml_names_the_cloud_gureum() {
        let y = clouds_yaml(&creds(Some("pa\"ss")));
        assert!(y.starts_with("clouds:\n  gureum:\n"), "{y}");
        assert!(y.contains("password: \"pa\\\"ss\""), "{y}");
    }

    #[test]
    fn private_files_are_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        write_private(&p, "a").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
