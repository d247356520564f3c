//! Prometheus metrics: requests by route, method, HTTP status and message_code, and request
//! latency by route, served in the text exposition format at `/metrics`.

use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: String,
    pub method: String,
    pub status: u16,
    pub message_code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

/// What retention removes, as labels of `keycadence_retention_removed_total`.
pub const RETENTION_KINDS: [&str; 5] = [
    "users",
    "enrolments",
    "verify_digests",
    "sign_ins",
    "audit_records",
];

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    retention_removed: Family<KindLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to ~4 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.0005, 2.0, 14,
    ))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("keycadence");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        let in_flight = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by route, status and message_code",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "Requests being handled",
            in_flight.clone(),
        );
        let retention_removed = Family::<KindLabels, Counter>::default();
        // Every series exists from the start (at 0), so a pass adds no lines.
        for kind in RETENTION_KINDS {
            let _ = retention_removed.get_or_create(&KindLabels { kind: kind.into() });
        }
        registry.register(
            "retention_removed",
            "Rows removed by retention, by kind (users, enrolments, verify_digests, sign_ins, \
             audit_records)",
            retention_removed.clone(),
        );
        Metrics {
            retention_removed,
            registry: Mutex::new(registry),
            requests,
            latency,
            in_flight,
        }
    }
}

impl Metrics {
    pub fn started(&self) {
        self.in_flight.inc();
    }

    pub fn finished(&self, labels: RequestLabels, seconds: f64) {
        self.in_flight.dec();
        self.latency
            .get_or_create(&RouteLabels {
                route: labels.route.clone(),
            })
            .observe(seconds);
        self.requests.get_or_create(&labels).inc();
    }

    /// Counts rows of `kind` (one of [`RETENTION_KINDS`]) removed by a retention pass.
    pub fn retention_removed(&self, kind: &str, count: u64) {
        self.retention_removed
            .get_or_create(&KindLabels { kind: kind.into() })
            .inc_by(count);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(
            &mut out,
            &self.registry.lock().expect("metrics registry lock"),
        )
        .expect("writing to a String cannot fail");
        out
    }
}
