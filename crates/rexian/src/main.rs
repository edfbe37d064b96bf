//! rexian: the system of a 12345 government service hotline sub-platform.

mod assess_cmd;
mod calendar_cmd;
mod calls;
mod config;
mod demo;
mod ops;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use rexian_domain::{Actor, Role, time::SystemClock};
use rexian_store::{DatabaseLocation, NewUser, PlatformSeed, Store};
use rexian_web::{AppState, ThrottleSettings, WebSettings};

use crate::config::{Config, LogFormat};

// mimalloc instead of glibc's malloc: allocation was a fifth of the server's CPU under the
// work-order load (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "rexian",
    version,
    about = "12345 hotline sub-platform / 12345政务服务热线分平台"
)]
struct Cli {
    /// Local state: the SQLite file and the search index [default: ./rexian-data]
    #[arg(long, global = true, env = "REXIAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// sqlite:/path/to/file.db or postgres://user@host/db [default: <data-dir>/rexian.db]
    #[arg(
        long,
        global = true,
        env = "REXIAN_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// A TOML configuration file (see `rexian default-config`)
    #[arg(long, global = true, env = "REXIAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, env = "REXIAN_LISTEN")]
        listen: Option<String>,
    },
    /// Apply the embedded migrations to the database and exit.
    Migrate,
    /// Print an annotated default file: the server configuration, or one of the rules files
    /// it names (redirect to a file, edit, and point the configuration at it).
    DefaultConfig {
        #[arg(long, value_enum, default_value_t = DefaultFile::Server)]
        file: DefaultFile,
    },
    /// Print the version.
    Version,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The working-day calendar: is a date a working day, when does a deadline end.
    Calendar {
        #[command(subcommand)]
        command: calendar_cmd::CalendarCommand,
    },
    /// Reports: `report calls` prints the call figures of a period.
    Report {
        #[command(subcommand)]
        command: calls::ReportCommand,
    },
    /// The assessment (平台考核) of a period: the nine indicators, total and payment ratio.
    Assess(assess_cmd::AssessArgs),
    /// Import call-centre logs (exit status 2 when some lines were skipped).
    Import {
        #[command(subcommand)]
        command: calls::ImportCommand,
    },
    /// Operations: attrition, roster check, staff and roster CSV, settlement.
    Ops {
        #[command(subcommand)]
        command: ops::OpsCommand,
    },
    /// Fill an empty database with a simulated month (calls, orders, operations) and score it.
    Demo(demo::DemoArgs),
    /// Load a sub-platform's default reference data into the database.
    Seed {
        /// Which defaults: `baisha` (白沙县).
        which: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is asked at the terminal (or read from stdin).
    Add {
        #[arg(long)]
        username: String,
        /// agent, shift_leader, manager, department_handler, county_office, platform_admin
        #[arg(long)]
        role: String,
        #[arg(long)]
        display_name: Option<String>,
        /// The sub-platform's code [default: the only one]
        #[arg(long)]
        platform: Option<String>,
        /// The department's code, for a department handler
        #[arg(long)]
        department: Option<String>,
        /// Read the password from the first line of standard input instead of asking.
        #[arg(long)]
        password_stdin: bool,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
        .and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.is::<calls::ExitWith>() => {
            std::process::ExitCode::from(e.downcast_ref::<calls::ExitWith>().map_or(1, |c| c.0))
        }
        Err(e) => {
            eprintln!("rexian: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The default files `rexian default-config` prints.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DefaultFile {
    /// The server configuration (config/rexian.toml).
    Server,
    /// The assessment rules (config/assessment.toml; `assessment_rules`).
    Assessment,
    /// The operations rules (config/operations.toml; `[operations] rules_file`).
    Operations,
    /// The work-order time limits (config/time_limits.toml; `[orders] time_limits_file`).
    TimeLimits,
    /// The State Council holiday schedules shipped (config/holidays.toml).
    Holidays,
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::DefaultConfig { file } => {
            print!(
                "{}",
                match file {
                    DefaultFile::Server => config::DEFAULT_TOML,
                    DefaultFile::Assessment => rexian_assessment::BAISHA_DEFAULT_TOML,
                    DefaultFile::Operations => rexian_operations::config::DEFAULT_CONFIG_TOML,
                    DefaultFile::TimeLimits => rexian_orders::limits::BUNDLED_TIME_LIMITS_TOML,
                    DefaultFile::Holidays => rexian_orders::calendar::BUNDLED_HOLIDAYS_TOML,
                }
            );
            return Ok(());
        }
        Command::Version => {
            println!("rexian {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        Command::Calendar { command } => return calendar_cmd::run(command),
        _ => {}
    }
    let mut cfg = Config::load(cli.config.as_deref(), std::env::vars())?;
    if let Some(d) = &cli.data_dir {
        cfg.data_dir = d.clone();
    }
    if let Some(u) = &cli.database_url {
        cfg.database_url = config::Secret(u.clone());
    }
    init_logging(&cfg);
    ops::load_rules(&cfg.operations.rules_file)?;
    calendar_cmd::load_time_limits(&cfg.orders.time_limits_file)?;
    let location = DatabaseLocation::resolve(
        Some(cfg.database_url.0.as_str()),
        &cfg.data_dir,
        cfg.sqlite.durability,
    )?;
    let store = rexian_store::open(&location)
        .await
        .with_context(|| format!("opening the database {}", location.describe()))?;
    match cli.command {
        Command::Serve { listen } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            serve(cfg, store, &location).await
        }
        Command::Report { command } => calls::report(store.as_ref(), command).await,
        Command::Assess(args) => assess_cmd::run(store.as_ref(), args).await,
        Command::Demo(args) => demo::run(store.as_ref(), args, &cfg.acd).await,
        Command::Import { command } => calls::import(store.clone(), command, &cli_actor()).await,
        Command::Migrate => {
            println!("database {} is migrated and ready", location.describe());
            Ok(())
        }
        Command::Seed { which } => {
            if which != "baisha" {
                bail!("unknown seed {which:?}; known: baisha");
            }
            let p = store
                .seed_platform(&PlatformSeed::baisha(), &cli_actor(), chrono::Utc::now())
                .await?;
            println!(
                "seeded {} ({}): 11 towns and townships, departments, 10 seats, 13 staff positions",
                p.name, p.code
            );
            Ok(())
        }
        Command::User { command } => match command {
            UserCommand::Add {
                username,
                role,
                display_name,
                platform,
                department,
                password_stdin,
            } => {
                let role = Role::from_code(&role).with_context(|| {
                    format!(
                        "unknown role {role:?}; one of {}",
                        Role::ALL.map(|r| r.code()).join(", ")
                    )
                })?;
                let platform = pick_platform(store.as_ref(), platform.as_deref()).await?;
                let department_id = match department {
                    None => None,
                    Some(code) => Some(
                        store
                            .list_departments(platform.id)
                            .await?
                            .into_iter()
                            .find(|d| d.code == code)
                            .with_context(|| {
                                format!("no department {code:?} in {}", platform.code)
                            })?
                            .id,
                    ),
                };
                let password = if password_stdin {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                } else {
                    ask_new_password()?
                };
                let display_name = display_name.unwrap_or_else(|| username.clone());
                let user = add_user(
                    store.as_ref(),
                    platform.id,
                    &username,
                    &display_name,
                    role,
                    department_id,
                    password,
                    &cli_actor(),
                )
                .await?;
                println!(
                    "added {} ({}) to {}",
                    user.username,
                    role.label_zh(),
                    platform.name
                );
                Ok(())
            }
        },
        Command::Ops { command } => ops::run(store.as_ref(), cli_actor(), command).await,
        Command::DefaultConfig { .. } | Command::Version | Command::Calendar { .. } => {
            unreachable!("handled above")
        }
    }
}

fn cli_actor() -> Actor {
    Actor::Cli {
        os_user: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
    }
}

async fn pick_platform(
    store: &dyn Store,
    code: Option<&str>,
) -> anyhow::Result<rexian_store::Platform> {
    match code {
        Some(code) => store
            .platform_by_code(code)
            .await?
            .with_context(|| format!("no sub-platform {code:?}")),
        None => {
            let mut all = store.list_platforms().await?;
            match all.len() {
                0 => bail!("the database has no sub-platform yet; run `rexian seed baisha` first"),
                1 => Ok(all.remove(0)),
                _ => bail!(
                    "several sub-platforms; say which with --platform ({})",
                    all.iter()
                        .map(|p| p.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn add_user(
    store: &dyn Store,
    platform_id: i64,
    username: &str,
    display_name: &str,
    role: Role,
    department_id: Option<i64>,
    password: String,
    actor: &Actor,
) -> anyhow::Result<rexian_store::User> {
    rexian_web::api::validate_new_user(username, display_name, role, department_id, &password)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field.unwrap_or_default(), e.message))?;
    let password_hash = rexian_web::hash_password(password)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let new = NewUser {
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        role,
        department_id,
        password_hash,
    };
    Ok(store
        .create_user(platform_id, &new, actor, chrono::Utc::now())
        .await?)
}

fn ask_new_password() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask the password at; use --password-stdin");
    }
    loop {
        let p1 = rpassword::prompt_password("密码 Password (at least 10 characters): ")?;
        if p1.chars().count() < rexian_web::api::MIN_PASSWORD_CHARS {
            eprintln!("too short / 太短");
            continue;
        }
        let p2 = rpassword::prompt_password("再次输入 Again: ")?;
        if p1 == p2 {
            return Ok(p1);
        }
        eprintln!("the two do not match / 两次输入不一致");
    }
}

fn init_logging(cfg: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match cfg.log.format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// First start: seed the configured sub-platform when the database has none, and make sure
/// someone can sign in as administrator.
async fn bootstrap(cfg: &Config, store: &dyn Store) -> anyhow::Result<Option<String>> {
    let now = chrono::Utc::now();
    let first_start = Actor::system("first-start");
    if store.list_platforms().await?.is_empty() && !cfg.bootstrap.platform.is_empty() {
        if cfg.bootstrap.platform != "baisha" {
            bail!(
                "bootstrap.platform: unknown seed {:?}; known: baisha",
                cfg.bootstrap.platform
            );
        }
        let p = store
            .seed_platform(&PlatformSeed::baisha(), &first_start, now)
            .await?;
        tracing::info!(platform = %p.code, "first start: seeded the sub-platform");
    }
    let platforms = store.list_platforms().await?;
    let Some(platform) = platforms.first() else {
        return Ok(None);
    };
    if store
        .count_users_with_role(platform.id, Role::PlatformAdmin)
        .await?
        > 0
    {
        return Ok(None);
    }
    let b = &cfg.bootstrap;
    if !b.admin_username.is_empty() && !b.admin_password.0.is_empty() {
        add_user(
            store,
            platform.id,
            &b.admin_username,
            "平台管理员",
            Role::PlatformAdmin,
            None,
            b.admin_password.0.clone(),
            &first_start,
        )
        .await?;
        return Ok(Some(b.admin_username.clone()));
    }
    if std::io::stdin().is_terminal() {
        println!(
            "{} has no administrator yet. Create one now / 创建首个管理员:",
            platform.name
        );
        print!("用户名 Username [admin]: ");
        std::io::stdout().flush()?;
        let mut name = String::new();
        std::io::stdin().lock().read_line(&mut name)?;
        let name = match name.trim() {
            "" => "admin".to_owned(),
            n => n.to_owned(),
        };
        let password = ask_new_password()?;
        add_user(
            store,
            platform.id,
            &name,
            "平台管理员",
            Role::PlatformAdmin,
            None,
            password,
            &first_start,
        )
        .await?;
        return Ok(Some(name));
    }
    tracing::warn!(
        "no administrator yet: nobody can sign in. Run `rexian user add --username admin --role platform_admin`, or set REXIAN_BOOTSTRAP__ADMIN_USERNAME and REXIAN_BOOTSTRAP__ADMIN_PASSWORD"
    );
    Ok(None)
}

async fn serve(
    cfg: Config,
    store: Arc<dyn Store>,
    location: &DatabaseLocation,
) -> anyhow::Result<()> {
    assess_cmd::install_server_rules(&cfg.assessment_rules)?;
    #[cfg(unix)]
    assess_cmd::reload_rules_on_sighup(cfg.assessment_rules.clone());
    let created_admin = bootstrap(&cfg, store.as_ref()).await?;
    let settings = WebSettings {
        session_ttl: chrono::Duration::hours(i64::from(cfg.web.session_ttl_hours)),
        secure_cookies: cfg.web.secure_cookies,
        throttle: ThrottleSettings {
            max_failures_per_user: cfg.login.max_failures_per_user,
            max_failures_per_ip: cfg.login.max_failures_per_ip,
            window: std::time::Duration::from_secs(cfg.login.window_secs),
        },
        max_body_bytes: cfg.web.max_body_bytes,
        request_timeout: std::time::Duration::from_secs(cfg.web.request_timeout_secs),
        acd: cfg.acd.clone(),
    };
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .with_context(|| format!("listening on {}", cfg.listen))?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store, Arc::new(SystemClock), settings);
    // The banner is for a person at a terminal; a closed stdout must not stop the server.
    let mut banner = format!(
        "rexian {} is listening on http://{addr}/\n  database: {}\n",
        env!("CARGO_PKG_VERSION"),
        location.describe()
    );
    match created_admin {
        Some(name) => banner.push_str(&format!(
            "  sign in at http://{addr}/login as {name:?} with the password just set\n"
        )),
        None => banner.push_str(&format!(
            "  sign in at http://{addr}/login (add users with `rexian user add`)\n"
        )),
    }
    banner.push_str(&format!(
        "  API: http://{addr}/api/openapi.json · metrics: http://{addr}/metrics · Ctrl-C stops\n"
    ));
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(banner.as_bytes()).and_then(|()| out.flush());
    drop(out);
    tracing::info!(%addr, database = %location.describe(), "serving");
    rexian_web::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped: requests in flight were finished");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
