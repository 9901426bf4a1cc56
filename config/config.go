// Package config reads Rebound's configuration from REBOUND_ environment
// variables, applies safe defaults and validates every value, so that a bad
// setting stops the program at start with one line naming the variable.
package config

import (
	"github.com/rebound-returns/rebound/faultpoint"

	"fmt"
	"log/slog"
	"net"
	neturl "net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/historycodec"
)

// Mode is the subcommand being configured; defaults differ between them.
type Mode string

const (
	ModeDev      Mode = "dev"
	ModeAPI      Mode = "api"
	ModeWorker   Mode = "worker"
	ModeMigrate  Mode = "migrate"
	ModeGateway  Mode = "gateway"
	ModeAcquirer Mode = "acquirer"
)

// Config is everything Rebound reads from its environment.
type Config struct {
	Mode Mode

	LogLevel  slog.Level
	LogFormat string // "text" or "json"

	HTTPAddr              string
	HTTPReadHeaderTimeout time.Duration
	HTTPIdleTimeout       time.Duration
	HTTPRequestTimeout    time.Duration
	HTTPUploadTimeout     time.Duration
	ShutdownTimeout       time.Duration
	TrustedProxies        []string

	DatabaseURL       string
	DBMaxOpenConns    int
	DBMaxIdleConns    int
	DBConnMaxLifetime time.Duration

	TemporalAddress   string
	TemporalNamespace string
	TemporalLogLevel  slog.Level
	DataDir           string

	WorkerStopTimeout time.Duration

	PublicURL     string
	OTPSecret     string
	CarrierSecret string
	// DebugAddr is where pprof and the runtime's metrics are served ("" =
	// nowhere); a loopback address unless DebugAllowRemote.
	DebugAddr        string
	DebugAllowRemote bool
	// MetricsToken is the bearer token GET /metrics asks for; empty: the
	// metrics are open in dev and off elsewhere. A secret: never logged.
	MetricsToken string

	// PasswordHashConcurrency bounds the password hashes computed at once;
	// a request waits at most PasswordHashWait for a slot.
	PasswordHashConcurrency int
	PasswordHashWait        time.Duration

	SMTPAddr, SMTPFrom, SMTPUsername, SMTPPassword string
	SMSURL, SMSToken                               string

	GatewayURL, GatewayAPIKey, GatewayWebhookSecret string
	GatewayAddr, GatewayWebhookURL                  string
	GatewaySettleDelay                              time.Duration
	// GatewayKeys holds the gateway API key of each merchant account, by
	// account name (a merchant's slug); GatewayAPIKey is the key of the
	// accounts it does not name. The keys are secrets: never logged.
	GatewayKeys map[string]string

	DemoPassword, DemoAPIKey string

	AcquirerAddr, AcquirerCAFile, AcquirerAdminAddr string
	// AcquirerCertFile and AcquirerKeyFile are Rebound's client certificate
	// for mutual TLS; AcquirerServerName the name the acquirer's carries.
	AcquirerCertFile, AcquirerKeyFile, AcquirerServerName string
	AcquirerTLS                                           bool
	AcquirerTimeout, CardSendTimeout, CardRetryWait       time.Duration
	// ReversalPatience, ReversalMaxTries and ReversalFateWait are how card
	// reversals end (see activities.CardSettings); VoidFromSaleTerminal
	// sends voids from the sale's own terminal.
	ReversalPatience, ReversalFateWait time.Duration
	ReversalMaxTries                   int
	VoidFromSaleTerminal               bool
	// Faults are the fault points a test armed in this process (nil: none).
	Faults         *faultpoint.Points
	AcquirerCutoff time.Duration
	// AcquirerExternal: `rebound dev` connects to the acquirer at
	// AcquirerAddr and starts no simulator of its own.
	AcquirerExternal bool

	// SettlementDir is the settlement folder files are dropped into and
	// picked up from ("" = none); SettlementPickup is the cron spec of the
	// daily pickup.
	SettlementDir, SettlementPickup string

	// HistoryCodec seals workflow history under the configured keys (the
	// first seals, all open); nil: history is stored as it is.
	HistoryCodec *historycodec.Codec

	// OTLPEndpoint receives the spans over OTLP/HTTP ("" = no tracing).
	OTLPEndpoint string
}

