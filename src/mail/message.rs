//! What tickbox mails say, and how one becomes an RFC 5322 message: a single
//! `text/plain; charset=utf-8` part with `From`, `To`, `Date` and `Message-ID`.
//!
//! lettre picks the transfer encoding (7bit, or quoted-printable for long lines and
//! non-ASCII text); a reader decodes it as any mail client does.

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{Address, Message};
use rand::RngCore;
use time::OffsetDateTime;

pub const RESET_SUBJECT: &str = "Reset your tickbox password";
pub const CHANGED_SUBJECT: &str = "Your tickbox password was changed";

/// One mail, and its text as written (for the log transport).
pub struct Mail {
    pub message: Message,
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Builds the message; `Err` when the recipient is not an address lettre can send to
/// (which retrying would not change).
pub fn build(from: &Mailbox, to: &str, subject: &str, text: &str) -> Result<Mail, String> {
    let address: Address = to
        .parse()
        .map_err(|e| format!("cannot send to {to:?}: {e}"))?;
    let message = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, address))
        .subject(subject)
        .date_now()
        .message_id(Some(message_id(from)))
        .header(ContentType::TEXT_PLAIN)
        .body(text.to_owned())
        .map_err(|e| format!("cannot build the mail: {e}"))?;
    Ok(Mail {
        message,
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: text.to_owned(),
    })
}

/// `<random@sender's domain>`: unique, and from a domain we speak for.
fn message_id(from: &Mailbox) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("<{id}@{}>", from.email.domain())
}

/// The reset mail's text: the link, and that it works once within one hour.
pub fn reset_text(username: &str, link: &str) -> String {
    format!(
        "Hello {username},\n\
         \n\
         someone (hopefully you) asked to reset the password of your tickbox account.\n\
         To choose a new password, open this link:\n\
         \n\
         {link}\n\
         \n\
         The link works once, within one hour. If you did not ask for it, ignore\n\
         this mail: your password stays as it is.\n"
    )
}

/// Who changed a password, for the notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangedBy {
    /// Through the site, from this client address (SPEC §1's `TRUSTED_PROXIES` rule).
    Client(String),
    /// With `tickbox set-password`.
    Operator,
}

/// The notice's text: when (UTC, to the minute) and from where.
pub fn changed_text(
    username: &str,
    at: OffsetDateTime,
    by: &ChangedBy,
    forgot_link: &str,
) -> String {
    let when = format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    );
    let how = match by {
        ChangedBy::Client(ip) if !ip.is_empty() => format!("from the address {ip}"),
        ChangedBy::Client(_) => "from an unknown address".to_owned(),
        ChangedBy::Operator => "by the operator".to_owned(),
    };
    format!(
        "Hello {username},\n\
         \n\
         the password of your tickbox account was changed on {when}, {how}.\n\
         \n\
         If that was you, there is nothing more to do. If it was not, reset your\n\
         password now with this link, and tell the site's operator:\n\
         \n\
         {forgot_link}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mail_is_one_plain_text_part_with_date_message_id_and_from() {
        let from: Mailbox = "tickbox <noreply@todo.example.com>".parse().unwrap();
        let mail = build(&from, "ada@example.com", RESET_SUBJECT, "Grüße\n").unwrap();
        let raw = String::from_utf8(mail.message.formatted()).unwrap();
        for header in [
            "From: tickbox <noreply@todo.example.com>",
            "To: ada@example.com",
            "Subject: Reset your tickbox password",
            "Content-Type: text/plain; charset=utf-8",
            "Date: ",
            "Message-ID: <",
        ] {
            assert!(raw.contains(header), "{header} in {raw}");
        }
        assert!(raw.contains("@todo.example.com>"));
        assert!(build(&from, "not an address", "s", "t").is_err());
    }

    #[test]
    fn the_notice_says_when_in_utc_and_who() {
        let at = time::macros::datetime!(2026-12-03 09:05:59 UTC);
        let text = changed_text("ada", at, &ChangedBy::Operator, "https://x/password/forgot");
        assert!(
            text.contains("2026-12-03 09:05 UTC, by the operator"),
            "{text}"
        );
        let text = changed_text("ada", at, &ChangedBy::Client("203.0.113.7".into()), "l");
        assert!(text.contains("from the address 203.0.113.7"), "{text}");
    }
}
