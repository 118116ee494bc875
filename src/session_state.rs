//! The session, typed: every key the session holds is named here and nowhere else,
//! and every read or write of the session goes through [`TypedSession`].
//!
//! The session store ([`crate::auth::session_store`]) keeps the state as JSON and
//! copies a few entries into their own columns; [`StoredFields`] is how it reads them.
//! Flash messages are reached here too, but travel in a cookie of their own
//! ([`crate::web::flash`]): queuing one costs no write of a session row.

use std::collections::HashMap;

use actix_identity::config::LogoutBehavior;
use actix_identity::{Identity, IdentityMiddleware};
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::web::flash::Flashes;
pub use crate::web::flash::{Flash, Level};

/// The session's keys, private to this module: no other code can spell one. Renaming
/// a key logs every current session out (or loses its data).
mod keys {
    /// Where actix-identity keeps the logged-in user's id. It is the crate's own default
    /// (so sessions saved before it was configured here stay valid), set explicitly by
    /// [`super::identity_middleware`]; a test pins that the id lands under it.
    pub const USER_ID: &str = "actix_identity.user_id";
    /// The logged-in user's name, for the navbar without a query.
    pub const USERNAME: &str = "username";
    pub const REMEMBER: &str = "remember";
    pub const CLIENT_IP: &str = "client_ip";
    pub const USER_AGENT: &str = "user_agent";
    pub const CSRF_TOKEN: &str = "csrf_token";
    /// Where flash messages were kept until they moved to their own cookie: dropped
    /// from a state when it is next written.
    pub const OLD_FLASHES: &str = "_flashes";
    /// One-shot note to the store: this state is a fresh log-in, made after checking
    /// the password of this version. Taken off by the store, never saved.
    pub const FRESH_LOGIN: &str = "_fresh_login";
    /// One-shot note to the store: give this live session a new id. Never saved.
    pub const NEW_ID: &str = "_new_id";
    /// The session row's public handle, put in by the store when it loads the row (the
    /// column is its only copy). Never saved.
    pub const PUBLIC_ID: &str = "_public_id";
    /// The right password of an account with two-factor authentication: waiting for
    /// its code (SPEC §10). The session is not logged in meanwhile.
    pub const PASSWORD_STEP: &str = "password_step";
    /// A TOTP secret being set up in this session, sealed.
    pub const PENDING_TOTP: &str = "pending_totp";
    /// New recovery codes, sealed, until the page that shows them once.
    pub const CODES_TO_SHOW: &str = "recovery_codes_to_show";
}

/// At most this much of the User-Agent header is kept with the session.
const USER_AGENT_CHARS: usize = 200;

/// actix-identity, storing the user id under `keys::USER_ID`. Logging out deletes the
/// identity keys; [`TypedSession::log_out`] then renews the session.
pub fn identity_middleware() -> IdentityMiddleware {
    IdentityMiddleware::builder()
        .id_key(keys::USER_ID)
        .logout_behavior(LogoutBehavior::DeleteIdentityKeys)
        .build()
}

/// The request's session, with one method per thing it holds (zero2prod's model), and
/// the request's flash messages.
pub struct TypedSession {
    session: Session,
    flashes: Option<Flashes>,
}

/// What a fresh log-in writes into the session beside the user id.
pub struct LoginDetails<'a> {
    pub username: &'a str,
    /// The version of the password that was checked (0 for a new account).
    pub password_version: i64,
    pub remember: bool,
    pub client_ip: String,
    pub user_agent: &'a str,
}

impl TypedSession {
    pub fn of(req: &(impl SessionExt + HttpMessage)) -> Self {
        Self {
            session: req.get_session(),
            flashes: Flashes::of(req),
        }
    }

    /// The logged-in user's name (the id is actix-identity's to read).
    pub fn username(&self) -> Option<String> {
        self.session.get(keys::USERNAME).ok().flatten()
    }