// Dev-only defaults: fine on a laptop, refused nowhere, used nowhere else.
const (
	devOTPSecret     = "dev-only-otp-secret-never-use-in-production"
	devCarrierSecret = "dev-carrier-secret"
	devGatewayKey    = "dev-gateway-key"
	// devGatewayKeys: the dev simulator knows the demo merchant's account
	// (named by its slug) and its key.
	devGatewayKeys    = "demo=dev-gateway-key-demo"
	devGatewaySecret  = "dev-gateway-secret"
	defaultSMTPFrom   = "Rebound <no-reply@rebound.local>"
	defaultDemoAPIKey = "rbk_demo_key_change_me"
	// devHistoryKey seals dev's history under a key everybody knows: it
	// shows the codec at work, and protects nothing.
	devHistoryKey = "dev:ZGV2LW9ubHktaGlzdG9yeS1rZXktMzItYnl0ZXMhISE="
)

// Error names the variable whose value is wrong. Its message is one line and
// never repeats the value, which may hold a password.
type Error struct {
	Var     string
	Problem string
}

func (e *Error) Error() string { return e.Var + ": " + e.Problem }

// Load reads the configuration for mode through lookup (os.LookupEnv in
// production). It returns the first problem found, in the order of Vars.
func Load(mode Mode, lookup func(string) (string, bool)) (*Config, error) {
	r := reader{lookup: lookup}
	c := &Config{Mode: mode}

	c.LogLevel = r.level("REBOUND_LOG_LEVEL", slog.LevelInfo)
	defaultFormat := "json"
	if mode == ModeDev {
		defaultFormat = "text"
	}
	c.LogFormat = r.oneOf("REBOUND_LOG_FORMAT", defaultFormat, "text", "json")

	c.HTTPAddr = r.hostPort("REBOUND_HTTP_ADDR", ":8080")
	c.HTTPReadHeaderTimeout = r.duration("REBOUND_HTTP_READ_HEADER_TIMEOUT", 5*time.Second, time.Second, 5*time.Minute)
	c.HTTPIdleTimeout = r.duration("REBOUND_HTTP_IDLE_TIMEOUT", 120*time.Second, time.Second, time.Hour)
	c.HTTPRequestTimeout = r.duration("REBOUND_HTTP_REQUEST_TIMEOUT", 30*time.Second, time.Second, 10*time.Minute)
	c.HTTPUploadTimeout = r.duration("REBOUND_HTTP_UPLOAD_TIMEOUT", 30*time.Minute, time.Minute, 24*time.Hour)
	c.TrustedProxies = r.proxies("REBOUND_TRUSTED_PROXIES")
	c.ShutdownTimeout = r.duration("REBOUND_SHUTDOWN_TIMEOUT", 8*time.Second, time.Second, 10*time.Second)

	c.DataDir = r.str("REBOUND_DATA_DIR", ".rebound")
	defaultDB := ""
	if mode == ModeDev {
		defaultDB = "sqlite:" + filepath.ToSlash(filepath.Join(c.DataDir, "rebound.db"))
	}
	// The simulators keep no database.
	c.DatabaseURL = r.databaseURL("REBOUND_DATABASE_URL", defaultDB, mode != ModeGateway && mode != ModeAcquirer)
	c.DBMaxOpenConns = r.integer("REBOUND_DB_MAX_OPEN_CONNS", 20, 1, 1000)
	// Idle defaults to the pool size: with fewer, every burst above the idle
	// count closes its connections on return and opens them again on the
	// next (16 new connections per return under load, issue 15).
	c.DBMaxIdleConns = r.integer("REBOUND_DB_MAX_IDLE_CONNS", c.DBMaxOpenConns, 0, 1000)
	c.DBConnMaxLifetime = r.duration("REBOUND_DB_CONN_MAX_LIFETIME", 30*time.Minute, time.Second, 24*time.Hour)

	c.TemporalAddress = r.hostPort("REBOUND_TEMPORAL_ADDRESS", "127.0.0.1:7233")
	c.TemporalNamespace = r.str("REBOUND_TEMPORAL_NAMESPACE", "default")
	c.TemporalLogLevel = r.level("REBOUND_TEMPORAL_LOG_LEVEL", slog.LevelWarn)
	c.WorkerStopTimeout = r.duration("REBOUND_WORKER_STOP_TIMEOUT", 5*time.Second, 0, 9*time.Second)

	dev := mode == ModeDev
	pick := func(devValue string) string {
		if dev {
			return devValue
		}
		return ""
	}
	c.PublicURL = r.url("REBOUND_PUBLIC_URL", "")
	c.OTPSecret = r.str("REBOUND_OTP_SECRET", pick(devOTPSecret))
	c.PasswordHashConcurrency = r.integer("REBOUND_PASSWORD_HASH_CONCURRENCY", 2*runtime.NumCPU(), 1, 1024)
	c.PasswordHashWait = r.duration("REBOUND_PASSWORD_HASH_WAIT", 2*time.Second, 10*time.Millisecond, time.Minute)
	c.CarrierSecret = r.str("REBOUND_CARRIER_WEBHOOK_SECRET", pick(devCarrierSecret))
	c.DebugAddr = r.hostPort("REBOUND_DEBUG_ADDR", "")
	c.DebugAllowRemote = r.boolean("REBOUND_DEBUG_ALLOW_REMOTE", false)
	if c.DebugAddr != "" && !c.DebugAllowRemote && !IsLoopback(c.DebugAddr) {
		r.fail("REBOUND_DEBUG_ADDR", "must be a loopback address such as 127.0.0.1:6060 (it has no authentication), unless REBOUND_DEBUG_ALLOW_REMOTE=true")
	}
	c.MetricsToken = r.str("REBOUND_METRICS_TOKEN", "")
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		r.fail("REBOUND_METRICS_TOKEN", "must be at least 16 characters")
	}
	c.SMTPAddr = r.hostPort("REBOUND_SMTP_ADDR", "")
	c.SMTPFrom = r.str("REBOUND_SMTP_FROM", defaultSMTPFrom)
	c.SMTPUsername = r.str("REBOUND_SMTP_USERNAME", "")
	c.SMTPPassword = r.str("REBOUND_SMTP_PASSWORD", "")
	c.SMSURL = r.url("REBOUND_SMS_URL", "")
	c.SMSToken = r.str("REBOUND_SMS_TOKEN", "")
	c.GatewayURL = r.url("REBOUND_GATEWAY_URL", "")
	c.GatewayAPIKey = r.str("REBOUND_GATEWAY_API_KEY", pick(devGatewayKey))
	c.GatewayKeys = r.accountKeys("REBOUND_GATEWAY_KEYS", pick(devGatewayKeys))
	c.GatewayWebhookSecret = r.str("REBOUND_GATEWAY_WEBHOOK_SECRET", pick(devGatewaySecret))
	c.GatewayAddr = r.hostPort("REBOUND_GATEWAY_ADDR", "127.0.0.1:8090")
	c.GatewayWebhookURL = r.url("REBOUND_GATEWAY_WEBHOOK_URL", "")
	c.GatewaySettleDelay = r.duration("REBOUND_GATEWAY_SETTLE_DELAY", 2*time.Second, 0, time.Hour)
	c.AcquirerAddr = r.hostPort("REBOUND_ACQUIRER_ADDR", pick("127.0.0.1:8583"))
	if mode == ModeAcquirer && c.AcquirerAddr == "" {
		c.AcquirerAddr = "127.0.0.1:8583"
	}
	c.AcquirerExternal = r.boolean("REBOUND_ACQUIRER_EXTERNAL", false)
	c.AcquirerTLS = r.boolean("REBOUND_ACQUIRER_TLS", false)
	c.AcquirerCAFile = r.str("REBOUND_ACQUIRER_CA_FILE", "")
	c.AcquirerCertFile = r.str("REBOUND_ACQUIRER_CERT_FILE", "")
	c.AcquirerKeyFile = r.str("REBOUND_ACQUIRER_KEY_FILE", "")
	c.AcquirerServerName = r.str("REBOUND_ACQUIRER_SERVER_NAME", "")
	if (c.AcquirerCertFile != "" || c.AcquirerKeyFile != "" || c.AcquirerCAFile != "") && !c.AcquirerTLS {
		r.fail("REBOUND_ACQUIRER_TLS", "must be true when a CA, certificate or key file for the acquirer is set")
	}
	if (c.AcquirerCertFile == "") != (c.AcquirerKeyFile == "") {
		r.fail("REBOUND_ACQUIRER_KEY_FILE", "set both REBOUND_ACQUIRER_CERT_FILE and REBOUND_ACQUIRER_KEY_FILE, or neither")
	}
	c.AcquirerTimeout = r.duration("REBOUND_ACQUIRER_TIMEOUT", 10*time.Second, 100*time.Millisecond, 5*time.Minute)
	c.CardSendTimeout = r.duration("REBOUND_CARD_SEND_TIMEOUT", 45*time.Second, time.Second, 10*time.Minute)
	c.CardRetryWait = r.duration("REBOUND_CARD_RETRY_WAIT", 5*time.Second, 10*time.Millisecond, time.Minute)
	c.ReversalPatience = r.duration("REBOUND_REVERSAL_PATIENCE", 6*time.Hour, time.Second, 7*24*time.Hour)
	c.ReversalMaxTries = r.integer("REBOUND_REVERSAL_MAX_TRIES", 6, 1, 100)
	c.ReversalFateWait = r.duration("REBOUND_REVERSAL_FATE_WAIT", time.Minute, 100*time.Millisecond, time.Hour)
	c.VoidFromSaleTerminal = r.boolean("REBOUND_ACQUIRER_VOID_FROM_SALE_TERMINAL", true)
	if spec, ok := r.raw("REBOUND_FAULTPOINTS"); ok {
		var err error
		if c.Faults, err = faultpoint.Parse(spec); err != nil {
			r.fail("REBOUND_FAULTPOINTS", err.Error())
		}
	}
	c.AcquirerCutoff = r.duration("REBOUND_ACQUIRER_CUTOFF", 22*time.Hour, 0, 24*time.Hour-time.Minute)
	c.AcquirerAdminAddr = r.hostPort("REBOUND_ACQUIRER_ADMIN_ADDR", "127.0.0.1:8584")
	c.SettlementDir = r.str("REBOUND_SETTLEMENT_DIR", pick(filepath.Join(c.DataDir, "settlements")))
	c.SettlementPickup = r.cron("REBOUND_SETTLEMENT_PICKUP", DefaultSettlementPickup)
	c.HistoryCodec = r.historyCodec("REBOUND_HISTORY_KEYS", pick(devHistoryKey))
	c.OTLPEndpoint = r.url("REBOUND_OTLP_ENDPOINT", "")
	c.DemoPassword = r.str("REBOUND_DEMO_PASSWORD", "rebound-demo")
	c.DemoAPIKey = r.str("REBOUND_DEMO_API_KEY", defaultDemoAPIKey)

	if r.err != nil {
		return nil, r.err
	}
	if err := c.requireFor(mode); err != nil {
		return nil, err
	}
	if c.CardSendTimeout <= c.AcquirerTimeout {
		return nil, &Error{"REBOUND_CARD_SEND_TIMEOUT", "must be longer than REBOUND_ACQUIRER_TIMEOUT"}
	}
	if c.DBMaxIdleConns > c.DBMaxOpenConns {
		return nil, &Error{"REBOUND_DB_MAX_IDLE_CONNS", "must not exceed REBOUND_DB_MAX_OPEN_CONNS"}
	}
	return c, nil
}

