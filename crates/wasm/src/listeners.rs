//! The document and window listeners, registered and removed exactly as the reference does
//! (recorder spec §2.1): which events depends on the handler set chosen from the user agent.

use std::cell::RefCell;
use std::rc::Rc;

use keycadence_core::recorder::{Handlers, KeyKind, MouseKind};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Event, EventTarget};

use crate::events::Listened;
use crate::recorder::Shared;

const DESKTOP: &[Listened] = &[
    Listened::Key(KeyKind::Up),
    Listened::Key(KeyKind::Down),
    Listened::Key(KeyKind::Press),
    Listened::Mouse(MouseKind::Move),
    Listened::Mouse(MouseKind::Down),
    Listened::Mouse(MouseKind::Up),
    Listened::Scroll,
];
const ANDROID_FIREFOX: &[Listened] = &[Listened::Key(KeyKind::Input), Listened::Key(KeyKind::Down)];
const ANDROID: &[Listened] = &[Listened::Key(KeyKind::Up), Listened::Key(KeyKind::Down)];
const MOBILE: &[Listened] = &[
    Listened::Key(KeyKind::Up),
    Listened::Key(KeyKind::Down),
    Listened::Key(KeyKind::Press),
];

/// The document-level events listened to for a handler set.
pub fn document_events(handlers: Handlers) -> &'static [Listened] {
    match handlers {
        Handlers::Desktop => DESKTOP,
        Handlers::AndroidFirefox => ANDROID_FIREFOX,
        Handlers::Android => ANDROID,
        Handlers::Mobile => MOBILE,
    }
}

struct Listener {
    target: EventTarget,
    listened: Listened,
    callback: Closure<dyn FnMut(Event)>,
}

/// The registered listeners; dropping them removes them from the page.
pub struct Listeners(Vec<Listener>);

impl Listeners {
    /// Registers the listeners for `shared`'s handler set: on `document` (bubbling phase), and
    /// `devicemotion` on `window` for mobile handlers when the browser has `DeviceMotionEvent`.
    pub fn install(shared: &Rc<RefCell<Shared>>) -> Result<Listeners, JsValue> {
        let (handlers, document, window, motion) = {
            let s = shared.borrow();
            (
                s.recorder.handlers(),
                s.document.clone(),
                s.window.clone(),
                s.recorder.environment().device_motion_event,
            )
        };
        let document: EventTarget = document.unchecked_into();
        let mut targets: Vec<(EventTarget, Listened)> = document_events(handlers)
            .iter()
            .map(|listened| (document.clone(), *listened))
            .collect();
        if handlers != Handlers::Desktop && motion {
            targets.push((window.unchecked_into(), Listened::Motion));
        }
        let mut listeners = Listeners(Vec::with_capacity(targets.len()));
        for (target, listened) in targets {
            let shared = Rc::clone(shared);
            let callback = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
                // A listener can only find the state borrowed if a method call dispatched an
                // event synchronously (a getter of the page's); that event is not recorded.
                if let Ok(mut shared) = shared.try_borrow_mut() {
                    shared.handle(listened, &event);
                }
            });
            target.add_event_listener_with_callback(
                listened.event_type(),
                callback.as_ref().unchecked_ref(),
            )?;
            listeners.0.push(Listener {
                target,
                listened,
                callback,
            });
        }
        Ok(listeners)
    }
}

impl Drop for Listeners {
    fn drop(&mut self) {
        for listener in &self.0 {
            // Removing a registered listener cannot fail; there is nothing to do if it did.
            let _ = listener.target.remove_event_listener_with_callback(
                listener.listened.event_type(),
                listener.callback.as_ref().unchecked_ref(),
            );
        }
    }
}
