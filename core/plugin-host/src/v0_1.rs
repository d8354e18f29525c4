//! The host side of contracts `triage:plugin@0.1.x`, bound from the newest (0.1.1). A
//! component built for 0.1.0 imports a subset of it under the older version number, which
//! the linker and the export lookup match as semver-compatible.

wasmtime::component::bindgen!({
    path: "../../sdk/wit/0.1.1",
    world: "triage:plugin/plugin@0.1.1",
    imports: { default: async },
    exports: { default: async },
    additional_derives: [PartialEq],
});

use crate::state::State;
use triage::plugin::types::HostError;
use triage::plugin::{config, http, kv, log, mail, tickets, types};

impl types::Host for State {}

impl log::Host for State {
    async fn write(&mut self, level: log::Level, message: String) {
        self.write_log(level, &message);
    }
}

impl kv::Host for State {
    async fn get(&mut self, key: String) -> Result<Option<Vec<u8>>, HostError> {
        self.kv_get(&key).await
    }
    async fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), HostError> {
        self.kv_set(&key, value).await
    }
    async fn delete(&mut self, key: String) -> Result<bool, HostError> {
        self.kv_delete(&key).await
    }
    async fn keys(&mut self, prefix: String, limit: u32) -> Result<Vec<String>, HostError> {
        self.kv_keys(&prefix, limit).await
    }
}

impl config::Host for State {
    async fn get(&mut self, key: String) -> Option<types::Value> {
        self.setting_value(&key)
    }
    async fn secret(&mut self, key: String) -> Result<Option<String>, HostError> {
        self.secret_value(&key)
    }
}

impl tickets::Host for State {
    async fn get(&mut self, id: u64) -> Result<Option<types::Ticket>, HostError> {
        self.read_ticket(id).await
    }
    async fn messages(&mut self, id: u64, limit: u32) -> Result<Vec<types::Message>, HostError> {
        self.read_messages(id, limit).await
    }
    async fn search(&mut self, query: String, limit: u32) -> Result<Vec<types::Ticket>, HostError> {
        self.run_search(&query, limit).await
    }
    async fn count(&mut self, query: String) -> Result<u64, HostError> {
        self.run_count(&query).await
    }
}

impl http::Host for State {
    async fn send(&mut self, request: http::Request) -> Result<http::Response, HostError> {
        self.send_http(request).await
    }
}

impl mail::Host for State {
    async fn send(&mut self, mail: mail::Outgoing) -> Result<String, HostError> {
        self.send_mail(mail).await
    }
}