// reader collects the first error so that Load reads as a list of fields.
type reader struct {
	lookup func(string) (string, bool)
	err    error
}

func (r *reader) raw(name string) (string, bool) {
	v, ok := r.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) fail(name, problem string) {
	if r.err == nil {
		r.err = &Error{Var: name, Problem: problem}
	}
}

func (r *reader) str(name, def string) string {
	if v, ok := r.raw(name); ok {
		return v
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a
		}
	}
	r.fail(name, "must be one of "+strings.Join(allowed, ", "))
	return def
}

func (r *reader) level(name string, def slog.Level) slog.Level {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(v)); err != nil {
		r.fail(name, "must be debug, info, warn or error")
		return def
	}
	return l
}

func (r *reader) integer(name string, def, lo, hi int) int {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi))
		return def
	}
	return n
}

func (r *reader) duration(name string, def, lo, hi time.Duration) time.Duration {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		r.fail(name, "must be a duration such as 30s or 5m")
		return def
	}
	if d < lo || d > hi {
		r.fail(name, fmt.Sprintf("must be between %s and %s", lo, hi))
		return def
	}
	return d
}

func (r *reader) hostPort(name, def string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	if err := CheckHostPort(v); err != nil {
		r.fail(name, err.Error())
		return def
	}
	return v
}

