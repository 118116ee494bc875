//! Where a mail goes: an SMTP server through lettre (rustls for TLS), or the log.

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as LettreTls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::message::Mail;
use super::settings::{MailSettings, Smtp, Tls, Transport};

/// An SMTP conversation that takes longer than this fails (and is retried).
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub enum Mailer {
    Log,
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    /// The transport `SMTP_URL` names; TLS settings (and the system's root
    /// certificates) are loaded here, once.
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        match &settings.transport {
            Transport::Log => Ok(Self::Log),
            Transport::Smtp(smtp) => Ok(Self::Smtp(smtp_transport(smtp, settings)?)),
        }
    }

    /// Hands the mail over; `Err` says why it could not be (to retry later).
    pub async fn send(&self, mail: &Mail) -> Result<(), String> {
        match self {
            Self::Log => {
                // SMTP_URL=log: the whole mail, by design (SPEC §11).
                let raw = mail.message.formatted();
                let text = String::from_utf8_lossy(&raw);
                let headers = text.split("\r\n\r\n").next().unwrap_or_default();
                tracing::info!(
                    to = %mail.to,
                    subject = %mail.subject,
                    "mail (SMTP_URL=log)\n{}\n\n{}",
                    headers.replace("\r\n", "\n"),
                    mail.text
                );
                Ok(())
            }
            Self::Smtp(transport) => transport
                .send(mail.message.clone())
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
        }
    }
}

fn smtp_transport(
    smtp: &Smtp,
    settings: &MailSettings,
) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let params = || TlsParameters::new(smtp.host.clone());
    let tls = match smtp.tls {
        Tls::None => LettreTls::None,
        Tls::Opportunistic => LettreTls::Opportunistic(params()?),
        Tls::Required => LettreTls::Required(params()?),
        Tls::Wrapper => LettreTls::Wrapper(params()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    // EHLO with the domain we send as (an address literal falls back to lettre's).
    let domain = settings.from.email.domain();
    if !domain.starts_with('[') {
        builder = builder.hello_name(ClientId::Domain(domain.to_owned()));
    }
    if let Some((user, password)) = &smtp.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}
