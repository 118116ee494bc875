//! The keyboard, as a person without a mouse uses it: key presses on whatever has
//! focus, and Tab until a control is reached, checking every stop shows focus.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::json;

use super::browser::Browser;

/// Describes the focused element and whether it shows a focus indicator (an
/// outline or a box shadow).
const FOCUS_INDICATOR: &str = r#"
const el = document.activeElement;
const style = el ? getComputedStyle(el) : null;
const outline = style && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
const shadow = style && style.boxShadow !== 'none';
return { visible: Boolean(outline || shadow), element: el ? el.outerHTML.slice(0, 120) : null };
"#;

impl Browser {
    /// Presses and releases one key (a character or a [`Key`]) on whatever has focus.
    pub async fn press(&self, key: impl Into<char>) {
        let key = key.into();
        let keys = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client
            .perform_actions(keys)
            .await
            .expect("press a key");
    }

    /// Presses a key that submits or follows something, and waits for the next page.
    pub async fn press_and_load(&self, key: impl Into<char>) {
        let old = self.find("html").await;
        self.press(key).await;
        self.wait_for_new_page(old).await;
    }

    /// Whether the focused element matches `css`.
    pub async fn focused_matches(&self, css: &str) -> bool {
        let found = self
            .client
            .execute(
                "return document.activeElement !== null && document.activeElement.matches(arguments[0]);",
                vec![json!(css)],
            )
            .await
            .expect("inspect the focus");
        found == json!(true)
    }

    /// Presses Tab until the element matching `css` has focus, checking on the way
    /// that every focused control shows a focus indicator.
    pub async fn tab_to(&self, css: &str) {
        for _ in 0..40 {
            self.press(Key::Tab).await;
            let shown = self
                .client
                .execute(FOCUS_INDICATOR, vec![])
                .await
                .expect("inspect the focus");
            if shown["visible"] != json!(true) {
                let png = self.client.screenshot().await.expect("a screenshot");
                let path = super::artifacts_dir().join("focus-not-visible.png");
                std::fs::write(&path, png).expect("write the screenshot");
                panic!(
                    "keyboard focus is not visible on {shown} (see {})",
                    path.display()
                );
            }
            if self.focused_matches(css).await {
                return;
            }
        }
        panic!(
            "`{css}` cannot be reached with Tab at {}",
            self.path().await
        );
    }
}