// CheckHostPort accepts host:port or :port with a port from 0 to 65535.
func CheckHostPort(v string) error {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("must be host:port or :port")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port must be a number from 0 to 65535")
	}
	return nil
}

// IsLoopback reports whether host:port listens on this machine only: the
// host is localhost or a loopback IP (":port" listens on every interface).
func IsLoopback(hostPort string) bool {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *reader) databaseURL(name, def string, required bool) string {
	v, ok := r.raw(name)
	if !ok {
		if def == "" && required {
			r.fail(name, "is required: postgres://user:pass@host:5432/db or sqlite:path/to/file.db")
		}
		return def
	}
	if _, err := db.ParseURL(v); err != nil {
		r.fail(name, err.Error())
		return def
	}
	return v
}

func (r *reader) url(name, def string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	u, err := neturl.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "must be an http:// or https:// URL")
		return def
	}
	return strings.TrimRight(v, "/")
}

// requireFor checks what each production command cannot run without.
func (c *Config) requireFor(mode Mode) error {
	needs := map[Mode][]struct {
		name  string
		value string
	}{
		ModeAPI: {{"REBOUND_OTP_SECRET", c.OTPSecret}},
		ModeWorker: {{"REBOUND_OTP_SECRET", c.OTPSecret}, {"REBOUND_PUBLIC_URL", c.PublicURL}, {"REBOUND_SMTP_ADDR", c.SMTPAddr},
			{"REBOUND_GATEWAY_URL", c.GatewayURL}, {"REBOUND_GATEWAY_API_KEY", c.GatewayAPIKey}, {"REBOUND_ACQUIRER_ADDR", c.AcquirerAddr}},
		ModeGateway: {{"REBOUND_GATEWAY_API_KEY", c.GatewayAPIKey}},
	}
	for _, n := range needs[mode] {
		if n.value == "" {
			return &Error{n.name, "is required by rebound " + string(mode)}
		}
	}
	if c.OTPSecret != "" && len(c.OTPSecret) < 32 {
		return &Error{"REBOUND_OTP_SECRET", "must be at least 32 characters"}
	}
	return nil
}

