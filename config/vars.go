package config

// Var documents one environment variable Rebound reads. Vars is the single
// list of them: Load reads only these, the README's table is checked against
// it, and so is docker-compose.yml.
type Var struct {
	Name    string
	Default string // "" when there is none (or when it depends on the command)
	Doc     string
}

// Vars lists every variable, in the order of the README's table.
var Vars = []Var{
	{"REBOUND_LOG_LEVEL", "info", "Log level: debug, info, warn or error."},
	{"REBOUND_LOG_FORMAT", "text in dev, else json", "Log format: text or json."},
	{"REBOUND_HTTP_ADDR", ":8080", "Address the HTTP API listens on (api, dev)."},
	{"REBOUND_HTTP_READ_HEADER_TIMEOUT", "5s", "Time allowed to read a request's headers."},
	{"REBOUND_HTTP_IDLE_TIMEOUT", "120s", "Time a keep-alive connection may stay idle."},
	{"REBOUND_HTTP_REQUEST_TIMEOUT", "30s", "Deadline of an ordinary API request (upload and export routes set their own)."},
	{"REBOUND_HTTP_UPLOAD_TIMEOUT", "30m", "Deadline of routes that stream large bodies: settlement uploads, CSV exports."},
	{"REBOUND_TRUSTED_PROXIES", "", "Comma-separated addresses or CIDRs of the proxies in front of the API, whose X-Forwarded-For is believed (for per-address limits and the audit log's origin)."},
	{"REBOUND_SHUTDOWN_TIMEOUT", "8s", "Time allowed to drain HTTP requests and stop the worker on SIGINT/SIGTERM (at most 10s)."},
	{"REBOUND_DATABASE_URL", "sqlite:.rebound/rebound.db in dev, else required", "postgres://user:pass@host:5432/db?sslmode=disable, or sqlite:path/to/file.db."},
	{"REBOUND_DB_MAX_OPEN_CONNS", "20", "Postgres connection pool size (SQLite always uses one writer connection)."},
	{"REBOUND_DB_MAX_IDLE_CONNS", "REBOUND_DB_MAX_OPEN_CONNS", "Idle Postgres connections kept open; fewer than the pool size makes a busy process close and reopen connections all the time."},
	{"REBOUND_DB_CONN_MAX_LIFETIME", "30m", "Lifetime of a Postgres connection before it is replaced."},
	{"REBOUND_TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port; in dev, where the embedded server listens."},
	{"REBOUND_TEMPORAL_NAMESPACE", "default", "Temporal namespace."},
	{"REBOUND_TEMPORAL_LOG_LEVEL", "warn", "Level of the embedded Temporal server's own log lines (dev)."},
	{"REBOUND_DATA_DIR", ".rebound", "Directory of dev state: the Temporal server's SQLite file and the default database (dev)."},
	{"REBOUND_WORKER_STOP_TIMEOUT", "5s", "Time the worker gives running activities to finish when it stops."},
	{"REBOUND_PUBLIC_URL", "the HTTP address in dev, else required by the worker", "Base URL shoppers reach the API at, for links in messages (labels)."},
	{"REBOUND_HISTORY_KEYS", "a fixed dev key in dev, else none", "Keys that seal workflow history in Temporal's store (AES-256-GCM): `id:base64-of-32-bytes`, comma-separated; the first seals, all open, so a new key goes first and an old one stays until its history is gone. None: history is stored in clear (a warning at start)."},
	{"REBOUND_OTLP_ENDPOINT", "", "OTLP/HTTP endpoint spans are exported to, e.g. `http://otel-collector:4318`: one trace follows a request through the API, the workflow task and each activity. Empty: no tracing."},
	{"REBOUND_OTP_SECRET", "a fixed dev secret in dev, else required", "Server secret (at least 32 characters) under which one-time codes are stored as HMACs."},
	{"REBOUND_DEBUG_ADDR", "", "Address of the debug server of `rebound api`, `worker` and `dev`: Go's profiles at /debug/pprof/, the runtime's metrics and the database pool's counters as JSON at /debug/metrics and /debug/vars. It has no authentication, so it must be a loopback address (`127.0.0.1:6060`, `localhost:6060`) unless REBOUND_DEBUG_ALLOW_REMOTE is true. Empty: no debug server."},
	{"REBOUND_DEBUG_ALLOW_REMOTE", "false", "Let REBOUND_DEBUG_ADDR listen on an address other hosts can reach (a container's port to a private network); anyone who reaches it can profile the process."},
	{"REBOUND_METRICS_TOKEN", "", "Bearer token (at least 16 characters) that GET /metrics of the API and of the worker asks for: `Authorization: Bearer <token>`. Empty: /metrics is open in dev and answers 404 elsewhere."},
	{"REBOUND_PASSWORD_HASH_CONCURRENCY", "2 × the CPUs", "Password hashes (argon2id, 64 MiB each) the API computes at once: log-ins, the counter's supervisor checks, password changes."},
	{"REBOUND_PASSWORD_HASH_WAIT", "2s", "How long a request waits for a free password-hashing slot before it is answered 503 with Retry-After."},
	{"REBOUND_CARRIER_WEBHOOK_SECRET", "dev-carrier-secret in dev", "HMAC-SHA256 key carriers sign POST /v1/carrier/events with; empty refuses every event."},
	{"REBOUND_SMTP_ADDR", "none in dev (messages stay in the dev outbox), else required by the worker", "SMTP server host:port for e-mail."},
	{"REBOUND_SMTP_FROM", "Rebound <no-reply@rebound.local>", "Sender of e-mail."},
	{"REBOUND_SMTP_USERNAME", "", "SMTP user name (AUTH PLAIN over TLS)."},
	{"REBOUND_SMTP_PASSWORD", "", "SMTP password."},
	{"REBOUND_SMS_URL", "", "SMS provider endpoint (POST JSON to, body, reference); empty: no SMS outside dev."},
	{"REBOUND_SMS_TOKEN", "", "Bearer token of the SMS provider."},
	{"REBOUND_GATEWAY_URL", "the simulator in dev, else required by the worker", "Payment gateway base URL for online refunds."},
	{"REBOUND_GATEWAY_API_KEY", "dev-gateway-key in dev", "Bearer key for the payment gateway (and of `rebound gateway`): the admin key, and the key of every merchant account REBOUND_GATEWAY_KEYS does not name."},
	{"REBOUND_GATEWAY_KEYS", "demo=dev-gateway-key-demo in dev, else none", "Each merchant's own gateway account and its API key, as comma-separated `account=key` pairs (the account is the merchant's gateway account: its slug unless an operator set one when onboarding it), e.g. `acme=sk_live_1,shoes=sk_live_2`: every refund names its account and carries its key; `rebound gateway` holds each account to its key. Secrets: never logged."},
	{"REBOUND_GATEWAY_WEBHOOK_SECRET", "dev-gateway-secret in dev", "HMAC key of the gateway's webhooks to POST /v1/gateway/events."},
	{"REBOUND_GATEWAY_ADDR", "127.0.0.1:8090", "Where `rebound gateway` (and the dev simulator) listens."},
	{"REBOUND_GATEWAY_WEBHOOK_URL", "the dev API's /v1/gateway/events", "Where the gateway simulator sends refund outcomes."},
	{"REBOUND_GATEWAY_SETTLE_DELAY", "2s", "How long the gateway simulator keeps a refund pending."},
	{"REBOUND_ACQUIRER_ADDR", "127.0.0.1:8583 in dev, else required by the worker", "The acquirer's ISO 8583 host:port (and where `rebound acquirer` listens)."},
	{"REBOUND_ACQUIRER_EXTERNAL", "false", "`rebound dev` only: connect to an acquirer already listening on REBOUND_ACQUIRER_ADDR instead of starting the simulator there (no simulator admin, sales not fed to it). `rebound dev --acquirer-external --acquirer-addr host:port` sets both."},
	{"REBOUND_ACQUIRER_TLS", "false", "Speak TLS to the acquirer."},
	{"REBOUND_ACQUIRER_CA_FILE", "", "PEM file of the CA that signs the acquirer's certificate (with REBOUND_ACQUIRER_TLS)."},
	{"REBOUND_ACQUIRER_CERT_FILE", "", "Rebound's client certificate (PEM) for acquirers that require mutual TLS; with REBOUND_ACQUIRER_KEY_FILE."},
	{"REBOUND_ACQUIRER_KEY_FILE", "", "The private key (PEM) of REBOUND_ACQUIRER_CERT_FILE."},
	{"REBOUND_ACQUIRER_SERVER_NAME", "the host of REBOUND_ACQUIRER_ADDR", "Name the acquirer's TLS certificate must carry, when it differs from the address's host."},
	{"REBOUND_ACQUIRER_TIMEOUT", "10s", "ISO response timeout: how long a void, refund or reversal waits for its answer."},
	{"REBOUND_CARD_SEND_TIMEOUT", "45s", "Timeout of the activity that sends one card message; longer than REBOUND_ACQUIRER_TIMEOUT."},
	{"REBOUND_CARD_RETRY_WAIT", "5s", "First wait before repeating a reversal (0401) or resending a card message that never left; doubles up to 12 times itself."},
	{"REBOUND_REVERSAL_PATIENCE", "6h", "How long the worker keeps repeating a reversal while the acquirer cannot be reached at all (reversals that never left are no tries) before it hands the attempt to finance; a finance work item is opened from the first failure."},
	{"REBOUND_REVERSAL_MAX_TRIES", "6", "Reversals that reach the acquirer unacknowledged before the attempt is handed to finance."},
	{"REBOUND_REVERSAL_FATE_WAIT", "1m", "After a reversal is answered 25 (no such message), how long the original is given to arrive before the reversal is repeated and a 25 believed; no new attempt goes before."},
	{"REBOUND_FAULTPOINTS", "", "Tests only: fault points armed in the worker, `name=action[@every]` (action: kill, fail or block), comma-separated (e.g. `card.after-send=kill@3` kills the worker between the third card answer and its record). Never set it in production."},
	{"REBOUND_ACQUIRER_VOID_FROM_SALE_TERMINAL", "true", "Send voids from the sale's own terminal (most hosts require it; STANs 900000-999999 there are Rebound's); false: from the store's virtual terminal."},
	{"REBOUND_ACQUIRER_CUTOFF", "22h", "The acquirer's daily batch cut-off (UTC, as a duration from midnight): sales before it are voided the same day, later ones refunded."},
	{"REBOUND_ACQUIRER_ADMIN_ADDR", "127.0.0.1:8584", "Admin HTTP address of `rebound acquirer` (sales, faults, ledger, settlement files)."},
	{"REBOUND_SETTLEMENT_DIR", "<REBOUND_DATA_DIR>/settlements in dev, else none", "Settlement folder: the acquirer and gateway simulators drop their files into `<dir>/<merchant slug or acquirer merchant ID>/`; the worker's daily schedule imports them and moves each to `imported/` or `refused/` beside it. None: no pickup, no files dropped."},
	{"REBOUND_SETTLEMENT_PICKUP", "0 7 * * *", "When the worker's Temporal Schedule picks up the settlement folder: a cron spec, in UTC unless it starts with `CRON_TZ=<zone>`."},
	{"REBOUND_DEMO_PASSWORD", "rebound-demo", "Password of the demo staff that `rebound dev` seeds."},
	{"REBOUND_DEMO_API_KEY", "rbk_demo_key_change_me", "API key of the demo merchant that `rebound dev` seeds."},
}

// Names returns the names of Vars.
func Names() []string {
	out := make([]string, len(Vars))
	for i, v := range Vars {
		out[i] = v.Name
	}
	return out
}