    /// The public handle of this session's row (the account page's `data-id`); `None`
    /// for an anonymous session, which has no row.
    pub fn public_id(&self) -> Option<String> {
        self.session.get(keys::PUBLIC_ID).ok().flatten()
    }

    /// [`Self::public_id`] of a logged-in session, which always has a row: the handle
    /// that "end the other sessions" keeps. Failing closed, never "keep none".
    pub fn own_public_id(&self) -> Result<String, AppError> {
        self.public_id()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("a logged-in session without a row")))
    }

    /// Keeps the address of the session's latest request (SPEC §5 lists it): written
    /// only when it changed, so reading pages from one place costs no write.
    pub fn note_client_ip(&self, ip: String) -> Result<(), AppError> {
        let known: Option<String> = self.session.get(keys::CLIENT_IP).ok().flatten();
        if known.as_ref() != Some(&ip) {
            self.session.insert(keys::CLIENT_IP, ip)?;
        }
        Ok(())
    }

    /// Whether the session was logged in with "remember me".
    pub fn is_remembered(&self) -> bool {
        self.session.get::<bool>(keys::REMEMBER).ok().flatten() == Some(true)
    }

    /// Flask-Login's `login_user`: actix-identity stores the id under `keys::USER_ID`
    /// in a renewed session (a planted session id is useless), then the log-in's
    /// details go beside it with a new CSRF token.
    pub fn log_in(
        req: &HttpRequest,
        user_id: i64,
        login: &LoginDetails<'_>,
    ) -> Result<(), AppError> {
        Identity::login(&req.extensions(), user_id.to_string())
            .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
        Self::of(req).record_login(login)
    }

    /// Flask-Login's `logout_user`: this session ends (its row is deleted when the
    /// response is sent; the user's other sessions stay) and a fresh anonymous one
    /// starts with a new CSRF token.
    pub fn log_out(&self, identity: Option<Identity>) -> Result<(), AppError> {
        if let Some(identity) = identity {
            identity.logout();
        }
        self.session.clear();
        self.session.renew();
        if let Some(flashes) = &self.flashes {
            flashes.clear();
        }
        self.rotate_csrf_token()
    }

    fn record_login(&self, login: &LoginDetails<'_>) -> Result<(), AppError> {
        // Nothing of a log-in or setup in progress carries over into the new one.
        for key in [keys::PASSWORD_STEP, keys::PENDING_TOTP, keys::CODES_TO_SHOW] {
            self.session.remove(key);
        }
        self.session.insert(keys::USERNAME, login.username)?;
        self.session.insert(keys::REMEMBER, login.remember)?;
        self.session.insert(keys::CLIENT_IP, &login.client_ip)?;
        let agent: String = login.user_agent.chars().take(USER_AGENT_CHARS).collect();
        self.session.insert(keys::USER_AGENT, agent)?;
        self.session
            .insert(keys::FRESH_LOGIN, login.password_version)?;
        self.rotate_csrf_token()
    }

    /// Gives this session a new id, keeping everything else (its start, its
    /// remember-me lifetime, its CSRF token): the old cookie value stops working.
    /// If the session has ended meanwhile, it stays ended.
    pub fn renew_id(&self) -> Result<(), AppError> {
        self.session.insert(keys::NEW_ID, true)?;
        Ok(())
    }

    /// Remembers that the password step of a log-in passed (SPEC §10).
    pub fn set_password_step(&self, step: &PasswordStep) -> Result<(), AppError> {
        self.session.insert(keys::PASSWORD_STEP, step)?;
        Ok(())
    }

    /// The passed password step, if any (open or not: see [`PasswordStep::is_open`]).
    pub fn password_step(&self) -> Option<PasswordStep> {
        self.session.get(keys::PASSWORD_STEP).ok().flatten()
    }

    pub fn clear_password_step(&self) {
        self.session.remove(keys::PASSWORD_STEP);
    }

    /// A TOTP secret being set up, sealed (`auth::two_factor::cipher`).
    pub fn set_pending_totp(&self, sealed: &str) -> Result<(), AppError> {
        self.session.insert(keys::PENDING_TOTP, sealed)?;
        Ok(())
    }

    pub fn pending_totp(&self) -> Option<String> {
        self.session.get(keys::PENDING_TOTP).ok().flatten()
    }

    pub fn clear_pending_totp(&self) {
        self.session.remove(keys::PENDING_TOTP);
    }

    /// New recovery codes, sealed, for the next page to show once.
    pub fn set_codes_to_show(&self, sealed: &str) -> Result<(), AppError> {
        self.session.insert(keys::CODES_TO_SHOW, sealed)?;
        Ok(())
    }

    /// Takes the recovery codes waiting to be shown (they are shown once).
    pub fn take_codes_to_show(&self) -> Option<String> {
        self.session.remove_as(keys::CODES_TO_SHOW)?.ok()
    }

    /// The session's CSRF token, created on first use.
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self.current_csrf_token() {
            return Ok(token);
        }
        let token = new_token();
        self.session.insert(keys::CSRF_TOKEN, &token)?;
        Ok(token)
    }

    /// The token a form must carry, if the session has one (it never creates one).
    pub fn current_csrf_token(&self) -> Option<String> {
        self.session.get(keys::CSRF_TOKEN).ok().flatten()
    }

    /// A fresh token, at log-in and log-out.
    fn rotate_csrf_token(&self) -> Result<(), AppError> {
        self.session.insert(keys::CSRF_TOKEN, new_token())?;
        Ok(())
    }

    /// Queues a message for the next page; the same message is queued only once.
    pub fn push_flash(&self, level: Level, text: impl Into<String>) {
        let flash = Flash {
            level,
            text: text.into(),
        };
        match &self.flashes {
            Some(flashes) => flashes.push(flash),
            None => tracing::warn!("a flash message outside the pages' middleware is lost"),
        }
    }

    /// Takes the pending messages, to show on the page being rendered.
    pub fn take_flashes(&self) -> Vec<Flash> {
        self.flashes.as_ref().map(Flashes::take).unwrap_or_default()
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A log-in whose password was right, waiting for its second step (SPEC §10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordStep {
    pub user_id: i64,
    /// The password version that was checked: a change since fails the log-in.
    pub password_version: i64,
    /// The account's two-factor version then: turning 2FA off or on, or renewing its
    /// codes, fails the log-in.
    pub two_factor_version: i64,
    pub remember: bool,
    /// Where to go after logging in, already judged safe.
    pub next: String,
    /// Unix seconds after which the step is over (requests do not extend it).
    pub deadline: i64,
}

impl PasswordStep {
    pub fn is_open(&self, unix_now: i64) -> bool {
        unix_now < self.deadline
    }
}

/// What a state asks of the store besides being kept, read off it (the notes are
/// never saved).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StoreNotes {
    /// A fresh log-in, after checking the password of this version.
    pub fresh_login: Option<i64>,
    /// A new id for the live session.
    pub new_id: bool,
}

impl StoreNotes {
    /// Takes the notes off `state`, and the public handle [`note_public_id`] put on it.
    pub fn take(state: &mut HashMap<String, String>) -> Self {
        state.remove(keys::PUBLIC_ID);
        state.remove(keys::OLD_FLASHES);
        Self {
            fresh_login: state
                .remove(keys::FRESH_LOGIN)
                .and_then(|v| serde_json::from_str(&v).ok()),
            new_id: state.remove(keys::NEW_ID).is_some(),
        }
    }
}

/// Puts a loaded row's public handle into its state, for [`TypedSession::public_id`].
pub fn note_public_id(state: &mut HashMap<String, String>, public_id: &str) {
    // A JSON string, as actix-session keeps every value.
    let value = serde_json::Value::from(public_id).to_string();
    state.insert(keys::PUBLIC_ID.to_owned(), value);
}

/// What survives of a session that ended while a request of it was under way: only
/// its CSRF token, so the page that request rendered (the log-in form, say) still
/// works. Nothing of the account.
pub fn ended(mut state: HashMap<String, String>) -> HashMap<String, String> {
    state.retain(|key, _| key == keys::CSRF_TOKEN);
    state
}

/// The entries the session store keeps in columns of their own, read from the state
/// as actix-session hands it over (each value a JSON string).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct StoredFields {
    pub user_id: Option<i64>,
    pub remember: bool,
    pub client_ip: String,
    pub user_agent: String,
}

