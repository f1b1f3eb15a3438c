//! Which store and bus a node runs on: the `store` and `bus` settings, checked, and the backends
//! they open.
//!
//! | `store` | `bus` | What runs |
//! |---|---|---|
//! | unset | unset | SQLite in the data directory, the in-process bus: the single binary |
//! | `postgres://…` | unset | PostgreSQL, the in-process bus and registry: one node on a shared database |
//! | `postgres://…` | `nats://…` | a cluster node: PostgreSQL, `NatsBus`, and the cluster-wide `PgRegistry` |
//! | unset | `nats://…` | refused: nodes on NATS must share their store, and SQLite cannot be shared |

use std::sync::Arc;

use mynah_bus::{Bus, LocalBus, SessionRegistry};
use mynah_bus_nats::NatsBus;
use mynah_store::Store;
use mynah_store_postgres::{PgRegistry, PostgresStore, RegistryTimings};
use mynah_store_sqlite::SqliteStore;

use crate::config::BackendUrl;
use crate::{Config, ServerError};

/// The ports the server runs on.
#[derive(Clone)]
pub struct Backends {
    pub store: Store,
    pub bus: Arc<dyn Bus>,
    pub registry: Arc<dyn SessionRegistry>,
}

impl Backends {
    /// A bus and registry of this process alone over `store`.
    pub fn local(store: Store) -> Backends {
        let bus = LocalBus::default();
        Backends { store, bus: Arc::new(bus.clone()), registry: Arc::new(bus) }
    }
}

/// The store a configuration selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreChoice {
    /// SQLite in the data directory.
    Sqlite,
    /// PostgreSQL at this URL.
    Postgres(BackendUrl),
}

/// The bus a configuration selects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusChoice {
    /// The in-process bus of a single node.
    Local,
    /// A NATS server at this URL.
    Nats(BackendUrl),
}

impl Config {
    /// The store and bus the `store` and `bus` settings select, or why they cannot run.
    pub fn backend_choice(&self) -> Result<(StoreChoice, BusChoice), ServerError> {
        let store = match &self.store {
            None => StoreChoice::Sqlite,
            Some(url) if has_scheme(url, &["postgres", "postgresql"]) => StoreChoice::Postgres(url.clone()),
            Some(url) => {
                return Err(ServerError::Config(format!(
                    "store \"{url}\" is not supported: give a postgres://user@host:port/database URL, or leave \
                     it unset for SQLite in the data directory"
                )));
            }
        };
        let bus = match &self.bus {
            None => BusChoice::Local,
            Some(url) if has_scheme(url, &["nats"]) => BusChoice::Nats(url.clone()),
            Some(url) => {
                return Err(ServerError::Config(format!(
                    "bus \"{url}\" is not supported: give a nats://host:port URL, or leave it unset for the \
                     in-process bus of a single node"
                )));
            }
        };
        if store == StoreChoice::Sqlite && matches!(bus, BusChoice::Nats(_)) {
            return Err(ServerError::Config(
                "a NATS bus joins this node to a cluster, whose nodes must share one store: SQLite in the data \
                 directory cannot be shared, so set store to a postgres:// URL too"
                    .to_owned(),
            ));
        }
        Ok((store, bus))
    }
}

fn has_scheme(url: &BackendUrl, schemes: &[&str]) -> bool {
    url.as_str().split_once("://").is_some_and(|(scheme, _)| schemes.contains(&scheme.to_ascii_lowercase().as_str()))
}

/// Opened backends, and what must be closed after serving.
pub struct Opened {
    pub backends: Backends,
    /// SQLite, flushed on shutdown.
    sqlite: Option<Arc<SqliteStore>>,
    /// The cluster-wide registry, whose lease ends on shutdown. PostgreSQL and NATS themselves need
    /// nothing beyond dropping.
    registry: Option<PgRegistry>,
}

impl Opened {
    /// Flushes and ends what must be before the process exits.
    pub async fn close(self) {
        if let Some(sqlite) = self.sqlite {
            sqlite.close().await;
        }
        if let Some(registry) = self.registry {
            registry.close().await;
        }
    }
}

/// Opens the backends `config` selects: connects to PostgreSQL (applying its migrations) and NATS,
/// or opens SQLite in the data directory.
pub async fn open(config: &Config) -> Result<Opened, ServerError> {
    let (store, bus) = config.backend_choice()?;
    let StoreChoice::Postgres(store_url) = store else {
        let sqlite = crate::open_sqlite(config)?;
        let backends = Backends::local(Store::from_backend(sqlite.clone()));
        return Ok(Opened { backends, sqlite: Some(sqlite), registry: None });
    };
    let postgres = PostgresStore::connect(store_url.as_str())
        .await
        .map_err(|error| ServerError::Backend(format!("store {store_url}: {error}")))?;
    let store = Store::from_backend(Arc::new(postgres.clone()));
    match bus {
        BusChoice::Local => Ok(Opened { backends: Backends::local(store), sqlite: None, registry: None }),
        BusChoice::Nats(bus_url) => {
            let nats = NatsBus::connect(bus_url.as_str())
                .await
                .map_err(|error| ServerError::Backend(format!("bus {bus_url}: {error}")))?;
            let registry = PgRegistry::start(postgres.pool().clone(), RegistryTimings::default());
            let backends = Backends { store, bus: Arc::new(nats), registry: Arc::new(registry.clone()) };
            Ok(Opened { backends, sqlite: None, registry: Some(registry) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(store: Option<&str>, bus: Option<&str>) -> Result<(StoreChoice, BusChoice), String> {
        let config = Config {
            store: store.map(|url| BackendUrl(url.to_owned())),
            bus: bus.map(|url| BackendUrl(url.to_owned())),
            ..Config::default()
        };
        config.backend_choice().map_err(|error| error.to_string())
    }

    #[test]
    fn settings_select_the_backends_and_refuse_what_cannot_run() {
        let postgres = || BackendUrl("postgres://mynah@127.0.0.1:5432/mynah".to_owned());
        let nats = || BackendUrl("nats://127.0.0.1:4222".to_owned());
        assert_eq!(choice(None, None), Ok((StoreChoice::Sqlite, BusChoice::Local)));
        assert_eq!(choice(Some(postgres().as_str()), None), Ok((StoreChoice::Postgres(postgres()), BusChoice::Local)));
        assert_eq!(
            choice(Some(postgres().as_str()), Some(nats().as_str())),
            Ok((StoreChoice::Postgres(postgres()), BusChoice::Nats(nats())))
        );
        assert!(
            choice(None, Some(nats().as_str())).unwrap_err().contains("SQLite in the data directory cannot be shared")
        );
        assert!(
            choice(Some("mysql://db/mynah"), None).unwrap_err().contains("store \"mysql://db/mynah\" is not supported")
        );
        assert!(choice(None, Some("redis://cache")).unwrap_err().contains("bus \"redis://cache\" is not supported"));
    }

    #[test]
    fn a_url_shows_without_its_password() {
        let url = BackendUrl("postgres://mynah:hunter2@db:5432/mynah".to_owned());
        assert_eq!(format!("{url:?}"), "postgres://mynah:<redacted>@db:5432/mynah");
        assert_eq!(url.to_string(), "postgres://mynah:<redacted>@db:5432/mynah");
        assert_eq!(BackendUrl("nats://127.0.0.1:4222".to_owned()).to_string(), "nats://127.0.0.1:4222");
    }
}