// historyCodec reads the keys that seal workflow history.
func (r *reader) historyCodec(name, def string) *historycodec.Codec {
	v, ok := r.raw(name)
	if !ok {
		v = def
	}
	if v == "" {
		return nil
	}
	keys, err := historycodec.ParseKeys(v)
	if err == nil {
		var c *historycodec.Codec
		if c, err = historycodec.New(keys); err == nil {
			return c
		}
	}
	r.fail(name, err.Error())
	return nil
}

// DefaultSettlementPickup is when the settlement folder is picked up: 07:00 UTC.
const DefaultSettlementPickup = "0 7 * * *"

// cron accepts a five-field cron spec, a descriptor such as @daily, or
// either with a CRON_TZ=<zone> prefix: what a Temporal Schedule takes.
func (r *reader) cron(name, def string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	if _, err := cron.ParseStandard(v); err != nil {
		r.fail(name, "must be a cron spec such as \"0 7 * * *\" (minute hour day month weekday)")
		return def
	}
	return v
}

func (r *reader) boolean(name string, def bool) bool {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "must be true or false")
		return def
	}
	return b
}

// maxAccountLen bounds a gateway account name, as the gateway does.
const maxAccountLen = 64

// accountKeys reads comma-separated account=key pairs. Problems name the
// pair by its position, never by its content: the keys are secrets.
func (r *reader) accountKeys(name, def string) map[string]string {
	v, ok := r.raw(name)
	if !ok {
		v = def
	}
	if v == "" {
		return nil
	}
	keys := map[string]string{}
	for i, pair := range strings.Split(v, ",") {
		account, key, found := strings.Cut(pair, "=")
		account, key = strings.TrimSpace(account), strings.TrimSpace(key)
		switch {
		case !found || account == "" || key == "":
			r.fail(name, fmt.Sprintf("pair %d must be account=key, e.g. acme=sk_live_…, comma-separated", i+1))
			return nil
		case len(account) > maxAccountLen || strings.ContainsAny(account, " \t/\\"):
			r.fail(name, fmt.Sprintf("the account of pair %d must be up to %d characters without spaces or slashes", i+1, maxAccountLen))
			return nil
		case keys[account] != "":
			r.fail(name, fmt.Sprintf("pair %d names an account a second time", i+1))
			return nil
		}
		keys[account] = key
	}
	return keys
}

func (r *reader) proxies(name string) []string {
	v, ok := r.raw(name)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			r.fail(name, "must be comma-separated IP addresses or CIDRs")
			return nil
		}
		out = append(out, p)
	}
	return out
}
