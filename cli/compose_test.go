package cli_test

import (
	"bytes"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rebound-returns/rebound/cli"
	"github.com/rebound-returns/rebound/config"
	"github.com/rebound-returns/rebound/db"
	"github.com/rebound-returns/rebound/db/dbtest"
)

// No Docker engine runs where the tests run, so docker-compose.yml is held
// to the configuration the code reads by reading it.

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image       string                    `yaml:"image"`
	Build       any                       `yaml:"build"`
	Command     []string                  `yaml:"command"`
	Environment map[string]string         `yaml:"environment"`
	Ports       []string                  `yaml:"ports"`
	DependsOn   map[string]map[string]any `yaml:"depends_on"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Volumes []any  `yaml:"volumes"` // "source:target[:mode]" or {source, target}
	Restart string `yaml:"restart"`
}

// oneShot: the service runs once and exits (a schema, the migrations, the
// bootstrap); the others run until stopped.
func (s composeService) oneShot() bool { return s.Restart == "no" }

// mounts answers the volume or folder mounted at each path of the service.
func (s composeService) mounts() map[string]string {
	out := map[string]string{}
	for _, v := range s.Volumes {
		switch v := v.(type) {
		case string:
			if source, target, ok := strings.Cut(v, ":"); ok {
				target, _, _ = strings.Cut(target, ":")
				out[target] = source
			}
		case map[string]any:
			source, _ := v["source"].(string)
			target, _ := v["target"].(string)
			out[target] = source
		}
	}
	return out
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	b, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

func port(t *testing.T, hostPort string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		t.Fatalf("%q: %v", hostPort, err)
	}
	return p
}

func TestComposeMatchesConfiguration(t *testing.T) {
	t.Parallel()
	f := readCompose(t)
	known := config.Names()
	commands := map[string]config.Mode{"api": config.ModeAPI, "worker": config.ModeWorker, "migrate": config.ModeMigrate, "gateway": config.ModeGateway, "acquirer": config.ModeAcquirer}

	var rebound []string
	for name, s := range f.Services {
		if s.Image != "rebound:local" || (len(s.Command) > 0 && s.Command[0] == "temporal") {
			continue // the Temporal server and its schema: TestComposeRunsTheTemporalServerOfGoMod
		}
		if len(s.Command) > 0 && s.Command[0] == "admin" {
			continue // the bootstrap: TestComposeBootstrapsTheFirstOperatorAndMerchant
		}
		rebound = append(rebound, name)
		if len(s.Command) != 1 {
			t.Errorf("%s: command %v, want one subcommand", name, s.Command)
			continue
		}
		mode, ok := commands[s.Command[0]]
		if !ok {
			t.Errorf("%s: runs %q, not a production subcommand", name, s.Command[0])
			continue
		}
		for k := range s.Environment {
			if strings.HasPrefix(k, "REBOUND_") && !slices.Contains(known, k) {
				t.Errorf("%s sets %s, which Rebound does not read", name, k)
			}
		}
		// The service's environment must pass the same validation as at start.
		cfg, err := config.Load(mode, func(k string) (string, bool) { v, ok := s.Environment[k]; return v, ok })
		if err != nil {
			t.Errorf("%s: configuration refused: %v", name, err)
			continue
		}
		checkDatabase(t, f, name, cfg.DatabaseURL)
		checkTemporal(t, f, name, cfg.TemporalAddress)
		if s.Command[0] == "migrate" {
			continue
		}
		if s.Command[0] == "worker" {
			checkService(t, f, name, "REBOUND_SMTP_ADDR", cfg.SMTPAddr, "mailpit")
			checkService(t, f, name, "REBOUND_GATEWAY_URL", strings.TrimPrefix(cfg.GatewayURL, "http://"), "gateway")
			checkService(t, f, name, "REBOUND_ACQUIRER_ADDR", cfg.AcquirerAddr, "acquirer")
		}
		listen := cfg.HTTPAddr
		if s.Command[0] == "acquirer" {
			listen = cfg.AcquirerAdminAddr
		}
		if s.Command[0] == "gateway" {
			listen = cfg.GatewayAddr
			checkService(t, f, name, "REBOUND_GATEWAY_WEBHOOK_URL", strings.TrimSuffix(strings.TrimPrefix(cfg.GatewayWebhookURL, "http://"), "/v1/gateway/events"), "api")
		}
		if (s.Command[0] == "api" || s.Command[0] == "worker") && cfg.MetricsToken == "" {
			t.Errorf("%s sets no REBOUND_METRICS_TOKEN: its /metrics would answer 404", name)
		}
		httpPort := port(t, listen)
		test := strings.Join(s.Healthcheck.Test, " ")
		if !strings.Contains(test, "/rebound healthcheck") || !strings.Contains(test, "127.0.0.1:"+httpPort+"/") {
			t.Errorf("%s: health check %q does not probe its own port %s", name, test, httpPort)
		}
		for _, p := range s.Ports {
			if !strings.HasSuffix(p, ":"+httpPort) {
				t.Errorf("%s publishes %s, but listens on %s", name, p, httpPort)
			}
		}
		deps := []string{"migrate", "temporal"}
		if s.Command[0] == "gateway" || s.Command[0] == "acquirer" {
			deps = deps[:1]
		}
		for _, dep := range deps {
			want := map[string]string{"migrate": "service_completed_successfully", "temporal": "service_healthy"}[dep]
			if got := s.DependsOn[dep]["condition"]; got != want {
				t.Errorf("%s depends on %s with condition %v, want %s", name, dep, got, want)
			}
		}
	}
	checkSettlementFolder(t, f)
	slices.Sort(rebound)
	if strings.Join(rebound, ",") != "acquirer,api,gateway,migrate,worker" {
		t.Errorf("rebound services = %v, want acquirer, api, gateway, migrate, worker", rebound)
	}
	if f.Services["migrate"].Build == nil {
		t.Error("migrate does not build the rebound image")
	}
}

// checkDatabase: the URL names the postgres service, its port, user,
// password and database.
func checkDatabase(t *testing.T, f composeFile, name, raw string) {
	t.Helper()
	if tgt, err := db.ParseURL(raw); err != nil || tgt.Dialect != db.Postgres {
		t.Errorf("%s: database is not Postgres", name)
		return
	}
	u, _ := url.Parse(raw)
	pg, ok := f.Services[u.Hostname()]
	if !ok {
		t.Errorf("%s: database host %s is not a service", name, u.Hostname())
		return
	}
	pass, _ := u.User.Password()
	if u.Port() != "5432" || u.User.Username() != pg.Environment["POSTGRES_USER"] ||
		pass != pg.Environment["POSTGRES_PASSWORD"] || strings.Trim(u.Path, "/") != pg.Environment["POSTGRES_DB"] {
		t.Errorf("%s: database URL does not match the %s service", name, u.Hostname())
	}
}

// checkTemporal: the address names the temporal service and the port its
// frontend listens on.
func checkTemporal(t *testing.T, f composeFile, name, hostPort string) {
	t.Helper()
	host, p, _ := net.SplitHostPort(hostPort)
	ts, ok := f.Services[host]
	if !ok {
		t.Errorf("%s: temporal host %s is not a service", name, host)
		return
	}
	if !slices.Contains(ts.Ports, p+":"+p) || !strings.Contains(strings.Join(ts.Healthcheck.Test, " "), host+":"+p) {
		t.Errorf("%s: temporal port %s is not the one the %s service serves", name, p, host)
	}
}

// checkService: hostPort names the service and a port it listens on.
func checkService(t *testing.T, f composeFile, name, variable, hostPort, service string) {
	t.Helper()
	host, p, err := net.SplitHostPort(hostPort)
	if err != nil || host != service {
		t.Errorf("%s: %s=%q does not point at the %s service", name, variable, hostPort, service)
		return
	}
	s := f.Services[service]
	served := s.Environment["REBOUND_HTTP_ADDR"] + " " + s.Environment["REBOUND_GATEWAY_ADDR"] + " " + s.Environment["REBOUND_ACQUIRER_ADDR"]
	for _, addr := range strings.Fields(served) {
		if strings.HasSuffix(addr, ":"+p) {
			return
		}
	}
	known := map[string]string{"mailpit": "1025"} // the image's SMTP port
	if known[service] != p {
		t.Errorf("%s: %s port %s is not one %s listens on", name, variable, p, service)
	}
}

// checkSettlementFolder: the simulators drop settlement files where the
// worker picks them up, one named volume mounted at the same path in each.
// (The worker's pickup schedule is validated with the rest of its
// configuration above.)
func checkSettlementFolder(t *testing.T, f composeFile) {
	t.Helper()
	worker := f.Services["worker"]
	dir := worker.Environment["REBOUND_SETTLEMENT_DIR"]
	if dir == "" {
		t.Error("worker: REBOUND_SETTLEMENT_DIR is not set, so nothing is picked up")
		return
	}
	volume := worker.mounts()[dir]
	if volume == "" || strings.HasPrefix(volume, ".") || strings.HasPrefix(volume, "/") {
		t.Errorf("worker: no named volume mounted at REBOUND_SETTLEMENT_DIR %s", dir)
		return
	}
	for _, name := range []string{"acquirer", "gateway"} {
		s := f.Services[name]
		if got := s.Environment["REBOUND_SETTLEMENT_DIR"]; got != dir {
			t.Errorf("%s: REBOUND_SETTLEMENT_DIR=%q, want the worker's %q", name, got, dir)
		}
		if got := s.mounts()[dir]; got != volume {
			t.Errorf("%s: %q mounted at %s, want the worker's volume %q", name, got, dir, volume)
		}
	}
}

// The Temporal server of the compose stack is the one `rebound dev` embeds
// and `make topology` runs: `rebound temporal serve`, built into the rebound
// image from the go.temporal.io/server module go.mod pins, on the postgres
// service, its schema made by the one-shot `rebound temporal setup-schema`
// (the module's own SQL tool). No Temporal image of another version.
func TestComposeRunsTheTemporalServerOfGoMod(t *testing.T) {
	t.Parallel()
	f := readCompose(t)
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	version := ""
	for _, line := range strings.Split(string(mod), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "go.temporal.io/server" {
			version = fields[1]
		}
	}
	if version == "" {
		t.Fatal("go.mod does not require go.temporal.io/server")
	}
	for name, s := range f.Services {
		if strings.HasPrefix(s.Image, "temporalio/") && !strings.HasPrefix(s.Image, "temporalio/ui:") {
			t.Errorf("%s runs %s, not the server %s of go.mod", name, s.Image, version)
		}
	}
	serve, schema := f.Services["temporal"], f.Services["temporal-schema"]
	flagsOf := func(name string, s composeService, action string) map[string]string {
		t.Helper()
		if s.Image != "rebound:local" || len(s.Command) < 2 || s.Command[0] != "temporal" || s.Command[len(s.Command)-1] != action {
			t.Errorf("%s: image %q command %v, want rebound:local running `temporal ... %s`", name, s.Image, s.Command, action)
			return map[string]string{}
		}
		// The command's flags are the ones `rebound temporal` reads.
		var out, errOut bytes.Buffer
		args := append(slices.Clone(s.Command[:len(s.Command)-1]), "--help")
		if code := cli.Main(args, &out, &errOut, func(string) (string, bool) { return "", false }); code != 0 {
			t.Errorf("%s: rebound %v: exit %d: %s", name, s.Command, code, errOut.String())
		}
		flags := map[string]string{}
		for i := 1; i+1 < len(s.Command)-1; i += 2 {
			flags[strings.TrimLeft(s.Command[i], "-")] = s.Command[i+1]
		}
		return flags
	}
	sf, cf := flagsOf("temporal", serve, "serve"), flagsOf("temporal-schema", schema, "setup-schema")
	if sf["database"] == "" || sf["database"] != cf["database"] || sf["visibility-database"] != cf["visibility-database"] {
		t.Errorf("the server's databases (%q, %q) are not the ones its schema step sets up (%q, %q)",
			sf["database"], sf["visibility-database"], cf["database"], cf["visibility-database"])
	}
	u, err := url.Parse(sf["database"])
	if err != nil {
		t.Fatalf("temporal --database: %v", err)
	}
	pg, ok := f.Services[u.Hostname()]
	pass, _ := u.User.Password()
	if !ok || u.Port() != "5432" || u.User.Username() != pg.Environment["POSTGRES_USER"] || pass != pg.Environment["POSTGRES_PASSWORD"] {
		t.Errorf("temporal --database %s does not match the %s service", u.Redacted(), u.Hostname())
	}
	if got := schema.DependsOn[u.Hostname()]["condition"]; got != "service_healthy" {
		t.Errorf("temporal-schema depends on %s with condition %v, want service_healthy", u.Hostname(), got)
	}
	if got := serve.DependsOn["temporal-schema"]["condition"]; got != "service_completed_successfully" {
		t.Errorf("temporal depends on temporal-schema with condition %v, want service_completed_successfully", got)
	}
	p := sf["port"]
	if p == "" {
		p = "7233"
	}
	test := strings.Join(serve.Healthcheck.Test, " ")
	if !slices.Contains(serve.Ports, p+":"+p) || !strings.Contains(test, "/rebound temporal --address temporal:"+p+" health") {
		t.Errorf("temporal serves on %s, but publishes %v and probes %q", p, serve.Ports, test)
	}
	if sf["bind"] != "0.0.0.0" {
		t.Errorf("temporal binds %q: other containers cannot reach it", sf["bind"])
	}
}

// Every service that runs until stopped has a health check, and what
// depends on it waits for it to be healthy; a one-shot is waited for until
// it has completed.
func TestComposeEveryServiceHasAHealthCheck(t *testing.T) {
	t.Parallel()
	f := readCompose(t)
	for name, s := range f.Services {
		if s.oneShot() {
			if len(s.Healthcheck.Test) > 0 {
				t.Errorf("%s runs once, but has a health check", name)
			}
			continue
		}
		if len(s.Healthcheck.Test) == 0 || s.Healthcheck.Test[0] == "NONE" {
			t.Errorf("%s has no health check", name)
		}
		if s.Restart == "" {
			t.Errorf("%s sets no restart policy: neither restarted nor marked as a one-shot (restart: \"no\")", name)
		}
	}
	for name, s := range f.Services {
		for dep, c := range s.DependsOn {
			d, ok := f.Services[dep]
			want := "service_healthy"
			if d.oneShot() {
				want = "service_completed_successfully"
			}
			if !ok || c["condition"] != want {
				t.Errorf("%s depends on %s with condition %v, want %s", name, dep, c["condition"], want)
			}
		}
	}
}

// The Temporal UI opens sealed history through the api's codec endpoint.
// The browser calls it, so it is the api's published address, and the api
// serves POST <endpoint>/decode (api/openapi.yaml, the routes' contract).
func TestComposeUIHasTheCodecEndpoint(t *testing.T) {
	t.Parallel()
	f := readCompose(t)
	ui, ok := f.Services["temporal-ui"]
	if !ok {
		t.Fatal("no temporal-ui service")
	}
	raw := ui.Environment["TEMPORAL_CODEC_ENDPOINT"]
	if raw == "" {
		t.Fatal("temporal-ui sets no TEMPORAL_CODEC_ENDPOINT: sealed history shows as ciphertext")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Hostname() != "localhost" {
		t.Fatalf("TEMPORAL_CODEC_ENDPOINT %q: want http://localhost:<the api's published port>/…, the address a browser reaches", raw)
	}
	api := f.Services["api"]
	if !slices.Contains(api.Ports, u.Port()+":"+port(t, api.Environment["REBOUND_HTTP_ADDR"])) {
		t.Errorf("TEMPORAL_CODEC_ENDPOINT port %s is not the api's published port (%v)", u.Port(), api.Ports)
	}
	spec, err := os.ReadFile("../api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(spec), "\n  "+u.Path+"/decode:\n") {
		t.Errorf("the api serves no POST %s/decode", u.Path)
	}
}

// The stack makes its first operator and merchant: one-shots after the
// migrations running `rebound admin create-operator` and `create-merchant`
// with --if-absent. Run here, as written, against a database, twice: the
// commands and flags are the CLI's, the input is accepted, a second `up`
// succeeds.
func TestComposeBootstrapsTheFirstOperatorAndMerchant(t *testing.T) {
	t.Parallel()
	f := readCompose(t)
	e := dbtest.Engines(t)[0]
	dbURL := e.URL(t)
	var bootstrap []string
	for name, s := range f.Services {
		if s.Image == "rebound:local" && len(s.Command) > 0 && s.Command[0] == "admin" {
			bootstrap = append(bootstrap, name)
		}
	}
	slices.Sort(bootstrap)
	if strings.Join(bootstrap, ",") != "bootstrap-merchant,bootstrap-operator" {
		t.Fatalf("services running `rebound admin` = %v, want bootstrap-merchant and bootstrap-operator", bootstrap)
	}
	migrate := map[string]string{"REBOUND_DATABASE_URL": dbURL, "REBOUND_LOG_LEVEL": "error"}
	if code := cli.Main([]string{"migrate"}, io.Discard, io.Discard, lookup(migrate)); code != 0 {
		t.Fatalf("migrate: exit %d", code)
	}
	want := map[string]string{"bootstrap-operator": "create-operator", "bootstrap-merchant": "create-merchant"}
	for _, run := range []string{"first", "second"} {
		for _, name := range bootstrap {
			s := f.Services[name]
			if len(s.Command) < 2 || s.Command[1] != want[name] || !slices.Contains(s.Command, "--if-absent") {
				t.Errorf("%s runs %v, want `admin %s --if-absent …`", name, s.Command, want[name])
				continue
			}
			if !s.oneShot() || s.DependsOn["migrate"]["condition"] != "service_completed_successfully" {
				t.Errorf("%s: restart %q, depends on migrate %v; want a one-shot after the migrations", name, s.Restart, s.DependsOn["migrate"])
			}
			checkDatabase(t, f, name, s.Environment["REBOUND_DATABASE_URL"])
			env := maps.Clone(s.Environment)
			env["REBOUND_DATABASE_URL"] = dbURL
			var stdout, stderr bytes.Buffer
			if code := cli.Main(s.Command, &stdout, &stderr, lookup(env)); code != 0 {
				t.Errorf("%s, %s run: rebound %v: exit %d: %s", name, run, s.Command, code, stderr.String())
			} else if run == "second" && !strings.Contains(stdout.String(), "left as it is") {
				t.Errorf("%s, second run: %q, want it left as it is", name, stdout.String())
			}
		}
	}
}
