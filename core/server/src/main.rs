//! The `triage` command: serve, migrate, manage users and tokens, load demo data.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

mod output;
mod plugin_cli;
mod rules_cli;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use output::say;
use triage_app::App;
use triage_app::directory::NewUser;
use triage_server::{AppState, Config, config::redact_url};

#[derive(Debug, Parser)]
#[command(name = "triage", version, about = "A self-hosted help desk")]
struct Cli {
    /// Configuration file (default: ./triage.toml if present).
    #[arg(long, global = true, env = "TRIAGE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory: the SQLite file, attachments, the search index.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Applies database migrations and exits.
    Migrate,
    /// Manages users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manages API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Fills the database with a realistic sample help desk.
    Demo {
        /// How many tickets.
        #[arg(long, default_value_t = 3000)]
        tickets: usize,
        /// Random seed, for a repeatable data set.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Manages automation rules: list, import a directory of `.rhai` files, dry-run one.
    Rules {
        #[command(subcommand)]
        command: rules_cli::RulesCommand,
    },
    /// Plugins: install a package, list them, scaffold and pack a plugin crate.
    Plugin {
        #[command(subcommand)]
        command: plugin_cli::PluginCommand,
    },
    /// Rebuilds the search index from the database into a new directory and swaps it in;
    /// a running server keeps answering searches and switches to it when it is done.
    Reindex {
        /// Only compare the index with the database, ticket by ticket.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Creates a user.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, agent or customer.
        #[arg(long)]
        role: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists users.
    List {
        /// Prints a JSON array, for scripts.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Creates an API token for a user and prints only the token.
    Create {
        /// The user's email.
        #[arg(long)]
        user: String,
        /// A name to recognise the token by.
        #[arg(long)]
        name: String,
    },
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRIAGE_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_http=warn")
    });
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_ansi(ansi)
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Exit codes: 0 when it worked (also when the reader of its output closed early), 1 on
/// an error (one line on standard error), 2 on a usage error (from clap).
#[tokio::main]
async fn main() -> ExitCode {
    match main_inner().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_stdout_closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr().lock(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn main_inner() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut config =
        Config::load(cli.config.as_deref()).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Command::Serve {
        listen: Some(listen),
    } = &cli.command
    {
        config.listen = *listen;
    }
    init_logging(&config.log_format);
    if let Command::Plugin { command } = &cli.command
        && plugin_cli::run_offline(command)?
    {
        return Ok(());
    }
    let app = App::open(config.app_config()).await.with_context(|| {
        format!(
            "opening the database {}",
            redact_url(&config.database_url())
        )
    })?;
    let result = run(cli.command, app.clone(), config).await;
    app.close().await;
    result
}

async fn run(command: Command, app: App, config: Config) -> anyhow::Result<()> {
    let system = App::system_actor();
    match command {
        Command::Serve { .. } => {
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let url = format!("http://{}", listener.local_addr()?);
            let public = if config.public_url.is_empty() {
                url.clone()
            } else {
                config.public_url()
            };
            tracing::info!(address = %url, database = %redact_url(&config.database_url()), "triage is listening");
            let mut banner = format!(
                "Triage is running at {public}\n  API:      {public}/api/v1   (OpenAPI: {public}/api/v1/openapi.json)\n"
            );
            if let Some(token) = app.setup_token_if_needed().await? {
                let data_dir = config.data_dir.display();
                banner.push_str(&format!(
                    "\nNo admin exists yet. Create the first one with this one-time setup token:\n  curl -X POST {public}/api/v1/setup -H 'content-type: application/json' \\\n    -d '{{\"token\":\"{token}\",\"email\":\"you@example.com\",\"name\":\"Your Name\",\"password\":\"a long password\"}}'\nor stop the server and run, with its configuration: triage --data-dir {data_dir} user create --role admin --email you@example.com --name 'Your Name' --password-stdin\n"
                ));
            } else {
                banner.push_str(&format!(
                    "  Sign in:  {public}/sign-in   (customers: {public}/portal)\n"
                ));
            }
            // A server whose standard output is gone still serves.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), banner.as_bytes());
            let housekeeping = app.spawn_housekeeping();
            let search = app.start_search().await.context("starting search")?;
            let live = app.start_live().await.context("starting live updates")?;
            let automation = app
                .start_automation()
                .await
                .context("starting automation")?;
            let plugins = app.start_plugins().await.context("starting plugins")?;
            let slas = app.start_slas().await.context("starting SLAs")?;
            let notifications = app
                .start_notifications()
                .await
                .context("starting notifications")?;
            let state = AppState::new(app, config);
            triage_server::serve(listener, state, triage_server::shutdown_signal()).await?;
            automation.stop();
            slas.stop();
            notifications.stop();
            plugins.abort();
            housekeeping.abort();
            live.stop();
            search.stop();
        }
        Command::Migrate => {
            say!(
                "database is migrated: {}",
                redact_url(&config.database_url())
            );
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    password_stdin,
                },
        } => {
            let password = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                Some(s.trim_end_matches(['\n', '\r']).to_string())
            } else {
                None
            };
            if (role == "admin" || role == "agent") && password.is_none() {
                bail!("staff users need a password: pass --password-stdin");
            }
            let user = app
                .create_user(
                    &system,
                    NewUser {
                        email,
                        name,
                        role,
                        password,
                        organization_id: None,
                    },
                )
                .await?;
            say!(
                "created {} {} <{}> (id {})",
                user.role,
                user.name,
                user.email,
                user.id
            );
        }
        Command::User {
            command: UserCommand::List { json },
        } => {
            let mut after = 0;
            let mut all = Vec::new();
            loop {
                let users = app.list_users(&system, None, after, 500).await?;
                let Some(last) = users.last() else { break };
                after = last.id;
                if json {
                    all.extend(users.iter().map(|u| {
                        serde_json::json!({
                            "id": u.id,
                            "email": u.email,
                            "name": u.name,
                            "role": u.role,
                            "organization_id": u.organization_id,
                            "active": u.active,
                        })
                    }));
                    continue;
                }
                for u in &users {
                    say!(
                        "{:>6}  {:<8}  {:<6}  {}  <{}>",
                        u.id,
                        u.role,
                        if u.active { "active" } else { "off" },
                        u.name,
                        u.email
                    );
                }
            }
            if json {
                output::json(&all)?;
            }
        }
        Command::Token {
            command: TokenCommand::Create { user, name },
        } => {
            let user = app.user_by_email(&system, &user).await?;
            let (_, token) = app.create_token(&system, user.id, &name).await?;
            say!("{token}");
        }
        Command::Demo { tickets, seed } => {
            let summary = triage_app::demo::generate(
                &app,
                triage_app::demo::DemoOptions {
                    tickets,
                    seed,
                    progress: true,
                },
            )
            .await?;
            say!(
                "demo help desk: {} tickets, {} messages, {} customers, {} agents, {} groups, {} organizations",
                summary.tickets,
                summary.messages,
                summary.customers,
                summary.agents,
                summary.groups,
                summary.organizations
            );
            say!(
                "sign in as {} (or any agent) with password {}",
                summary.admin_email,
                summary.agent_password
            );
        }
        Command::Rules { command } => rules_cli::run(&app, command).await?,
        Command::Plugin { command } => plugin_cli::run(&app, command).await?,
        Command::Reindex { check: true } => {
            let check = app.check_search_index().await?;
            say!(
                "index holds {} tickets up to event {} (log at {})",
                check.indexed,
                check.position,
                check.log_head
            );
            if check.consistent() {
                say!("index and database agree");
            } else {
                say!(
                    "missing: {:?}\nstale: {:?}\nextra: {:?}",
                    check.missing,
                    check.stale,
                    check.extra
                );
                bail!("the index differs from the database; run `triage reindex`");
            }
        }
        Command::Reindex { check: false } => {
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} tickets  {per_sec}  eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let summary = app.reindex(Some(&progress)).await?;
            bar.finish_and_clear();
            say!(
                "indexed {} tickets in {:.1} s ({:.0} tickets/s), {:.1} MB on disk at {}",
                summary.tickets,
                summary.seconds,
                summary.tickets as f64 / summary.seconds.max(0.001),
                summary.disk_bytes as f64 / 1e6,
                summary.directory.display()
            );
        }
    }
    Ok(())
}