impl StoredFields {
    pub fn from_state(state: &HashMap<String, String>) -> Self {
        let text = |key: &str| -> Option<String> {
            state
                .get(key)
                .and_then(|v| serde_json::from_str::<String>(v).ok())
        };
        Self {
            user_id: text(keys::USER_ID).and_then(|id| id.parse().ok()),
            remember: state
                .get(keys::REMEMBER)
                .is_some_and(|v| serde_json::from_str::<bool>(v).unwrap_or(false)),
            client_ip: text(keys::CLIENT_IP).unwrap_or_default(),
            user_agent: text(keys::USER_AGENT).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use actix_session::storage::{
        generate_session_key, LoadError, SaveError, SessionKey, SessionStore, UpdateError,
    };
    use actix_session::SessionMiddleware;
    use actix_web::cookie::{time::Duration, Key};
    use actix_web::{test, web, App, HttpResponse};

    use super::*;

    type State = HashMap<String, String>;

    /// A store that keeps the last state saved, to see which keys a real session wrote.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Option<State>>>);

    impl SessionStore for Recorder {
        async fn load(&self, _: &SessionKey) -> Result<Option<State>, LoadError> {
            Ok(None)
        }
        async fn save(&self, state: State, _: &Duration) -> Result<SessionKey, SaveError> {
            *self.0.lock().unwrap() = Some(state);
            Ok(generate_session_key())
        }
        async fn update(
            &self,
            key: SessionKey,
            state: State,
            _: &Duration,
        ) -> Result<SessionKey, UpdateError> {
            *self.0.lock().unwrap() = Some(state);
            Ok(key)
        }
        async fn update_ttl(&self, _: &SessionKey, _: &Duration) -> anyhow::Result<()> {
            Ok(())
        }
        async fn delete(&self, _: &SessionKey) -> anyhow::Result<()> {
            Ok(())
        }
    }

    /// The state a session is saved with after `Identity::login` behind `identity`.
    async fn state_after_login(identity: IdentityMiddleware) -> State {
        let store = Recorder::default();
        let app = test::init_service(
            App::new()
                .route(
                    "/",
                    web::get().to(|req: HttpRequest| async move {
                        Identity::login(&req.extensions(), "42".to_owned()).unwrap();
                        HttpResponse::Ok().finish()
                    }),
                )
                .wrap(identity)
                .wrap(SessionMiddleware::new(store.clone(), Key::from(&[7; 64]))),
        )
        .await;
        test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
        let saved = store.0.lock().unwrap().take();
        saved.expect("the session was saved")
    }

    #[actix_web::test]
    async fn actix_identity_stores_the_user_id_under_our_key_which_is_its_default() {
        // Ours, as configured, and the crate's default: sessions saved before the key
        // was configured explicitly must stay logged in.
        for identity in [identity_middleware(), IdentityMiddleware::default()] {
            let state = state_after_login(identity).await;
            assert_eq!(
                state.get(keys::USER_ID).map(String::as_str),
                Some("\"42\""),
                "the id is not under {}: {state:?}",
                keys::USER_ID
            );
            assert_eq!(StoredFields::from_state(&state).user_id, Some(42));
        }
    }
}
